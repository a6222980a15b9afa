/**
 * The embedded store: SQLite through better-sqlite3. WAL mode (readers never block the writer),
 * a busy timeout (two `probe --store` processes on one file take turns), one transaction per batch
 * of hosts, prepared statements. Opening checks that the file is a database and writable, so a
 * read-only or corrupt file is a clear error before any probing starts.
 */
import { accessSync, constants as fsConstants, existsSync, rmSync, statfsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { lazyCheckpointer } from './checkpointer.js';
import { MIGRATIONS } from './migrations.js';
import { INSERT_PROBE, INSERT_TARGET, insertRunRow, sqliteImportWriter } from './sqlite-import.js';
import { batchRows, groupHostRows, hostFromRecords, lazyBriefHost, lazyTarget, RUNS_SELECT, runFromRow, type RecordText, type RowBatch } from './rows.js';
import { BRIEF_PROBE_FIELDS, StoreError, type HistoryEntry, type ImportWriter, type RunMetaIn, type RunRow, type RunWriter, type Store, type StoredHost, type StoredTarget } from './types.js';

type Db = Database.Database;

export interface SqliteOptions {
  /** How long a writer waits for another process's lock before giving up (ms). */
  busyTimeoutMs: number;
  /** Open only to read (history, diff): no migrations are written; a missing file is an error. */
  readOnly?: boolean;
  /** Write to an existing store only (prune): a missing file is an error, never a new empty store. */
  mustExist?: boolean;
  /**
   * Checkpoint the WAL in a thread of its own after each committed batch (checkpointer.ts), not
   * on the writer's thread: for `probe --store`, whose event loop runs the probes.
   */
  backgroundCheckpoint?: boolean;
  /** Start that thread once this many bytes of rows were committed (default 1 MB, checkpointer.ts). */
  checkpointAfterBytes?: number;
  /** Where a reader says how it had to open the file (an immutable open, see openReader). */
  warn?: (message: string) => void;
}

function sqliteCode(e: unknown): string {
  return typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string' ? (e as { code: string }).code : '';
}

/** Translate SQLite's error into one the user can act on. */
function explain(path: string, e: unknown, what: string, busyMs: number): StoreError {
  const code = sqliteCode(e);
  const msg = e instanceof Error ? e.message : String(e);
  if (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY')) {
    return new StoreError('E_STORE_LOCKED', `store ${path}: ${what}: database locked by another process for more than ${busyMs} ms (another mxprobe writing? raise MXPROBE_STORE_BUSY_MS)`, { cause: e });
  }
  if (code === 'SQLITE_READONLY' || code.startsWith('SQLITE_READONLY') || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_PERM') {
    return new StoreError('E_STORE_OPEN', `store ${path}: ${what}: cannot write (${msg}); the file and its directory must be writable (WAL needs ${path}-wal and -shm beside it)`, { cause: e });
  }
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT' || code.startsWith('SQLITE_CORRUPT')) {
    return new StoreError('E_STORE_OPEN', `store ${path}: ${what}: not an SQLite database or corrupt (${msg})`, { cause: e });
  }
  if (code === 'SQLITE_FULL' || code.startsWith('SQLITE_IOERR')) {
    // SQLite says "disk I/O error" when a full disk stops it creating the -wal or -shm, or
    // extending them: say how much room there is, so the user does not suspect a broken disk.
    return new StoreError('E_STORE_OPEN', `store ${path}: ${what}: ${msg}${freeSpace(dirname(path))}`, { cause: e });
  }
  return new StoreError('E_STORE_OPEN', `store ${path}: ${what}: ${msg}`, { cause: e });
}

/** "; N bytes free on the file system holding DIR (is it full?)", or nothing when that cannot be read. */
function freeSpace(dir: string): string {
  try {
    const st = statfsSync(dir);
    const free = st.bavail * st.bsize;
    return `; ${free} bytes free on the file system holding ${dir}${free < 1024 * 1024 ? ' (is it full?)' : ''}`;
  } catch {
    return '';
  }
}

