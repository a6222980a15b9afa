/**
 * The results store: every run, as it streams, in SQLite (embedded) or PostgreSQL (teams, fleets).
 * One interface, two implementations (sqlite.ts, pg.ts), the same numbered migrations (migrations.ts).
 *
 * Keys: a target is keyed by `tkey` (its A-label domain, or the input for IP/host targets, lower
 * case); a host by `hkey` = tkey, exchange, ip and port joined by U+001F. Cursors return rows in
 * byte order of those keys (SQLite BINARY, PostgreSQL COLLATE "C"), which `compareKeys` mirrors, so
 * two runs can be merge-joined without holding either in memory.
 */
import { hash } from 'node:crypto';
import { MxprobeError } from '../errors.js';
import type { HostResult, MxEntry, TargetKind, TargetResult } from '../results.js';
import type { HostStrings } from './serialise.js';
import type { RecordText, RowBatch } from './rows.js';

/** A store could not be opened, written or read. `E_STORE_OPEN` and `E_STORE_LOCKED` happen before probing. */
export class StoreError extends MxprobeError {
  constructor(code: 'E_STORE_URL' | 'E_STORE_OPEN' | 'E_STORE_LOCKED' | 'E_STORE_WRITE' | 'E_STORE_READ' | 'E_STORE_NOT_FOUND', message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

export type RunState = 'running' | 'complete' | 'interrupted' | 'failed';

export interface RunRow {
  id: number;
  startedAt: string;
  finishedAt: string | null;
  toolVersion: string;
  options: Record<string, unknown>;
  vantage: string | null;
  state: RunState;
  /** The file a run was imported from; null for a run written by `probe --store`. */
  source: string | null;
  targetCount: number;
  hostCount: number;
  probeCount: number;
  /** Order-independent digest of the set of target keys: equal digests = the same targets. */
  targetsDigest: string | null;
  /** The host and pid of the `probe --store` process that wrote it (migration 10); null for imports and older runs. */
  writerHost?: string | null;
  writerPid?: number | null;
}

export interface RunMetaIn {
  startedAt: string;
  toolVersion: string;
  options: Record<string, unknown>;
  vantage: string | null;
  source: string | null;
}

/** The target part a host record carries (results.ts NdjsonRecord 'host'). */
export interface HostTarget {
  input: string;
  origin: string;
  kind: TargetKind;
  domain: string | null;
  mx: MxEntry[];
}

/** A host as stored: the full HostResult (probes included) plus its keys. */
export interface StoredHost {
  hkey: string;
  tkey: string;
  runId: number;
  target: { input: string; domain: string | null };
  host: HostResult;
  /** The brief column as stored, when the host was read from it (equal briefs = equal facts). */
  brief?: string;
}

/** A target as stored (without its hosts). */
export interface StoredTarget {
  tkey: string;
  runId: number;
  target: Omit<TargetResult, 'hosts'>;
  /** The record column as stored, when read for a diff (equal records = equal targets). */
  raw?: string;
}

/** A host record in a run, for `history`: when it was seen. */
export interface HistoryEntry extends StoredHost {
  startedAt: string;
}

export interface RunWriter {
  readonly runId: number;
  /** Write a batch in one transaction. Resolves when committed. */
  /** `pre`: the host's record strings already made (serialise.ts), reused instead of made again. */
  writeBatch(hosts: ReadonlyArray<{ host: HostResult; target: HostTarget; pre?: HostStrings | null }>, targets: readonly TargetResult[]): Promise<void>;
  /** The same, from rows already built (rows.ts batchRows). */
  writeRows(rows: RowBatch): Promise<void>;
  /**
   * The same for a batch whose large text columns may be views of RecordPack's reused buffers
   * (rows.ts): only a writer that consumes a batch before its promise resolves and keeps none of
   * it (the in-thread SQLite writer; PostgreSQL's, whose COPY encoder copies the views' bytes into
   * its own buffer, pg.ts / pg-copy.ts) has this; StoreSink then packs the rows it holds.
   */
  writePacked?(rows: RowBatch<RecordText>): Promise<void>;
  finish(info: { finishedAt: string; state: RunState; targetCount: number; hostCount: number; probeCount: number; targetsDigest: string }): Promise<void>;
}

/**
 * A host record being imported: `ikey` is its merge key within the run (report/load.ts merges
 * host records of the same target input + origin, IP and port), null when the format never
 * merges (the JSON document). Stored in hosts.import_key (migration 3) so the merge state lives in
 * the database, not in memory.
 */
export interface ImportHost {
  ikey: string | null;
  host: HostResult;
  target: HostTarget;
}

/** `store import`, streamed: the run is written batch by batch and merged in the database. */
export interface ImportWriter {
  readonly runId: number;
  /** The hosts of this run already stored under these merge keys, with their probes (seq order). */
  existing(ikeys: readonly string[]): Promise<Map<string, { id: number; host: HostResult }>>;
  /**
   * One transaction: insert new hosts, rewrite merged ones (record, brief, probes), insert targets.
   * With `firstWins`, a target whose input + origin is already in the run is skipped (a resumed
   * part repeats the target record). Returns the target keys (tkey) actually inserted.
   */
  writeBatch(batch: { insert: readonly ImportHost[]; replace: ReadonlyArray<ImportHost & { id: number }>; targets: readonly TargetResult[]; firstWins: boolean }): Promise<string[]>;
  finish(info: { finishedAt: string; state: RunState; targetCount: number; hostCount: number; probeCount: number; targetsDigest: string }): Promise<void>;
  /** Delete the run and everything written for it (bad input found mid-file). */
  discard(): Promise<void>;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** A redacted description for messages (no password). */
  readonly label: string;
  beginRun(meta: RunMetaIn): Promise<RunWriter>;
  /** Start a streamed import (state 'running' until finish()). */
  beginImport(meta: RunMetaIn): Promise<ImportWriter>;
  listRuns(limit: number): Promise<RunRow[]>;
  getRun(id: number): Promise<RunRow | null>;
  /**
   * Hosts of a run in hkey order, from after `afterKey`, at most `limit`. With `brief`, each probe
   * holds only the fields `diffHost` compares (BRIEF_PROBE_FIELDS), projected by the database, so
   * a diff of 100k hosts does not parse every transcript, greeting and timing twice.
   */
  hostPage(runId: number, afterKey: string | null, limit: number, opts?: { brief?: boolean }): Promise<StoredHost[]>;
  /** Targets of a run in tkey order, from after `afterKey`, at most `limit`. */
  targetPage(runId: number, afterKey: string | null, limit: number): Promise<StoredTarget[]>;
  /** Every stored host whose target domain, exchange or IP is `query`, by hkey then run start. */
  history(query: string, limit: number): Promise<HistoryEntry[]>;
  /**
   * Every stored record of the target whose key (lower-case domain, or input) is `tkey`, by run
   * start: the domain-level facts (MX set, MTA-STS, TLS-RPT) for `history`.
   */
  targetHistory(tkey: string, limit: number): Promise<Array<StoredTarget & { startedAt: string }>>;
  /**
   * Delete runs that started before `before` (ISO). A run still 'running' is deleted only when it
   * also started before `runningBefore`: it may be a long run being written right now (deleting
   * it would make its next batch fail), or one whose process was killed (it must still go, later).
   * Returns how many runs were deleted, and how many running ones older than `before` were kept.
   */
  prune(before: string, runningBefore: string): Promise<{ pruned: number; keptRunning: number }>;
  close(): Promise<void>;
}

/**
 * The probe fields `diffHost` (store/diff.ts) reads: identity, vantage (a fleet run's relay: diff.ts
 * splitByVantage), status, verdict, greylistRetry,
 * error, banner, capabilities.plain and .tls, tls, alignment. A brief host page carries only these; keep this list in
 * step with diff.ts (test/store/diff.test.ts compares a brief diff with a full one).
 */
export const BRIEF_PROBE_FIELDS = ['identity', 'vantage', 'status', 'verdict', 'greylistRetry', 'error', 'banner', 'tls', 'alignment'] as const;

/** Byte order of the UTF-8 encoding (= code point order): SQLite BINARY and PostgreSQL "C" collation. */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

const SEP = '\u001f';

export function targetKey(t: { domain: string | null; input: string }): string {
  return (t.domain ?? t.input).toLowerCase();
}

export function hostKey(tkey: string, h: { exchange: string; ip: string; port: number }): string {
  return [tkey, h.exchange.toLowerCase(), h.ip, String(h.port)].join(SEP);
}

/**
 * A readable form of an hkey: "example.org mx1.example.org 192.0.2.1:25"; the target's name is
 * left out when it is the exchange ("mx1.example.org 192.0.2.1:25", a host-name target), and a
 * bare-address target (192.0.2.1, 192.0.2.1:2525, [2001:db8::1]:25) reads as its address alone
 * ("192.0.2.1:2525"), not as the address three times.
 */
export function showHostKey(hkey: string): string {
  const [t, ex, ip, port] = hkey.split(SEP);
  const addr = ip !== undefined && ip.includes(':') ? `[${ip}]` : ip;
  const at = `${addr}:${port}`;
  if (ex !== undefined && ip !== undefined && ex === ip.toLowerCase()) {
    // No MX name: the exchange is the address itself (an IP target).
    const lower = ip.toLowerCase();
    return t === lower || t === `[${lower}]` || t === at.toLowerCase() ? at : `${t} ${at}`;
  }
  return t === ex ? `${ex} ${at}` : `${t} ${ex} ${at}`;
}

/**
 * An order-independent digest of a set of keys, kept in O(1) memory while a run streams: the sum
 * (mod 2^52) of a 52-bit prefix of each key's SHA-1, plus the count. Equal sets give equal digests;
 * a collision between two different target lists is astronomically unlikely.
 */
/** A key's share of a KeySetDigest: the first 52 bits of its SHA-1. */
export function keyHash(key: string): number {
  // crypto.hash: the one-shot form (no Hash object per key), the same digest as createHash.
  return parseInt(hash('sha1', key, 'hex').slice(0, 13), 16);
}

export class KeySetDigest {
  private sum = 0;
  private count = 0;
  add(key: string): void {
    this.addHash(keyHash(key));
  }
  /** Add a key by its keyHash(), computed once where the key is used twice (rows.ts targetRow). */
  addHash(h: number): void {
    this.sum = (this.sum + h) % 2 ** 52;
    this.count++;
  }
  get size(): number {
    return this.count;
  }
  digest(): string {
    return `${this.count}:${this.sum.toString(16)}`;
  }
}
