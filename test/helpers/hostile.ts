/**
 * Hostile and broken SMTP servers for robustness tests, on loopback only, plus a one-call way
 * to run a real session against them with short timeouts.
 *
 * Every server here is a plain node:net (and node:tls for STARTTLS) server: the point is to
 * produce bytes no well-behaved library would, and to record exactly what the client sent so a
 * test can prove e.g. "nothing was sent after the 421".
 */
import { createServer, type Server, type Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { performance } from 'node:perf_hooks';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LAB_CERT, LAB_KEY } from '../../src/lab/cert.js';
import { runSession, type DriverOptions, type SessionRun } from '../../src/net/session-driver.js';
import { toProbeResult } from '../../src/probe/probe-host.js';
import type { SessionConfig } from '../../src/smtp/session.js';
import type { Identity, ProbeResult } from '../../src/results.js';

export interface HostileServer {
  host: string;
  port: number;
  /** Command lines received per connection (plaintext and, after STARTTLS, decrypted). */
  commands: string[][];
  connections(): number;
  /** Bytes the server managed to write (per connection), to show a flood was cut off. */
  bytesWritten(): number[];
  close(): Promise<void>;
}

export interface ConnectionIo {
  socket: Socket;
  index: number;
  /** Called with each command line (CRLF stripped) on the current (plain or TLS) stream. */
  onLine(fn: (line: string) => void): void;
  write(data: string | Buffer): void;
  /** Upgrade the server side to TLS with the lab certificate (RFC 3207 §4 from the server side). */
  startTls(): TLSSocket;
  /** Stop splitting and recording lines (the scenario reads raw bytes from now on). */
  detach(): void;
}

/**
 * A raw server that hands each connection to `script`. Unlike test/helpers/raw-server.ts it keeps
 * decrypted command lines after a STARTTLS upgrade and counts bytes written.
 */
export function startHostile(script: (io: ConnectionIo) => void, host = '127.0.0.1'): Promise<HostileServer> {
  const sockets = new Set<Socket>();
  const commands: string[][] = [];
  const written: number[] = [];
  let count = 0;
  return new Promise((resolve, reject) => {
    const server: Server = createServer((socket) => {
      const index = count++;
      commands[index] = [];
      written[index] = 0;
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => sockets.delete(socket));
      let stream: Socket = socket;
      let buf = '';
      let handler: ((line: string) => void) | null = null;
      const onData = (d: Buffer) => {
        buf += d.toString('latin1');
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i).replace(/\r$/, '');
          buf = buf.slice(i + 1);
          commands[index]!.push(line);
          handler?.(line);
        }
      };
      socket.on('data', onData);
      const io: ConnectionIo = {
        socket,
        index,
        onLine(fn) {
          handler = fn;
        },
        write(data) {
          if (stream.destroyed || !stream.writable) return;
          written[index]! += typeof data === 'string' ? Buffer.byteLength(data, 'latin1') : data.length;
          stream.write(data);
        },
        detach() {
          socket.removeListener('data', onData);
          handler = null;
        },
        startTls() {
          socket.removeListener('data', onData);
          buf = '';
          const secure = new TLSSocket(socket, { isServer: true, key: LAB_KEY, cert: LAB_CERT });
          secure.on('error', () => {});
          secure.on('data', onData);
          stream = secure;
          return secure;
        },
      };
      script(io);
    });
    server.on('error', reject);
    server.listen({ host, port: 0 }, () => {
      const addr = server.address();
      resolve({
        host,
        port: typeof addr === 'object' && addr ? addr.port : 0,
        commands,
        connections: () => count,
        bytesWritten: () => written.slice(),
        close: () =>
          new Promise((res) => {
            for (const s of sockets) s.destroy();
            server.close(() => res());
          }),
      });
    });
  });
}

export type Verb = 'EHLO' | 'HELO' | 'STARTTLS' | 'MAIL' | 'RCPT' | 'RSET' | 'QUIT' | 'OTHER';

export function verbOf(line: string): Verb {
  const v = (line.split(' ')[0] ?? '').toUpperCase();
  return (['EHLO', 'HELO', 'STARTTLS', 'MAIL', 'RCPT', 'RSET', 'QUIT'] as const).find((x) => x === v) ?? 'OTHER';
}

/**
 * A mostly well-behaved SMTP dialogue where any reply can be overridden. `reply(verb, line, tls)`
 * returns the raw bytes to send (CRLF included), or undefined for the default. STARTTLS answered
 * with a 220 upgrades for real; EHLO offers STARTTLS only before TLS.
 */