/**
 * Run `step` again while SQLite answers SQLITE_BUSY, for up to `busyMs` in all, then let the error
 * through (explain() turns it into E_STORE_LOCKED, and the message's "for more than N ms" is then
 * true). For a step the busy timeout does not cover: SQLite may return SQLITE_BUSY at once, without
 * calling the busy handler, when waiting could deadlock (sqlite.org/c3ref/busy_handler.html), i.e.
 * when this connection already holds a read lock and needs a write lock. Switching a new (rollback
 * journal) file to WAL does exactly that: it reads page 1, then takes the write lock to set the
 * file-format bytes 18-19 to 2 (sqlite.org/fileformat2.html#file_format_version_numbers). Two
 * processes creating one store at once each hold their read lock; one of them got SQLITE_BUSY after
 * ~50 ms (test/store/concurrent-open.test.ts). Retrying from the start is safe: the failed statement
 * released its locks, and a retry that finds the file already in WAL changes nothing.
 */
function retryBusy<T>(step: () => T, busyMs: number): T {
  const deadline = Date.now() + busyMs;
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  for (let pause = 2; ; pause = Math.min(pause * 2, 50)) {
    try {
      return step();
    } catch (e) {
      const left = deadline - Date.now();
      if (!sqliteCode(e).startsWith('SQLITE_BUSY') || left <= 0) throw e;
      // The open is synchronous already (better-sqlite3's busy timeout blocks the thread too).
      Atomics.wait(sleeper, 0, 0, Math.min(pause, left));
    }
  }
}

/**
 * The page size of a new SQLite store (SQLite allows 512 to 65536). Measured in session 7
 * (bench/results/store-2026-12-01-storeperf4.md), a 2000-host farm run's rows written through
 * StoreSink in a fresh process (batches, finish; then close), CPU medians of 8 interleaved runs:
 * 4 KiB 330 + 28 ms, 16 KiB 285 + 11 ms, 32 KiB 235 + 9 ms, 64 KiB 251 + 7 ms. A diff of two
 * stored runs of 100k hosts did not get slower with larger pages (64 KiB: 5.1 s CPU, 4 KiB: 7.4 s):
 * it reads the hosts in key order, which follows the order they were written closely enough.
 */
export const STORE_PAGE_SIZE = 32768;

/**
 * The page cache of a run's writer grows with what the run has written: it starts at
 * RUN_CACHE_MIN_KIB and is raised after each committed batch to a quarter of the bytes of rows
 * committed so far, up to RUN_CACHE_MAX_KIB (better-sqlite3's compiled default, -16000). Why: the
 * pages a run appends (table rows, the records) are written once and never read again, yet SQLite
 * gives each new page a fresh buffer until the cache is full, and zeroes it (allocateBtreePage);
 * on the first touch every such 4 KiB of fresh memory costs the process a page fault. With the
 * default 16 MB cache a 2000-host run (~7 MB of rows) put every page it wrote into fresh memory:
 * ~1,600 of the ~3,700 page faults of its batch writes and about half of their CPU (session 9,
 * bench/results/store-2026-12-01-storeperf7.md: "cold batches" ~150 ms against ~35 ms when
 * another file had been written first, i.e. when glibc could hand back freed memory). A small
 * cache recycles its buffers. What a cache is for here is the index pages a batch updates at
 * scattered keys (hosts_run_key and the other run-scoped indexes, targets_run_key), about 7% of the
 * bytes of a run: a quarter of the bytes written keeps them cached, and a 100k-host run reaches
 * the full 16 MB after ~64 MB of rows, as before (a fixed 2 MB cache made the 100k writes slower).
 */
const RUN_CACHE_MIN_KIB = 2048;
const RUN_CACHE_MAX_KIB = 16000;

/** WAL bytes between two automatic checkpoints (wal_autocheckpoint counts pages). */
const WAL_CHECKPOINT_BYTES = 40 * 1024 * 1024;

