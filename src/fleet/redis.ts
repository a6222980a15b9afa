/**
 * Redis connections for the fleet, all ioredis (the driver BullMQ is built on): one per BullMQ
 * Queue, Worker or QueueEvents (bull.ts), and one command connection for the leases and the
 * heartbeats. ioredis reconnects by itself after Redis restarts (retryStrategy) and understands
 * redis://user:pass@host:port/db and rediss:// (TLS); a private CA comes from --queue-ca.
 */
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { Redis, type RedisOptions } from 'ioredis';
import { UsageError } from '../errors.js';
import { readSmallTextFile, SMALL_FILE_MAX } from '../io/small-file.js';
import { parseRedisUrl, redactRedisUrl } from './url.js';

export interface RedisSpec {
  url: string;
  /** rediss:// with a private CA (or other TLS options). */
  tls?: ConnectionOptions;
}

/** Reads --queue and --queue-ca into a spec; throws UsageError for a bad URL or an unreadable CA. */
export function redisSpec(url: string, caFile?: string): RedisSpec {
  parseRedisUrl(url);
  if (caFile === undefined) return { url };
  // PEM text (node:tls takes no DER here), with a cap: /dev/zero or a disk image given by mistake
  // grew the process without bound in one synchronous read. A CA bundle is a few hundred KiB.
  return { url, tls: { ca: readSmallTextFile(caFile, '--queue-ca', SMALL_FILE_MAX, 'not a PEM CA file') } };
}

/** ioredis options for a spec: TLS for rediss:// (with the CA, if any), reconnect with a capped back-off. */
export function redisOptions(spec: RedisSpec, extra: RedisOptions = {}): RedisOptions {
  const t = parseRedisUrl(spec.url);
  return {
    // SNI only for a name (RFC 6066 §3 forbids an IP literal); the certificate is checked either way.
    ...(t.tls ? { tls: { ...(isIP(t.host) === 0 ? { servername: t.host } : {}), ...spec.tls } } : {}),
    connectTimeout: 10_000,
    retryStrategy: (times) => Math.min(200 * times, 2_000),
    ...extra,
  };
}

/** A connected client for leases and heartbeats; 'error' events are logged, not thrown. */
export function commandClient(spec: RedisSpec, onError?: (err: Error) => void): Redis {
  const c = new Redis(spec.url, redisOptions(spec, { maxRetriesPerRequest: 2 }));
  c.on('error', (err: Error) => onError?.(err));
  return c;
}

/**
 * Connects once without retrying and PINGs (AUTH and SELECT included): a wrong URL, host or
 * password is a usage error before anything is enqueued or written.
 */
export async function checkRedis(spec: RedisSpec, flag = '--queue'): Promise<void> {
  const c = new Redis(spec.url, redisOptions(spec, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, connectTimeout: 5_000 }));
  // ioredis reports the real cause (WRONGPASS, ECONNREFUSED) as an 'error' event and then
  // rejects connect() with a generic "Connection is closed": keep the first.
  const seen: { first: Error | null } = { first: null };
  c.on('error', (err: Error) => (seen.first ??= err));
  try {
    await c.connect();
    await c.ping();
  } catch (err) {
    const e = seen.first ?? (err as Error);
    const msg = /NOAUTH/.test(e.message) ? `Redis requires authentication (give redis://user:password@host): ${e.message}` : e.message;
    throw new UsageError(`${flag}: cannot use Redis at ${redactRedisUrl(spec.url)}: ${msg}`);
  } finally {
    c.disconnect();
  }
}

/** Every key matching a pattern (SCAN, never KEYS: it does not block a busy server). */
export async function scanKeys(c: Redis, pattern: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await c.scan(cursor, 'MATCH', pattern, 'COUNT', 200);
    cursor = next;
    out.push(...keys);
  } while (cursor !== '0');
  return out;
}
