/**
 * The --queue URL: redis://[user:password@]host[:port][/db] or rediss:// (TLS). Checked up front
 * so a typo is a usage error naming the flag, and printed only with its password masked.
 */
import { UsageError } from '../errors.js';

export interface RedisTarget {
  tls: boolean;
  host: string;
  port: number;
  username: string | null;
  password: string | null;
  db: number;
}

export function parseRedisUrl(url: string, flag = '--queue'): RedisTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`${flag}: "${url.replace(/\/\/[^@/]*@/, "//***@")}" is not a URL (expected redis://host:6379[/db] or rediss://…)`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new UsageError(`${flag}: "${u.protocol}" is not redis: or rediss:`);
  if (!u.hostname) throw new UsageError(`${flag}: no host in "${redactRedisUrl(url)}"`);
  const path = u.pathname.replace(/^\//, '');
  const db = path === '' ? 0 : Number(path);
  if (!/^\d*$/.test(path) || !Number.isInteger(db) || db > 10_000) throw new UsageError(`${flag}: "/${path}" is not a database number`);
  return {
    tls: u.protocol === 'rediss:',
    host: u.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: u.port === '' ? 6379 : Number(u.port),
    username: u.username ? decodeURIComponent(u.username) : null,
    password: u.password ? decodeURIComponent(u.password) : null,
    db,
  };
}

/** The URL without its password, for messages and recorded options. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(invalid URL)';
  }
}