export function openSqliteStore(path: string, opts: SqliteOptions): Store {
  let db: Db;
  let schema = 0;
  // A reader (diff, history, store runs) never creates the file it was asked to read: a missing
  // store is said to be missing (better-sqlite3 reports it as "unable to open database file").
  // Nor does prune: a typo in a cron line must not create an empty store and report "pruned 0".
  if ((opts.readOnly || opts.mustExist) && !existsSync(path)) throw new StoreError('E_STORE_NOT_FOUND', `store ${path} does not exist (write one with: mxprobe probe … --store ${path})`);
  // A store this open creates and then cannot set up (a full disk) is removed again, with its
  // -wal/-shm: a leftover empty "store" would make the next command report "disk I/O error" or "not a
  // database" instead of what happened. Never a file that was there before, and only on a disk error
  // (SQLITE_FULL, SQLITE_IOERR*): on any other error another process may have just created the same
  // new store and be using it.
  // SQLite says "unable to open database file" for a directory, which the hint below (make the
  // file and its directory writable) would send the user the wrong way with.
  if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) throw new StoreError('E_STORE_OPEN', `store ${path}: is a directory, not a store file (give a file path: ${path.replace(/\/+$/, '')}/audit.db)`);
  const created = opts.readOnly !== true && !existsSync(path);
  const failed = (e: unknown): StoreError => {
    const err = e instanceof StoreError ? e : explain(path, e, 'open', opts.busyTimeoutMs);
    const sqliteCode = (e as { code?: unknown }).code;
    const diskFailed = typeof sqliteCode === 'string' && /^SQLITE_(FULL|IOERR)/.test(sqliteCode);
    if (created && diskFailed) for (const f of [path, `${path}-wal`, `${path}-shm`]) rmSync(f, { force: true });
    return err;
  };
  try {
    db = opts.readOnly ? openReader(path, opts) : new Database(path, { timeout: opts.busyTimeoutMs });
  } catch (e) {
    if (opts.readOnly && /does not exist/i.test(String(e))) throw new StoreError('E_STORE_NOT_FOUND', `store ${path} does not exist (write one with: mxprobe probe … --store ${path})`, { cause: e });
    throw failed(e);
  }
  try {
    // Reading the schema is the first touch of the file: a corrupt header fails here (a reader's
    // was read in openReader already).
    if (!opts.readOnly) db.pragma('schema_version');
    db.pragma('foreign_keys = ON');
    if (!opts.readOnly) {
      // A new store gets larger pages than SQLite's default 4 KiB (sqlite.org/pragma.html#pragma_page_size;
      // it can only be chosen before the file's first write, so an existing store keeps its own). A
      // probe row is ~2.7 KB with its transcript: one per 4 KiB page, the rest of the page empty, and
      // the cost of writing a batch (WAL frames, their checksums, page allocation) and of the
      // checkpoint at close follows the number of pages more than the bytes. See STORE_PAGE_SIZE.
      if ((db.pragma('page_count', { simple: true }) as number) === 0) db.pragma(`page_size = ${STORE_PAGE_SIZE}`);
      // WAL: readers (history, diff) never block the writer, and commits are cheap (sqlite.org/wal.html).
      // Through retryBusy: on a new file this is the one step of the open that the busy timeout
      // does not cover (see retryBusy), and two processes creating one store at once both reach it.
      retryBusy(() => db.pragma('journal_mode = WAL'), opts.busyTimeoutMs);
      db.pragma('synchronous = NORMAL');
      // Checkpoint every 40 MB of WAL (10000 pages of 4 KiB) instead of SQLite's 1000 pages: a checkpoint runs inside
      // the commit that crosses the mark, on the prober's thread, and fsyncs the WAL and the
      // database file (sqlite.org/wal.html#ckpt); at 1000 pages a 2000-host run paid about three
      // of them mid-run. Closing the last connection still checkpoints everything, and the WAL
      // stays bounded (40 MB plus one batch) however long the run. Crash safety is WAL +
      // synchronous=NORMAL's (sqlite.org/pragma.html#pragma_synchronous): if the process dies,
      // every committed batch is in the WAL file and is kept; a power loss may roll back the
      // commits since the last WAL sync (now up to one checkpoint interval), never corrupt the file.
      // The mark is counted in pages: 40 MB whatever the store's page size (4 KiB in a store
      // made before STORE_PAGE_SIZE, STORE_PAGE_SIZE in a new one).
      db.pragma(`wal_autocheckpoint = ${Math.round(WAL_CHECKPOINT_BYTES / (db.pragma('page_size', { simple: true }) as number))}`);
    }
    schema = migrate(db, opts.readOnly === true);
    if (!opts.readOnly) {
      // Prove the file is writable now, not after the first batch of probes.
      db.exec('BEGIN IMMEDIATE');
      db.exec('COMMIT');
      readAppendPaths(db);
    }
  } catch (e) {
    db.close();
    throw failed(e);
  }
  const ck = opts.backgroundCheckpoint === true && !opts.readOnly ? lazyCheckpointer({ path, busyTimeoutMs: opts.busyTimeoutMs }, opts.checkpointAfterBytes) : null;
  return new SqliteStore(db, path, opts.busyTimeoutMs, schema, ck);
}

