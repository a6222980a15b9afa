/**
 * Real parts for the fleet tests: a real redis-server (Debian's) started on a loopback port with
 * its own config and data directory, stopped by pid afterwards; worker processes of the built
 * CLI; SMTP receivers (the real smtp-server package) bound to chosen loopback addresses that log
 * each connection's open and close time.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { BIN, ROOT } from '../helpers/cli.js';

export function redisMissing(): string | null {
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? null : 'redis-server is not installed (apt-get install redis-server)';
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface RedisHandle {
  port: number;
  url: string;
  dir: string;
  stop(): Promise<void>;
  /** Stop and start again on the same port and data directory (AOF keeps the queue). */
  restart(downMs?: number): Promise<void>;
}

async function waitFor(child: ChildProcess, re: RegExp, what: string, timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const t = setTimeout(() => reject(new Error(`${what}: timed out waiting for ${re}; output so far:\n${seen}`)), timeoutMs);
    const on = (d: Buffer) => {
      seen += d.toString();
      if (re.test(seen)) {
        clearTimeout(t);
        child.stdout?.off('data', on);
        child.stderr?.off('data', on);
        resolve(seen);
      }
    };
    child.stdout?.on('data', on);
    child.stderr?.on('data', on);
    child.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`${what} exited (${code}) before ${re}:\n${seen}`));
    });
  });
}

/** A self-signed certificate for 127.0.0.1 (its own CA), made with openssl for the rediss:// test. */
export function makeCert(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'redis.crt');
  const key = join(dir, 'redis.key');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl: ${r.stderr}`);
  return { cert, key };
}

export async function startRedis(opts: { password?: string; tls?: { cert: string; key: string } } = {}): Promise<RedisHandle> {
  const dir = await mkdtemp(join(tmpdir(), 'mxprobe-redis-'));
  const port = await freePort();
  let child: ChildProcess | null = null;
  const args = [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
    // Durable across the restart test: every write is in the AOF before it is acknowledged.
    '--appendonly', 'yes', '--appendfsync', 'always', '--daemonize', 'no', '--protected-mode', 'yes',
    ...(opts.password ? ['--requirepass', opts.password] : []),
    ...(opts.tls ? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', opts.tls.cert, '--tls-key-file', opts.tls.key, '--tls-ca-cert-file', opts.tls.cert, '--tls-auth-clients', 'no'] : []),
  ];
  const start = async () => {
    child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    await waitFor(child, /Ready to accept connections/, 'redis-server');
  };
  const stop = async () => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGTERM');
    });
  };
  await start();
  const auth = opts.password ? `:${opts.password}@` : '';
  return {
    port,
    dir,
    url: `${opts.tls ? 'rediss' : 'redis'}://${auth}127.0.0.1:${port}`,
    async stop() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
    async restart(downMs = 1500) {
      await stop();
      await new Promise((r) => setTimeout(r, downMs));
      await start();
    },
  };
}

export interface WorkerProc {
  child: ChildProcess;
  log: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startWorkerProc(args: string[]): Promise<WorkerProc> {
  const child = spawn(process.execPath, [BIN, 'worker', ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (d) => (log += d));
  child.stdout?.on('data', (d) => (log += d));
  await waitFor(child, / ready \(/, `worker ${args.join(' ')}`);
  return {
    child,
    log: () => log,
    stop: (signal: NodeJS.Signals = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill(signal);
      }),
  };
}

export interface Receiver {
  host: string;
  port: number;
  /** Every connection: remote address, open and close times (ms). */
  connections: Array<{ remote: string; open: number; close: number | null }>;
  commands: string[];
  close(): Promise<void>;
}

/**
 * A receiver that refuses at RCPT, like Postfix's reject_unknown_client_hostname, the client
 * addresses in `refuse` (the DNS fixture gives those a broken PTR), after an optional delay.
 */
export async function startReceiver(host: string, opts: { refuse?: string[]; delayMs?: number } = {}): Promise<Receiver> {
  const connections: Receiver['connections'] = [];
  const commands: string[] = [];
  const server = new SMTPServer({
    name: `mx-${host}`,
    secure: false,
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    logger: false,
    onConnect(_s, cb) {
      setTimeout(() => cb(), opts.delayMs ?? 0);
    },
    onRcptTo(_a, session, cb) {
      commands.push(`RCPT from ${session.remoteAddress}`);
      if (opts.refuse?.includes(session.remoteAddress)) {
        const e = new Error(`5.7.25 Client host rejected: cannot find your hostname, [${session.remoteAddress}]`) as Error & { responseCode: number };
        e.responseCode = 450 + 100; // 550
        return cb(e);
      }
      cb();
    },
    onData(stream, _s, cb) {
      commands.push('DATA');
      stream.resume();
      stream.on('end', () => cb(new Error('never')));
    },
  });
  server.on('error', () => {});
  server.server.on('connection', (sock) => {
    const c = { remote: sock.remoteAddress ?? '', open: Date.now(), close: null as number | null };
    connections.push(c);
    sock.on('close', () => (c.close = Date.now()));
  });
  const port: number = await new Promise((resolve) => server.listen(0, host, () => {
    const a = server.server.address();
    resolve(typeof a === 'object' && a ? a.port : 0);
  }));
  return { host, port, connections, commands, close: () => new Promise((r) => server.close(() => r())) };
}

/** Pairs of connections to one receiver that overlapped in time (the fleet must never do that). */
export function overlaps(conns: Receiver['connections']): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const sorted = [...conns].sort((a, b) => a.open - b.open);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const cur = sorted[i]!;
    if (prev.close === null || cur.open < prev.close) out.push([i - 1, i]);
  }
  return out;
}
