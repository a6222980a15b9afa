/**
 * Redis connections for the fleet: BullMQ's (through its own Bun-shaped adapter over our RESP
 * wire) and a small reconnecting command client for the leases and heartbeats.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { UsageError } from '../errors.js';
import type { LeaseRedis } from './lease.js';
import { parseRedisUrl, redactRedisUrl, RespClient } from './resp.js';
import { createHash } from 'node:crypto';

export interface RedisSpec {
  url: string;
  /** rediss:// with a private CA: the CA file's contents. */
  tls?: ConnectionOptions;
}

/** Reads --queue and --queue-ca into a spec; throws UsageError for a bad URL or an unreadable CA. */
export function redisSpec(url: string, caFile?: string): RedisSpec {
  parseRedisUrl(url);
  if (caFile === undefined) return { url };
  try {
    return { url, tls: { ca: readFileSync(caFile) } };
  } catch (err) {
    throw new UsageError(`--queue-ca: cannot read ${caFile}: ${(err as Error).message}`);
  }
}

/**
 * One command connection that reconnects on the next command after Redis went away (a restart),
 * and runs Lua by EVALSHA with the EVAL fallback (the script cache is lost on a restart).
 */
export class RedisCommander implements LeaseRedis {
  private client: RespClient | null = null;
  private connecting: Promise<RespClient> | null = null;
  private readonly shas = new Map<string, string>();
  constructor(private readonly spec: RedisSpec) {}

  private async conn(): Promise<RespClient> {
    if (this.client?.connected) return this.client;
    this.connecting ??= (async () => {
      const c = new RespClient(this.spec.url, { ...(this.spec.tls ? { tls: this.spec.tls } : {}), connectTimeoutMs: 5000 });
      try {
        await c.connect();
        this.client = c;
        return c;
      } finally {
        this.connecting = null;
      }
    })();
    return this.connecting;
  }

  async send(command: string, args: ReadonlyArray<string | number>): Promise<unknown> {
    const c = await this.conn();
    return c.send(command, args);
  }

  async evalScript(lua: string, keys: string[], args: string[]): Promise<unknown> {
    let sha = this.shas.get(lua);
    if (!sha) {
      sha = createHash('sha1').update(lua).digest('hex');
      this.shas.set(lua, sha);
    }
    try {
      return await this.send('EVALSHA', [sha, keys.length, ...keys, ...args]);
    } catch (err) {
      if (!/NOSCRIPT/.test((err as Error).message)) throw err;
      return this.send('EVAL', [lua, keys.length, ...keys, ...args]);
    }
  }

  /** Connects and PINGs (AUTH and SELECT included): a clear usage error before anything is enqueued. */
  async check(flag = '--queue'): Promise<void> {
    try {
      await this.send('PING', []);
    } catch (err) {
      throw new UsageError(`${flag}: cannot use Redis at ${redactRedisUrl(this.spec.url)}: ${(err as Error).message}`);
    }
  }

  /** Every key matching a pattern (SCAN, never KEYS: it does not block a busy server). */
  async scan(pattern: string): Promise<string[]> {
    const out: string[] = [];
    let cursor = '0';
    do {
      const r = (await this.send('SCAN', [cursor, 'MATCH', pattern, 'COUNT', 200])) as [string, string[]];
      cursor = r[0];
      out.push(...r[1]);
    } while (cursor !== '0');
    return out;
  }

  close(): void {
    this.client?.close();
    this.client = null;
  }
}