/** An SQL identifier in double quotes (sqlite.org/lang_keywords.html). */
function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Read the right-most path (root to last leaf) of every table and index, so that a store whose
 * damage lies where this run's rows will go is refused at open (exit 2, nothing probed), not after
 * the first batch (a mid-run warning, a run marked failed). Only the header and the pages a run
 * creates were checked before: a store with a scribbled-over probes or hosts page opened fine,
 * probed every host, and then lost the whole run to "database disk image is malformed".
 * Why the right-most path: every key a run inserts sorts last. Rowids are new maxima, and every
 * index is led by an increasing key (run_id, host_id, started_at; migrations.ts), so an insert
 * descends that path and a page split touches its pages. Reading it costs a few pages per b-tree
 * (max() of the leading column is a seek to the last entry, sqlite.org/optoverview.html#minmax),
 * not the whole-file scan of `PRAGMA quick_check`, which on a store of many runs would cost
 * seconds per probe run. Damage elsewhere (older runs' pages) is not found here; the readers
 * (diff, history) meet it as "corrupt" when they read those pages.
 */
function readAppendPaths(db: Db): void {
  const objects = db.prepare("SELECT type, name, tbl_name AS tbl, sql FROM sqlite_master WHERE type IN ('table', 'index') AND sql IS NOT NULL").all() as Array<{ type: string; name: string; tbl: string; sql: string }>;
  for (const o of objects) {
    if (o.type === 'table') {
      if (!/\bWITHOUT\s+ROWID\b/i.test(o.sql)) db.prepare(`SELECT max(rowid) FROM ${ident(o.name)}`).get();
      continue;
    }
    const first = (db.pragma(`index_info(${ident(o.name)})`) as Array<{ name: string | null }>)[0]?.name;
    if (!first) continue; // an index on an expression: none in the schema
    // A partial index is usable (INDEXED BY) only by a query whose WHERE implies the index's own.
    const where = /\bWHERE\b([\s\S]*)$/i.exec(o.sql)?.[1];
    db.prepare(`SELECT max(${ident(first)}) FROM ${ident(o.tbl)} INDEXED BY ${ident(o.name)}${where !== undefined ? ` WHERE ${where}` : ''}`).get();
  }
}

function isReadOnlyRefusal(e: unknown): boolean {
  const code = sqliteCode(e);
  return code === 'SQLITE_CANTOPEN' || code.startsWith('SQLITE_READONLY') || code === 'SQLITE_PERM';
}

/**
 * Open a store only to read it (diff, history, store runs): SQLITE_OPEN_READONLY, so a store on a
 * read-only mount, or one owned by another user (a cron job's root-owned audit.db read by an admin),
 * can be read. A store is in WAL mode, and a WAL reader needs the -shm index beside the file: when
 * it exists (a writer is active, or was killed) SQLite reads it even without write access
 * (sqlite.org/wal.html#readonly, since 3.22.0); when it does not and the directory is not writable,
 * SQLite cannot create it and refuses (SQLITE_READONLY_DIRECTORY or SQLITE_CANTOPEN). Then, and
 * only if there is no -wal with content, the file is opened `immutable=1` (sqlite.org/uri.html#uriimmutable):
 * no locks, no -shm, no WAL read. That is exact here: with no WAL every committed transaction is in
 * the database file, and no writer can be working in a directory nobody may create its -wal in.
 * With a -wal that has content, immutable would silently miss the transactions in it (tried: "no
 * such table" on a store whose first commit was still in its WAL), so that case is an error that
 * says what to do.
 */
function openReader(path: string, opts: SqliteOptions): Db {
  let db: Db | undefined;
  try {
    db = withUriFilenames(() => new Database(path, { readonly: true, fileMustExist: true, timeout: opts.busyTimeoutMs }));
    db.pragma('schema_version');
    return db;
  } catch (e) {
    db?.close();
    if (!isReadOnlyRefusal(e)) throw e;
    try {
      accessSync(path, fsConstants.R_OK);
    } catch (ea) {
      throw new StoreError('E_STORE_OPEN', `store ${path}: open to read: cannot read the file (${(ea as NodeJS.ErrnoException).code ?? String(ea)})`, { cause: ea });
    }
    const walBytes = fileSize(`${path}-wal`);
    if (walBytes > 0) {
      throw new StoreError(
        'E_STORE_OPEN',
        `store ${path}: open to read: ${e instanceof Error ? e.message : String(e)}; its WAL (${path}-wal, ${walBytes} bytes) holds transactions that need ${path}-shm, which cannot be created here: read it where its directory is writable, or have its writer close it first (that folds the WAL into the file)`,
        { cause: e },
      );
    }
    try {
      db = openImmutable(path, opts.busyTimeoutMs);
      db.pragma('schema_version');
    } catch (e2) {
      db?.close();
      throw new StoreError('E_STORE_OPEN', `store ${path}: open to read: ${e instanceof Error ? e.message : String(e)}, and the file could not be opened immutable either (${e2 instanceof Error ? e2.message : String(e2)}); copy it into a writable directory and read the copy`, { cause: e2 });
    }
    opts.warn?.(`store ${path}: its directory is not writable, so it was opened immutable (no lock file): a run writing to it now would not be seen`);
    return db;
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/**
 * better-sqlite3 compiles SQLite with SQLITE_USE_URI=0 and turns URI filenames on only when the
 * environment says SQLITE_USE_URI=1 at the moment it loads its addon: once per process, at the
 * first `new Database`. A reader's first open is therefore made with the variable set, and it is
 * taken away again at once. A store path is absolute (open.ts), so no path in the process starts
 * with "file:" and reads differently. If the addon was loaded before without it (a process that
 * opened another database first), the immutable open fails (SQLITE_CANTOPEN) and the caller says so.
 */
function withUriFilenames<T>(f: () => T): T {
  const was = process.env['SQLITE_USE_URI'];
  if (was === undefined) process.env['SQLITE_USE_URI'] = '1';
  try {
    return f();
  } finally {
    if (was === undefined) delete process.env['SQLITE_USE_URI'];
  }
}

function openImmutable(path: string, busyMs: number): Db {
  // pathToFileURL percent-encodes '?', '#' and '%' in the path, as a URI filename needs.
  return new Database(`${pathToFileURL(path).href}?immutable=1`, { readonly: true, fileMustExist: true, timeout: busyMs });
}

/**
 * Apply the missing migrations and return the schema version in effect. A reader (readOnly) never
 * writes: it reads an older schema as it is (hostPage then reads records instead of briefs).
 */
function migrate(db: Db, readOnly: boolean): number {
  const has = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get() !== undefined;
  const current = has ? ((db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null }).v ?? 0) : 0;
  const latest = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
  if (current > latest) throw new StoreError('E_STORE_OPEN', `store schema version ${current} is newer than this mxprobe knows (${latest}); upgrade mxprobe`);
  if (current === latest) return current;
  if (readOnly) {
    if (current === 0) throw new StoreError('E_STORE_NOT_FOUND', 'the file is an SQLite database but not an mxprobe store (no schema_migrations)');
    return current;
  }
  // IMMEDIATE: two processes opening a fresh file at once take turns; the second sees the first's work.
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
    const now = (db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null }).v ?? 0;
    for (const m of MIGRATIONS) {
      if (m.version <= now) continue;
      db.exec(m.sqlite);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, new Date().toISOString());
    }
    db.exec('COMMIT');
  } catch (e) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw e;
  }
  return latest;
}