export function smtpScript(opts: {
  banner?: string;
  reply?: (verb: Verb, line: string, tls: boolean, io: ConnectionIo) => string | undefined | null;
  /** What to do after sending a 220 to STARTTLS; default: a real TLS handshake. */
  afterStarttls220?: (io: ConnectionIo) => void;
}): (io: ConnectionIo) => void {
  return (io) => {
    let tls = false;
    io.write(opts.banner ?? '220 mx.hostile.test ESMTP\r\n');
    io.onLine((line) => {
      const verb = verbOf(line);
      const custom = opts.reply?.(verb, line, tls, io);
      if (custom === null) return; // the scenario handled it (e.g. reset the socket)
      const defaults: Record<Verb, string> = {
        EHLO: tls ? '250-mx.hostile.test\r\n250 PIPELINING\r\n' : '250-mx.hostile.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n',
        HELO: '250 mx.hostile.test\r\n',
        STARTTLS: '220 2.0.0 Ready to start TLS\r\n',
        MAIL: '250 2.1.0 Ok\r\n',
        RCPT: '250 2.1.5 Ok\r\n',
        RSET: '250 2.0.0 Ok\r\n',
        QUIT: '221 2.0.0 Bye\r\n',
        OTHER: '502 5.5.2 Error: command not recognized\r\n',
      };
      const out = custom ?? defaults[verb];
      io.write(out);
      if (verb === 'QUIT') io.socket.end();
      if (out.startsWith('421')) {
        // RFC 5321 §3.8: a 421 means the server closes the channel.
        io.socket.end();
        return;
      }
      if (verb === 'STARTTLS' && out.startsWith('220') && !tls) {
        if (opts.afterStarttls220) {
          // The bytes that follow are a TLS ClientHello, not command lines.
          io.detach();
          opts.afterStarttls220(io);
        }
        else {
          io.startTls();
          tls = true;
        }
      }
    });
  };
}

/** Writes `chunk` again and again, honouring backpressure, until the peer goes away. */
export function flood(io: ConnectionIo, chunk: string | Buffer, maxBytes = Number.POSITIVE_INFINITY): void {
  let sent = 0;
  const pump = () => {
    while (sent < maxBytes && !io.socket.destroyed && io.socket.writable) {
      sent += typeof chunk === 'string' ? chunk.length : chunk.length;
      io.write(chunk);
      if (io.socket.writableNeedDrain) {
        io.socket.once('drain', pump);
        return;
      }
    }
  };
  pump();
}

export const baseConfig: SessionConfig = {
  helo: 'probe.example.org',
  stopAfter: 'starttls',
  starttls: true,
  implicitTls: false,
  mailFrom: 'postmaster@example.org',
  rcpt: 'postmaster@example.net',
};

export const IDENTITY: Identity = { kind: 'primary', name: 'probe.example.org', source: null };

export interface Probed {
  run: SessionRun;
  probe: ProbeResult;
  /** Wall time of the whole session, for hang guards only. */
  elapsed: number;
}

/** One session against `server` with short limits (timeout 500 ms, deadline 2000 ms by default). */
export async function probeOnce(
  server: { host: string; port: number },
  config: Partial<SessionConfig> = {},
  opts: Partial<DriverOptions> = {},
): Promise<Probed> {
  const t0 = performance.now();
  const cfg = { ...baseConfig, ...config };
  const run = await runSession(cfg, {
    ip: server.host,
    port: server.port,
    servername: null,
    source: null,
    timeoutMs: 500,
    deadlineMs: 2000,
    ...opts,
  });
  return { run, probe: toProbeResult({ ...IDENTITY, name: cfg.helo }, run), elapsed: performance.now() - t0 };
}

/** The server lines of a transcript, for "partial data kept" assertions. */
export function serverLines(run: SessionRun): string[] {
  return run.transcript.filter((l) => l.dir === 'S').map((l) => l.line);
}

// ---------------------------------------------------------------------------------------------
// The built CLI as a child process (bin/mxprobe.js → dist/). `npm run build` first.

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = join(REPO, 'bin', 'mxprobe.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliChild {
  child: ChildProcess;
  /** Everything written so far. */
  stdout(): string;
  stderr(): string;
  done: Promise<CliResult>;
}

export function cliBuilt(): boolean {
  return existsSync(join(REPO, 'dist', 'cli', 'main.js'));
}

/** Start the CLI; it is killed (SIGKILL) if it outlives `timeoutMs`, so a hang fails the test, not the suite. */
export interface CliOptions {
  cwd?: string;
  stdin?: string;
  timeoutMs?: number;
  /**
   * Run the CLI in its own UTS namespace with this host name (`unshare --uts`, root only): for what depends on the
   * machine's name, such as the "--helo not given" warning, whatever the test machine is called.
   */
  hostname?: string;
}

export function startCli(args: readonly string[], opts: CliOptions = {}): CliChild {
  const argv = opts.hostname === undefined ? [process.execPath, BIN, ...args] : ['unshare', '--uts', 'sh', '-c', 'hostname "$0" && exec "$@"', opts.hostname, process.execPath, BIN, ...args];
  const child = spawn(argv[0] as string, argv.slice(1), {
    cwd: opts.cwd ?? REPO,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString('utf8')));
  child.stdin!.on('error', () => {});
  child.stdin!.end(opts.stdin ?? '');
  const killer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 20_000);
  const done = new Promise<CliResult>((resolve) => {
    child.once('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout: out, stderr: err });
    });
  });
  return { child, stdout: () => out, stderr: () => err, done };
}

export function runCli(args: readonly string[], opts: CliOptions = {}): Promise<CliResult> {
  return startCli(args, opts).done;
}

/** Resolve when `check()` is true (polled every 20 ms), or reject after `timeoutMs`. */
export async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
