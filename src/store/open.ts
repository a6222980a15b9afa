/**
 * `--store <url>`: `sqlite:PATH`, a bare path ending in .db/.sqlite/.sqlite3, or
 * `postgres://…` / `postgresql://…`. `MXPROBE_STORE` gives the default. The pg driver is loaded
 * only when a PostgreSQL URL is given, better-sqlite3 only for an SQLite one.
 */
import { resolve as resolvePath } from 'node:path';
import { StoreError, type Store } from './types.js';

export type StoreUrl = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

export function parseStoreUrl(spec: string, cwd: string): StoreUrl {
  const s = spec.trim();
  if (/^postgres(ql)?:\/\//i.test(s)) return { kind: 'postgres', url: s };
  if (/^sqlite:/i.test(s)) {
    const path = s.replace(/^sqlite:(\/\/)?/i, '');
    if (path === '') throw new StoreError('E_STORE_URL', `${spec}: sqlite: needs a path (sqlite:audit.db)`);
    return { kind: 'sqlite', path: resolvePath(cwd, path) };
  }
  if (/\.(db|sqlite|sqlite3)$/i.test(s) && !/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) return { kind: 'sqlite', path: resolvePath(cwd, s) };
  throw new StoreError('E_STORE_URL', `${spec}: not a store URL; use sqlite:PATH, a path ending in .db, or postgres://user:password@host/db`);
}

export interface OpenStoreOptions {
  cwd: string;
  env: Record<string, string | undefined>;
  readOnly?: boolean;
  /** SQLite: the file must exist already (a command that changes a store but never starts one). */
  mustExist?: boolean;
  /** SQLite: checkpoint the WAL in a thread of its own (sqlite.ts, checkpointer.ts). */
  backgroundCheckpoint?: boolean;
  /** ... once this many bytes of rows were committed (default 1 MB). */
  checkpointAfterBytes?: number;
  /** A reader's notes on how it opened the store (SQLite: immutable, sqlite.ts openReader). */
  warn?: (message: string) => void;
}

/** How long an SQLite writer waits for a lock held by another process (MXPROBE_STORE_BUSY_MS). */
/** MXPROBE_STORE_BUSY_MS, else 15 s. (Number('') is 0: an unset variable must not mean "no wait".) */
export function busyMs(env: Record<string, string | undefined>): number {
  const raw = env['MXPROBE_STORE_BUSY_MS']?.trim();
  if (raw === undefined || raw === '') return 15_000;
  const v = Number(raw);
  return Number.isInteger(v) && v >= 0 ? v : 15_000;
}

/** Load the driver module a store URL needs (better-sqlite3 or pg), without opening anything. */
export async function loadDriver(spec: string, cwd: string): Promise<void> {
  const u = parseStoreUrl(spec, cwd);
  if (u.kind === 'sqlite') await import('./sqlite.js');
  else await importPg();
}

export async function openStore(spec: string, opts: OpenStoreOptions): Promise<Store> {
  const u = parseStoreUrl(spec, opts.cwd);
  if (u.kind === 'sqlite') {
    const { openSqliteStore } = await import('./sqlite.js');
    return openSqliteStore(u.path, { busyTimeoutMs: busyMs(opts.env), ...(opts.readOnly ? { readOnly: true } : {}), ...(opts.mustExist ? { mustExist: true } : {}), ...(opts.backgroundCheckpoint ? { backgroundCheckpoint: true } : {}), ...(opts.checkpointAfterBytes !== undefined ? { checkpointAfterBytes: opts.checkpointAfterBytes } : {}), ...(opts.warn ? { warn: opts.warn } : {}) });
  }
  const { openPgStore } = await importPg();
  return openPgStore(u.url, { connectTimeoutMs: 10_000, ...(opts.readOnly ? { readOnly: true } : {}) });
}

/** The store URL from the flag or MXPROBE_STORE, or undefined for neither. */
/**
 * Where the store came from, for messages: a user who never typed --store must be pointed at the
 * variable that set it.
 */
export function storeSource(flag: string | undefined): '--store' | 'MXPROBE_STORE' {
  return flag === undefined ? 'MXPROBE_STORE' : '--store';
}

export function storeSpec(flag: string | undefined, env: Record<string, string | undefined>): string | undefined {
  const v = flag ?? env['MXPROBE_STORE'];
  return v === undefined || v.trim() === '' ? undefined : v;
}

/**
 * Load pg without loading Node's fetch. pg decides at load time whether it runs in a Cloudflare
 * Worker (pg/lib/stream.js isCloudflareRuntime): when there is no global `navigator` (Node 20) it
 * constructs a fetch `Response`, which loads undici, Node's whole fetch implementation: ~0.1 s of
 * CPU in every process that opens a PostgreSQL store (measured: `import('pg')` 108 ms CPU on Node
 * 20), ~4% of a 2000-host `probe --store` run. Node >= 21 defines `navigator` (userAgent
 * "Node.js/<major>"), where the check is one comparison; on an older Node the same object is
 * defined while pg loads and removed after. Nothing else runs in between: the store is opened
 * before any probing starts.
 */
async function importPg(): Promise<typeof import('./pg.js')> {
  const g = globalThis as { navigator?: unknown };
  if (g.navigator !== undefined) return import('./pg.js');
  Object.defineProperty(globalThis, 'navigator', { value: { userAgent: `Node.js/${process.versions.node.split('.')[0]}` }, configurable: true, writable: true, enumerable: false });
  try {
    return await import('./pg.js');
  } finally {
    delete g.navigator;
  }
}