/** A probe record reduced to BRIEF_PROBE_FIELDS (+ capabilities.plain), built by SQLite's JSON functions. */
const BRIEF_SQLITE = `json_object(${BRIEF_PROBE_FIELDS.map((f) => `'${f}', json_extract(p.record, '$.${f}')`).join(', ')}, 'capabilities', json_object('plain', json_extract(p.record, '$.capabilities.plain'), 'tls', json_extract(p.record, '$.capabilities.tls')))`;

/**
 * `history TARGET`: the hosts whose target key is TARGET (lower case), whose exchange is TARGET
 * (as given or lower case), or whose IP is TARGET. (The target's domain needs no term of its own:
 * a domain target's key is its domain in lower case.) A UNION of one lookup per key, each run by
 * run (CROSS JOIN: SQLite keeps runs as the outer loop, sqlite.org/optoverview.html#crossjoin)
 * through an index led by run_id (hosts_run_key: an hkey is the tkey, U+001F, ...; migration
 * 7: hosts_run_exchange, hosts_run_ip), instead of one OR over the columns, which no index serves
 * (a scan of every stored host). test/store/history-plan.test.ts checks the plan.
 */
export const HISTORY_SQL_SQLITE = `SELECT h.id, h.run_id, h.hkey, h.tkey, h.record, r.started_at FROM hosts h JOIN runs r ON r.id = h.run_id
WHERE h.id IN (
  SELECT k.id FROM runs kr CROSS JOIN hosts k ON k.run_id = kr.id AND k.hkey >= :q || char(31) AND k.hkey < :q || char(32) WHERE k.tkey = :q
  UNION ALL SELECT k.id FROM runs kr CROSS JOIN hosts k ON k.run_id = kr.id AND k.exchange IN (:q, :raw)
  UNION ALL SELECT k.id FROM runs kr CROSS JOIN hosts k ON k.run_id = kr.id AND k.ip = :raw
)
ORDER BY h.hkey, r.started_at, h.id LIMIT :limit`;

