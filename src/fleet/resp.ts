/**
 * A small RESP2 client (Redis serialization protocol, https://redis.io/docs/reference/protocol-spec/)
 * shaped like Bun's built-in `RedisClient` (`connect`, `send`, `close`, `connected`, `onconnect`,
 * `onclose`, `duplicate`), so BullMQ's own Bun adapter (`createBunRedisClient`) drives it.
 *
 * Why it exists: BullMQ 6 takes the Redis driver as an optional peer dependency and this tree has
 * none installed (no ioredis, no node-redis). BullMQ keeps every queue semantic (Lua scripts,
 * locks, stall detection, retries); this file is only the wire. Swapping in ioredis later is one
 * line in queue.ts (`connection: new IORedis(url)`).
 *
 * redis://[user:password@]host[:port][/db] and rediss:// (TLS) are understood; AUTH (RFC-less
 * Redis 6 ACL form `AUTH user pass`) and SELECT run before the client reports itself connected,
 * so a wrong password is a clear error before anything is enqueued.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { UsageError } from '../errors.js';

export interface RedisTarget {
  tls: boolean;
  host: string;
  port: number;
  username: string | null;
  password: string | null;
  db: number;
}

/** Parses a redis:// or rediss:// URL; a bad one is a usage error naming the flag. */
export function parseRedisUrl(url: string, flag = '--queue'): RedisTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`${flag}: "${url}" is not a URL (expected redis://host:6379[/db] or rediss://…)`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new UsageError(`${flag}: "${u.protocol}" is not redis: or rediss:`);
  if (!u.hostname) throw new UsageError(`${flag}: no host in "${url}"`);
  const path = u.pathname.replace(/^\//, '');
  const db = path === '' ? 0 : Number(path);
  if (!Number.isInteger(db) || db < 0 || db > 10_000) throw new UsageError(`${flag}: "/${path}" is not a database number`);
  const port = u.port === '' ? 6379 : Number(u.port);
  return {
    tls: u.protocol === 'rediss:',
    host: u.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    username: u.username ? decodeURIComponent(u.username) : null,
    password: u.password ? decodeURIComponent(u.password) : null,
    db,
  };
}

/** The URL without its password, for messages and results. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(invalid URL)';
  }
}

export class RedisReplyError extends Error {
  override readonly name = 'RedisReplyError';
}

type Reply = string | number | null | Reply[] | RedisReplyError;
type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };

/** Incremental RESP2 parser: returns [value, nextOffset] or null when the buffer is incomplete. */
export function parseReply(buf: Buffer, at: number): [Reply, number] | null {
  if (at >= buf.length) return null;
  const eol = buf.indexOf('\r\n', at);
  if (eol < 0) return null;
  const type = String.fromCharCode(buf[at]!);
  const line = buf.toString('utf8', at + 1, eol);
  const next = eol + 2;
  switch (type) {
    case '+':
      return [line, next];
    case '-':
      return [new RedisReplyError(line), next];
    case ':':
      return [Number(line), next];
    case '$': {
      const len = Number(line);
      if (len < 0) return [null, next];
      if (buf.length < next + len + 2) return null;
      return [buf.toString('utf8', next, next + len), next + len + 2];
    }
    case '*': {
      const n = Number(line);
      if (n < 0) return [null, next];
      const out: Reply[] = [];
      let pos = next;
      for (let i = 0; i < n; i++) {
        const r = parseReply(buf, pos);
        if (!r) return null;
        out.push(r[0]);
        pos = r[1];
      }
      return [out, pos];
    }
    default:
      throw new RedisReplyError(`RESP: unexpected type byte ${JSON.stringify(type)}`);
  }
}

