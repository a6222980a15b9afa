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
    if (path === '') throw new StoreError('E_STORE_URL', `--store ${spec}: sqlite: needs a path (sqlite:audit.db)`);
    return { kind: 'sqlite', path: resolvePath(cwd, path) };
  }
  if (/\.(db|sqlite|sqlite3)$/i.test(s) && !/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) return { kind: 'sqlite', path: resolvePath(cwd, s) };
  throw new StoreError('E_STORE_URL', `--store ${spec}: not a store URL; use sqlite:PATH, a path ending in .db, or postgres://user:password@host/db`);
}

export interface OpenStoreOptions {
  cwd: string;
  env: Record<string, string | undefined>;
  readOnly?: boolean;
}

/** How long an SQLite writer waits for a lock held by another process (MXPROBE_STORE_BUSY_MS). */
/** MXPROBE_STORE_BUSY_MS, else 15 s. (Number('') is 0: an unset variable must not mean "no wait".) */
export function busyMs(env: Record<string, string | undefined>): number {
  const raw = env['MXPROBE_STORE_BUSY_MS']?.trim();
  if (raw === undefined || raw === '') return 15_000;
  const v = Number(raw);
  return Number.isInteger(v) && v >= 0 ? v : 15_000;
}

export async function openStore(spec: string, opts: OpenStoreOptions): Promise<Store> {
  const u = parseStoreUrl(spec, opts.cwd);
  if (u.kind === 'sqlite') {
    const { openSqliteStore } = await import('./sqlite.js');
    return openSqliteStore(u.path, { busyTimeoutMs: busyMs(opts.env), ...(opts.readOnly ? { readOnly: true } : {}) });
  }
  const { openPgStore } = await import('./pg.js');
  return openPgStore(u.url, { connectTimeoutMs: 10_000, ...(opts.readOnly ? { readOnly: true } : {}) });
}

/** The store URL from the flag or MXPROBE_STORE, or undefined for neither. */
export function storeSpec(flag: string | undefined, env: Record<string, string | undefined>): string | undefined {
  const v = flag ?? env['MXPROBE_STORE'];
  return v === undefined || v.trim() === '' ? undefined : v;
}