/**
 * `history DOMAIN`'s target records (MTA-STS, TLS-RPT): run by run (CROSS JOIN keeps runs as the
 * outer loop), each run's target found through targets_run_key (run_id, tkey), as HISTORY_SQL_SQLITE
 * finds hosts. Migration 9 dropped the global index on tkey alone that the query used before: it
 * served only this query, and every stored target paid an insert into it at a random place in a
 * b-tree that grows with every run the store keeps. test/store/history-plan.test.ts checks the plan.
 */
export const TARGET_HISTORY_SQL_SQLITE = 'SELECT t.run_id, t.tkey, t.record, r.started_at FROM runs r CROSS JOIN targets t ON t.run_id = r.id AND t.tkey = ? ORDER BY r.started_at, t.id LIMIT ?';

/** About how many bytes a batch adds to the WAL: its text columns (the records dominate). */
function rowBytes(rows: RowBatch<RecordText>): number {
  let n = 0;
  for (const { h, probes } of rows.hosts) {
    n += h.record.length + h.brief.length;
    for (const p of probes) n += p.record.length;
  }
  for (const t of rows.targets) n += t.record.length;
  return n;
}

class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  private readonly pageStmts = new Map<string, Database.Statement>();
  constructor(
    private readonly db: Db,
    readonly label: string,
    private readonly busyMs: number,
    /** The schema version in effect: below 3 (an older store opened to read), no usable briefs. */
    private readonly schema: number,
    private readonly ck: ReturnType<typeof lazyCheckpointer> | null = null,
  ) {}

  private stmt(sql: string): Database.Statement {
    let s = this.pageStmts.get(sql);
    if (!s) this.pageStmts.set(sql, (s = this.db.prepare(sql)));
    return s;
  }

  private guard<T>(what: string, f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof StoreError) throw e;
      const err = explain(this.label, e, what, this.busyMs);
      throw new StoreError(err.code === 'E_STORE_LOCKED' ? 'E_STORE_LOCKED' : what === 'write' ? 'E_STORE_WRITE' : 'E_STORE_READ', err.message, { cause: e });
    }
  }

  async beginRun(meta: RunMetaIn): Promise<RunWriter> {
    const db = this.db;
    const id = this.guard('write', () => insertRunRow(db, meta));
    // CAST(? AS TEXT): a record or brief comes as a string or as its UTF-8 bytes (a Buffer view of
    // RecordPack's, rows.ts), which better-sqlite3 binds as a BLOB; the cast stores those bytes as
    // the same TEXT a string gives (sqlite.org/lang_expr.html#castexpr), and leaves TEXT as it is.
    const insHost = db.prepare('INSERT INTO hosts (run_id, hkey, tkey, target_input, domain, exchange, ip, port, family, record, brief) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS TEXT), CAST(? AS TEXT))');
    const insProbe = db.prepare(INSERT_PROBE.replace(/\?\)$/, 'CAST(? AS TEXT))'));
    const insTarget = db.prepare(INSERT_TARGET);
    const finish = db.prepare('UPDATE runs SET finished_at = ?, state = ?, target_count = ?, host_count = ?, probe_count = ?, targets_digest = ? WHERE id = ?');
    const vantage = meta.vantage;
    // One transaction per batch: one fsync per batch instead of per row.
    const batch = db.transaction((rows: RowBatch<RecordText>) => {
      for (const { h, probes } of rows.hosts) {
        const hostId = insHost.run(id, h.hkey, h.tkey, h.targetInput, h.domain, h.exchange, h.ip, h.port, h.family, h.record, h.brief).lastInsertRowid;
        for (const r of probes) {
          insProbe.run(hostId, id, r.seq, vantage, h.domain, h.exchange, h.ip, h.port, r.identityKind, r.identityName, r.source, r.status, r.outcome, r.stage, r.code, r.cause, r.tlsVersion, r.certFingerprint, r.certNotAfter, r.starttlsOffered === null ? null : r.starttlsOffered ? 1 : 0, r.record);
        }
      }
      for (const r of rows.targets) insTarget.run(id, r.tkey, r.input, r.origin, r.kind, r.domain, r.port, r.dnsStatus, r.record);
    });
    const guard = this.guard.bind(this);
    const ck = this.ck;
    // See RUN_CACHE_MIN_KIB: the cache grows with the bytes this run committed.
    let cacheKib = RUN_CACHE_MIN_KIB;
    let written = 0;
    db.pragma(`cache_size = -${cacheKib}`);
    const committed = (rows: RowBatch<RecordText>) => {
      const n = rowBytes(rows);
      written += n;
      ck?.committed(n);
      const want = Math.min(RUN_CACHE_MAX_KIB, Math.floor(written / 4 / 1024));
      if (want > cacheKib) {
        cacheKib = want;
        db.pragma(`cache_size = -${cacheKib}`);
      }
    };
    return {
      runId: id,
      async writeBatch(hosts, targets) {
        const rows = batchRows(hosts, targets);
        guard('write', () => batch.immediate(rows));
        committed(rows);
      },
      async writeRows(rows) {
        guard('write', () => batch.immediate(rows));
        committed(rows);
      },
      // Consumed here, synchronously, before the promise resolves: the sink may then reuse the buffers.
      async writePacked(rows) {
        guard('write', () => batch.immediate(rows));
        committed(rows);
      },
      async finish(info) {
        guard('write', () => finish.run(info.finishedAt, info.state, info.targetCount, info.hostCount, info.probeCount, info.targetsDigest, id));
      },
    };
  }

  async beginImport(meta: RunMetaIn): Promise<ImportWriter> {
    return sqliteImportWriter(this.db, meta, this.guard.bind(this));
  }

  async listRuns(limit: number): Promise<RunRow[]> {
    return this.guard('read', () => (this.db.prepare(`${RUNS_SELECT} ORDER BY r.started_at DESC, r.id DESC LIMIT ?`).all(limit) as Record<string, unknown>[]).map(runFromRow));
  }

  async getRun(id: number): Promise<RunRow | null> {
    const r = this.guard('read', () => this.db.prepare(`${RUNS_SELECT} WHERE r.id = ?`).get(id) as Record<string, unknown> | undefined);
    return r ? runFromRow(r) : null;
  }

  private withProbes(rows: Array<Record<string, unknown>>): Array<StoredHost & { startedAt?: string }> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => Number(r['id']));
    const probes = this.db.prepare('SELECT host_id, record FROM probes WHERE host_id IN (SELECT value FROM json_each(?)) ORDER BY host_id, seq').all(JSON.stringify(ids)) as Array<{ host_id: number; record: string }>;
    const byHost = new Map<number, string[]>();
    for (const p of probes) {
      let list = byHost.get(p.host_id);
      if (!list) byHost.set(p.host_id, (list = []));
      list.push(p.record);
    }
    return rows.map((r) => {
      const { host, target } = hostFromRecords(r['record'], byHost.get(Number(r['id'])) ?? []);
      return { hkey: String(r['hkey']), tkey: String(r['tkey']), runId: Number(r['run_id']), target, host, ...(r['started_at'] !== undefined ? { startedAt: String(r['started_at']) } : {}) };
    });
  }

  async hostPage(runId: number, afterKey: string | null, limit: number, opts?: { brief?: boolean }): Promise<StoredHost[]> {
    return this.guard('read', () => {
      // One ordered query per page: the page of hosts joined with their probes (probes_host index),
      // not a second query per page. `brief`: a host written with a brief column (migration 2) is
      // read from it alone; an older one is joined with its probes, projected in SQLite (C) so only
      // the compared fields reach JSON.parse.
      const brief = opts?.brief === true;
      if (brief) return this.briefPage(runId, afterKey, limit);
      const sql = `SELECT h.id, h.run_id, h.hkey, h.tkey, NULL AS brief, h.record, p.record AS prec FROM
        (SELECT id, run_id, hkey, tkey, record FROM hosts WHERE run_id = ? ${afterKey === null ? '' : 'AND hkey > ?'} ORDER BY hkey, id LIMIT ?) h
        LEFT JOIN probes p ON p.host_id = h.id ORDER BY h.hkey, h.id, p.seq`;
      let stmt = this.pageStmts.get(sql);
      if (!stmt) this.pageStmts.set(sql, (stmt = this.db.prepare(sql)));
      const args = afterKey === null ? [runId, limit] : [runId, afterKey, limit];
      return groupHostRows(stmt.iterate(...args) as IterableIterator<Record<string, unknown>>);
    });
  }

  /**
   * A page for diff: the hosts' briefs only (one index range scan, no join, no sort), parsed
   * lazily (rows.ts lazyBriefHost). Hosts without a usable brief (written before migration 3, or
   * the whole page when an older store is opened to read) are then read from their records in one
   * more query, each probe record projected by SQLite to the compared fields.
   */
  private briefPage(runId: number, afterKey: string | null, limit: number): StoredHost[] {
    const col = this.schema >= 3 ? 'brief' : 'NULL AS brief';
    const rows = (
      afterKey === null
        ? this.stmt(`SELECT id, run_id, hkey, tkey, ${col} FROM hosts WHERE run_id = ? ORDER BY hkey, id LIMIT ?`).all(runId, limit)
        : this.stmt(`SELECT id, run_id, hkey, tkey, ${col} FROM hosts WHERE run_id = ? AND hkey > ? ORDER BY hkey, id LIMIT ?`).all(runId, afterKey, limit)
    ) as Array<{ id: number; run_id: number; hkey: string; tkey: string; brief: string | null }>;
    const missing = rows.filter((r) => r.brief === null).map((r) => r.id);
    const fromRecords = new Map<number, StoredHost>();
    if (missing.length > 0) {
      const full = groupHostRows(
        this.stmt(
          `SELECT h.id, h.run_id, h.hkey, h.tkey, NULL AS brief, h.record, ${BRIEF_SQLITE} AS prec FROM hosts h LEFT JOIN probes p ON p.host_id = h.id
           WHERE h.id IN (SELECT value FROM json_each(?)) ORDER BY h.id, p.seq`,
        ).iterate(JSON.stringify(missing)) as IterableIterator<Record<string, unknown>>,
      );
      // The query returns them in id order, one StoredHost per id.
      [...missing].sort((x, y) => x - y).forEach((id, i) => fromRecords.set(id, full[i]!));
    }
    return rows.map((r) => (r.brief === null ? fromRecords.get(r.id)! : lazyBriefHost({ hkey: r.hkey, tkey: r.tkey, runId: r.run_id, brief: r.brief })));
  }

  async targetPage(runId: number, afterKey: string | null, limit: number): Promise<StoredTarget[]> {
    return this.guard('read', () => {
      const rows = (
        afterKey === null
          ? this.db.prepare('SELECT run_id, tkey, record FROM targets WHERE run_id = ? ORDER BY tkey, id LIMIT ?').all(runId, limit)
          : this.db.prepare('SELECT run_id, tkey, record FROM targets WHERE run_id = ? AND tkey > ? ORDER BY tkey, id LIMIT ?').all(runId, afterKey, limit)
      ) as Array<{ run_id: number; tkey: string; record: string }>;
      return rows.map((r) => lazyTarget({ runId: r.run_id, tkey: r.tkey, record: r.record }));
    });
  }

  async history(query: string, limit: number): Promise<HistoryEntry[]> {
    return this.guard('read', () => {
      const rows = this.db.prepare(HISTORY_SQL_SQLITE).all({ q: query.toLowerCase(), raw: query, limit }) as Array<Record<string, unknown>>;
      return this.withProbes(rows) as HistoryEntry[];
    });
  }

  async targetHistory(tkey: string, limit: number): Promise<Array<StoredTarget & { startedAt: string }>> {
    return this.guard('read', () => {
      const rows = this.db.prepare(TARGET_HISTORY_SQL_SQLITE).all(tkey.toLowerCase(), limit) as Array<{ run_id: number; tkey: string; record: string; started_at: string }>;
      return rows.map((r) => ({ runId: r.run_id, tkey: r.tkey, startedAt: r.started_at, target: JSON.parse(r.record) as StoredTarget['target'] }));
    });
  }

  async prune(before: string, runningBefore: string): Promise<{ pruned: number; keptRunning: number }> {
    return this.guard('write', () =>
      this.db.transaction(() => {
        const pruned = this.db.prepare("DELETE FROM runs WHERE started_at < ? AND (state <> 'running' OR started_at < ?)").run(before, runningBefore).changes;
        const kept = this.db.prepare("SELECT count(*) AS n FROM runs WHERE started_at < ? AND state = 'running'").get(before) as { n: number };
        return { pruned, keptRunning: kept.n };
      })(),
    );
  }

  async close(): Promise<void> {
    // The checkpointer copies what is left first; closing the last connection then has nothing
    // to copy (it still checkpoints whatever the thread could not, e.g. when it failed).
    await this.ck?.close().catch(() => {});
    this.db.close();
  }
}