/** Serializes one command as a RESP array of bulk strings. */
export function encodeCommand(command: string, args: ReadonlyArray<string | Buffer | number>): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length + 1}\r\n$${Buffer.byteLength(command)}\r\n${command}\r\n`)];
  for (const a of args) {
    const b = Buffer.isBuffer(a) ? a : Buffer.from(String(a));
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

export interface RespClientOptions {
  /** Extra TLS options for rediss:// (e.g. a private CA). */
  tls?: ConnectionOptions;
  connectTimeoutMs?: number;
}

export class RespClient {
  connected = false;
  onconnect: (() => void) | undefined;
  onclose: ((error?: Error) => void) | undefined;
  onerror: ((error: Error) => void) | undefined;
  readonly target: RedisTarget;
  private socket: Socket | null = null;
  private buffer: Buffer = Buffer.alloc(0);
  private readonly pending: Pending[] = [];
  private closedByUs = false;

  constructor(readonly url: string, private readonly options: RespClientOptions = {}) {
    this.target = parseRedisUrl(url);
  }

  async duplicate(): Promise<RespClient> {
    return new RespClient(this.url, this.options);
  }

  connect(): Promise<void> {
    if (this.connected) return Promise.resolve();
    const t = this.target;
    return new Promise<void>((resolve, reject) => {
      this.closedByUs = false;
      const sock = t.tls
        ? tlsConnect({ host: t.host, port: t.port, servername: t.host, ...this.options.tls })
        : netConnect({ host: t.host, port: t.port });
      this.socket = sock;
      sock.setNoDelay(true);
      const timer = setTimeout(() => sock.destroy(new Error(`timed out connecting to ${t.host}:${t.port}`)), this.options.connectTimeoutMs ?? 10_000);
      let opened = false;
      sock.once(t.tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        void this.handshake().then(
          () => {
            opened = true;
            this.connected = true;
            resolve();
            this.onconnect?.();
          },
          (err: Error) => {
            opened = true;
            reject(err);
            this.closedByUs = true;
            sock.destroy();
          },
        );
      });
      sock.on('data', (chunk: Buffer) => this.onData(chunk));
      sock.on('error', (err) => {
        clearTimeout(timer);
        if (!opened) {
          opened = true;
          reject(err);
        }
        this.onerror?.(err);
      });
      sock.on('close', () => {
        clearTimeout(timer);
        const was = this.connected;
        this.connected = false;
        this.socket = null;
        this.buffer = Buffer.alloc(0);
        const err = new Error('Connection closed');
        for (const p of this.pending.splice(0)) p.reject(err);
        if (!opened) reject(err);
        if (was || !this.closedByUs) this.onclose?.(this.closedByUs ? undefined : err);
      });
    });
  }

  private async handshake(): Promise<void> {
    const t = this.target;
    if (t.password !== null) {
      await this.raw('AUTH', t.username !== null ? [t.username, t.password] : [t.password]).catch((err: Error) => {
        throw new Error(`Redis refused authentication: ${err.message}`);
      });
    }
    if (t.db !== 0) await this.raw('SELECT', [String(t.db)]);
    // An unauthenticated server with requirepass answers NOAUTH here: say so before any job moves.
    await this.raw('PING', []).catch((err: Error) => {
      throw new Error(/NOAUTH/.test(err.message) ? `Redis requires authentication (give redis://user:password@host): ${err.message}` : err.message);
    });
  }

  private raw(command: string, args: ReadonlyArray<string | Buffer | number>): Promise<unknown> {
    const sock = this.socket;
    if (!sock || sock.destroyed) return Promise.reject(new Error('Connection closed'));
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      sock.write(encodeCommand(command, args));
    });
  }

  send(command: string, args: ReadonlyArray<string | Buffer | number>): Promise<unknown> {
    if (!this.connected) return Promise.reject(new Error('Connection closed'));
    return this.raw(command, args);
  }

  close(): void {
    this.closedByUs = true;
    this.socket?.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    let at = 0;
    for (;;) {
      let r: [Reply, number] | null;
      try {
        r = parseReply(this.buffer, at);
      } catch (err) {
        this.socket?.destroy(err as Error);
        return;
      }
      if (!r) break;
      at = r[1];
      const p = this.pending.shift();
      const v = r[0];
      if (!p) continue;
      if (v instanceof RedisReplyError) p.reject(v);
      else if (Array.isArray(v)) p.resolve(v.map((x) => (x instanceof RedisReplyError ? x : x)));
      else p.resolve(v);
    }
    this.buffer = at >= this.buffer.length ? Buffer.alloc(0) : this.buffer.subarray(at);
  }
}
