/**
 * Hostile and broken servers against the real session driver, over real sockets on loopback.
 *
 * Each scenario checks: the session ends (hang guard: elapsed < deadline + slack, not a speed
 * target), the status is the right one from the vocabulary (results.ts), partial data seen before
 * the failure is kept, and nothing throws. A final test runs every scenario together through
 * runProbes with one good server and shows the good one is unaffected.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_REPLY_LIMITS } from '../../src/smtp/reply.js';
import { PROBE_STATUSES } from '../../src/results.js';
import type { Connector } from '../../src/net/connector.js';
import type { HostResult, TargetResult } from '../../src/results.js';
import { runProbes } from '../../src/probe/run.js';
import { createResolver } from '../../src/dns/resolver.js';
import { parseTargetLine } from '../../src/targets/parse.js';
import { performance } from 'node:perf_hooks';
import { startPolicyServer } from '../helpers/smtp-server.js';
import { startDnsServer, zone } from '../helpers/dns-zone.js';
import {
  flood,
  probeOnce,
  serverLines,
  smtpScript,
  startHostile,
  type ConnectionIo,
  type Verb,
} from '../helpers/hostile.js';

const DEADLINE = 2000;
/** Generous: only proves the session did not hang past its own deadline. */
const HANG_GUARD = DEADLINE + 1500;

const open: Array<{ close(): Promise<void> }> = [];
async function track<T extends { close(): Promise<void> }>(p: Promise<T>): Promise<T> {
  const s = await p;
  open.push(s);
  return s;
}
afterAll(async () => {
  await Promise.all(open.map((s) => s.close()));
});

function expectEnded(elapsed: number, status: string) {
  expect(elapsed).toBeLessThan(HANG_GUARD);
  expect(PROBE_STATUSES).toContain(status);
}

describe('silence and slowness', () => {
  it('silence after connect (never a banner) → io-timeout at stage connect', async () => {
    const s = await track(startHostile(() => {}));
    const { run, probe, elapsed } = await probeOnce(s);
    expectEnded(elapsed, run.status);
    expect(run.status).toBe('io-timeout');
    expect(run.error?.code).toBe('E_TIMEOUT');
    expect(probe.verdict.stage).toBe('connect');
    expect(run.timings.connect).not.toBeNull();
    expect(probe.banner).toBeNull();
    // Nothing must be sent before the greeting (RFC 5321 §3.1).
    expect(s.commands[0]).toEqual([]);
  });

  it('a banner that drips one byte per second → io-timeout; the incomplete line is not a banner', async () => {
    const s = await track(
      startHostile((io) => {
        const text = '220 slow.hostile.test ESMTP\r\n';
        let i = 0;
        const t = setInterval(() => {
          if (i >= text.length || io.socket.destroyed) return clearInterval(t);
          io.write(text[i++]!);
        }, 1000);
        io.socket.on('close', () => clearInterval(t));
        io.write(text[i++]!); // first byte at once, so bytes did arrive before the timeout
      }),
    );
    const { run, probe, elapsed } = await probeOnce(s);
    expectEnded(elapsed, run.status);
    // The step timer is not re-armed by bytes that do not complete a reply, so a drip cannot
    // stretch a step: the 500 ms step timeout fires long before the 2 s deadline.
    expect(run.status).toBe('io-timeout');
    expect(run.error?.code).toBe('E_TIMEOUT');
    expect(probe.verdict.stage).toBe('connect');
    // What is kept: an incomplete line is not a reply, so banner stays null. The partial bytes
    // ("2") are NOT kept in the transcript either (see report: a possible driver improvement).
    expect(probe.banner).toBeNull();
  });

  it('a reply that completes slowly, line by line, is bounded by the whole-session deadline', async () => {
    // Each line arrives within the step timeout, but the EHLO reply never ends.
    const s = await track(
      startHostile(
        smtpScript({
          reply: (verb, _l, _t, io) => {
            if (verb !== 'EHLO') return undefined;
            const t = setInterval(() => io.write('250-still.thinking\r\n'), 100);
            io.socket.on('close', () => clearInterval(t));
            return null;
          },
        }),
      ),
    );
    const { run, probe, elapsed } = await probeOnce(s, {}, { timeoutMs: 1500, deadlineMs: 1000 });
    expect(elapsed).toBeLessThan(1000 + 1500);
    expect(run.status).toBe('io-timeout');
    expect(run.error?.code).toBe('E_DEADLINE');
    expect(probe.banner?.code).toBe(220);
  });

  it('a server that accepts, greets, then reads nothing → io-timeout at EHLO, banner kept', async () => {
    const s = await track(
      startHostile((io) => {
        io.write('220 deaf.hostile.test ESMTP\r\n');
        io.socket.pause(); // never read: the receive window fills if the client keeps writing
      }),
    );
    const { run, probe, elapsed } = await probeOnce(s);
    expectEnded(elapsed, run.status);
    expect(run.status).toBe('io-timeout');
    expect(run.error?.code).toBe('E_TIMEOUT');
    expect(probe.banner?.code).toBe(220);
    expect(probe.verdict.stage).toBe('ehlo');
  });
});

describe('caps on what a server may send', () => {
  it('an endless multi-line reply ("250-" forever) → protocol-error too-many-lines, flood cut off', async () => {
    const s = await track(
      startHostile(
        smtpScript({
          reply: (verb, _l, _t, io) => {
            if (verb !== 'EHLO') return undefined;
            flood(io, '250-AAAAAAAAAAAAAAAA\r\n'.repeat(64));
            return null;
          },
        }),
      ),
    );
    const { run, probe, elapsed } = await probeOnce(s);
    expectEnded(elapsed, run.status);
    expect(run.status).toBe('protocol-error');
    expect(run.error?.code).toBe('E_PROTOCOL_TOO_MANY_LINES');
    expect(probe.banner?.code).toBe(220);
    expect(probe.verdict.stage).toBe('ehlo');
    // The client hung up: the server's writes stopped (a bounded number of bytes got out).
    await new Promise((r) => setTimeout(r, 200));
    const before = s.bytesWritten()[0]!;
    await new Promise((r) => setTimeout(r, 200));
    expect(s.bytesWritten()[0]).toBe(before);
  });

  it('an endless multi-line reply of long lines → protocol-error reply-too-large', async () => {
    const line = `250-${'B'.repeat(3000)}\r\n`;
    const s = await track(
      startHostile(
        smtpScript({
          reply: (verb, _l, _t, io) => {
            if (verb !== 'EHLO') return undefined;
            flood(io, line);
            return null;
          },
        }),
      ),
    );
    const { run, probe } = await probeOnce(s);
    expect(run.status).toBe('protocol-error');
    expect(run.error?.code).toBe('E_PROTOCOL_REPLY_TOO_LARGE');
    expect(probe.banner?.code).toBe(220);
    // Partial lines of the refused reply are kept in the transcript, but bounded by the cap.
    const kept = serverLines(run).join('\n').length;
    expect(kept).toBeGreaterThan(3000);
    expect(kept).toBeLessThan(DEFAULT_REPLY_LIMITS.maxReplyBytes + 8192);
  });

  it('one 1 MB line without CRLF → protocol-error line-too-long', async () => {
    const s = await track(startHostile((io) => io.write(`220 ${'x'.repeat(1024 * 1024)}`)));
    const { run, probe, elapsed } = await probeOnce(s);
    expectEnded(elapsed, run.status);
    expect(run.status).toBe('protocol-error');
    expect(run.error?.code).toBe('E_PROTOCOL_LINE_TOO_LONG');
    expect(probe.verdict.stage).toBe('connect');
    // The excerpt of the bad line in the transcript is capped (512 chars), not 1 MB.
    const longest = Math.max(0, ...run.transcript.map((l) => l.line.length));
    expect(longest).toBeLessThanOrEqual(1024);
  });

  it('a 2 MB multi-line banner → protocol-error reply-too-large', async () => {
    const line = `220-${'b'.repeat(4000)}\r\n`;
    const s = await track(startHostile((io) => flood(io, line, 2 * 1024 * 1024)));
    const { run, probe, elapsed } = await probeOnce(s);
    expectEnded(elapsed, run.status);
    expect(run.status).toBe('protocol-error');
    expect(run.error?.code).toBe('E_PROTOCOL_REPLY_TOO_LARGE');
    expect(probe.banner).toBeNull();
    expect(s.commands[0]).toEqual([]);
  });

  it('binary garbage → protocol-error malformed-line', async () => {
    const s = await track(startHostile((io) => io.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0xff, 0xfe, 0x00, 0x0d, 0x0a, 0x80]))));
    const { run, elapsed } = await probeOnce(s);
    expectEnded(elapsed, run.status);
    expect(run.status).toBe('protocol-error');
    expect(run.error?.code).toBe('E_PROTOCOL_MALFORMED_LINE');
  });

  it('an HTTP server that speaks first → protocol-error', async () => {
    const s = await track(
      startHostile((io) => {
        io.write('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
        io.socket.end();
      }),
    );
    const { run, elapsed } = await probeOnce(s);
    expectEnded(elapsed, run.status);
    expect(run.status).toBe('protocol-error');
    expect(run.error?.code).toBe('E_PROTOCOL_MALFORMED_LINE');
  });

  it('a real node:http server (speaks only when spoken to) → io-timeout at connect, nothing sent', async () => {
    const http: HttpServer = createHttpServer((_req, res) => res.end('hello'));
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
    let received = '';
    http.on('connection', (sock) => sock.on('data', (d: Buffer) => (received += d.toString('latin1'))));
    open.push({ close: () => new Promise<void>((r) => { http.closeAllConnections(); http.close(() => r()); }) });
    const port = (http.address() as AddressInfo).port;
    const { run, probe, elapsed } = await probeOnce({ host: '127.0.0.1', port });
    expectEnded(elapsed, run.status);
    // An HTTP server waits for a request and SMTP waits for a greeting (RFC 5321 §3.1): silence.
    expect(run.status).toBe('io-timeout');
    expect(probe.verdict.stage).toBe('connect');
    expect(received).toBe('');
  });
});

describe('TLS failures after STARTTLS', () => {
  const variants: Array<{ name: string; after: (io: ConnectionIo) => void; status: string }> = [
    {
      name: 'garbage instead of a ServerHello',
      after: (io) => io.socket.once('data', () => io.write('this is not TLS at all\r\n')),
      status: 'tls-error',
    },
    {
      name: 'the server closes during the handshake',
      after: (io) => io.socket.once('data', () => io.socket.end()),
      status: 'tls-error',
    },
    {
      name: 'the server never answers the ClientHello',
      after: () => {},
      status: 'io-timeout',
    },
  ];
  for (const v of variants) {
    it(`220 to STARTTLS, then ${v.name} → ${v.status}, banner and plain EHLO kept`, async () => {
      const s = await track(startHostile(smtpScript({ afterStarttls220: v.after })));
      const { run, probe, elapsed } = await probeOnce(s);
      expectEnded(elapsed, run.status);
      expect(run.status).toBe(v.status);
      expect(run.error?.message).toMatch(/STARTTLS handshake failed/);
      expect(probe.banner?.code).toBe(220);
      expect(probe.capabilities.plain?.starttls).toBe(true);
      expect(probe.greeting?.ehloReply?.code).toBe(250);
      expect(probe.capabilities.tls).toBeNull();
      expect(probe.tls).toBeNull();
    });
  }
});

describe('connections that break', () => {
  it('connection closed mid-reply → connection-closed, banner kept', async () => {
    const s = await track(
      startHostile(
        smtpScript({
          reply: (verb, _l, _t, io) => {
            if (verb !== 'EHLO') return undefined;
            io.write('250-mx.hostile.test\r\n250-PIPEL');
            io.socket.end();
            return null;
          },
        }),
      ),
    );
    const { run, probe, elapsed } = await probeOnce(s);
    expectEnded(elapsed, run.status);
    expect(run.status).toBe('connection-closed');
    expect(run.error?.code).toBe('E_CLOSED');
    expect(probe.banner?.code).toBe(220);
    expect(probe.verdict.stage).toBe('ehlo');
  });

  it('RST after EHLO → connection-closed (ECONNRESET), banner kept', async () => {
    const s = await track(
      startHostile(
        smtpScript({
          reply: (verb, _l, _t, io) => {
            if (verb !== 'EHLO') return undefined;
            io.socket.resetAndDestroy();
            return null;
          },
        }),
      ),
    );
    const { run, probe, elapsed } = await probeOnce(s);
    expectEnded(elapsed, run.status);
    expect(run.status).toBe('connection-closed');
    expect(run.error?.code).toBe('ECONNRESET');
    expect(probe.banner?.code).toBe(220);
  });

  it('a port with no listener → connection-refused', async () => {
    const tmp: Server = createServer();
    await new Promise<void>((r) => tmp.listen(0, '127.0.0.1', () => r()));
    const port = (tmp.address() as AddressInfo).port;
    await new Promise<void>((r) => tmp.close(() => r()));
    const { run, probe, elapsed } = await probeOnce({ host: '127.0.0.1', port });
    expectEnded(elapsed, run.status);
    expect(run.status).toBe('connection-refused');
    expect(run.error?.code).toBe('ECONNREFUSED');
    expect(probe.verdict.stage).toBe('connect');
    expect(run.timings.connect).toBeNull();
  });

  it('a connect that never completes (listen backlog full, never accepted) → connection-timeout', async () => {
    // A listener that never calls accept(): python, because node accepts every connection. With
    // the accept queue full and tcp_abort_on_overflow=0, Linux drops further SYNs, so connect()
    // really hangs on loopback and our connector's own timer must end it.
    const py: ChildProcess = spawn('python3', [
      '-c',
      [
        'import socket,sys,time',
        's=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(0)',
        'print(s.getsockname()[1], flush=True)',
        'held=[]',
        'for _ in range(4):',
        '  c=socket.socket(); c.setblocking(False)',
        '  try: c.connect(("127.0.0.1", s.getsockname()[1]))',
        '  except BlockingIOError: pass',
        '  held.append(c)',
        'time.sleep(60)',
      ].join('\n'),
    ]);
    open.push({ close: async () => void py.kill('SIGKILL') });
    const port = await new Promise<number>((resolve, reject) => {
      py.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
      py.once('error', reject);
    });
    await new Promise((r) => setTimeout(r, 200)); // let the filler connections occupy the queue
    const { run, probe, elapsed } = await probeOnce({ host: '127.0.0.1', port });
    expectEnded(elapsed, run.status);
    expect(run.status).toBe('connection-timeout');
    expect(run.error?.code).toBe('ETIMEDOUT');
    expect(probe.verdict.stage).toBe('connect');
  });

  it('a Connector whose connect never settles is still bounded by the session deadline', async () => {
    const never: Connector = {
      connect: () => new Promise(() => {}),
      upgradeTls: () => new Promise(() => {}),
    };
    const { run, elapsed } = await probeOnce({ host: '127.0.0.1', port: 9 }, {}, { connector: never, timeoutMs: 500, deadlineMs: 800 });
    expect(elapsed).toBeLessThan(800 + 1500);
    expect(run.status).toBe('io-timeout');
    expect(run.error?.code).toBe('E_DEADLINE');
  });
});

describe('421 at every stage → deferred there, session ends, nothing more sent', () => {
  const cases: Array<{ at: Verb | 'BANNER'; tls?: boolean; stage: string; config?: object; ehlo5xx?: boolean }> = [
    { at: 'BANNER', stage: 'connect' },
    { at: 'EHLO', stage: 'ehlo' },
    { at: 'HELO', stage: 'helo', ehlo5xx: true },
    { at: 'STARTTLS', stage: 'starttls' },
    { at: 'EHLO', tls: true, stage: 'starttls' },
    { at: 'MAIL', stage: 'mail', config: { stopAfter: 'rcpt', starttls: false } },
    { at: 'RCPT', stage: 'rcpt', config: { stopAfter: 'rcpt', starttls: false } },
    { at: 'MAIL', tls: true, stage: 'mail', config: { stopAfter: 'rcpt' } },
  ];
  for (const c of cases) {
    const label = `${c.at}${c.tls ? ' after TLS' : ''}`;
    it(`421 to ${label} → deferred at ${c.stage}`, async () => {
      const msg = '421 4.3.2 Service shutting down, closing transmission channel\r\n';
      let answered421At = -1;
      const s = await track(
        startHostile(
          smtpScript({
            ...(c.at === 'BANNER' ? { banner: msg } : {}),
            reply: (verb, _line, tls, io) => {
              if (c.ehlo5xx && verb === 'EHLO') return '502 5.5.2 EHLO not implemented\r\n';
              if (verb === c.at && (c.tls ?? false) === tls) {
                answered421At = s.commands[io.index]!.length;
                return msg;
              }
              return undefined;
            },
          }),
        ),
      );
      if (c.at === 'BANNER') answered421At = 0;
      const { run, probe, elapsed } = await probeOnce(s, c.config ?? {});
      expectEnded(elapsed, run.status);
      expect(run.facts.closedBy421).toBe(true);
      expect(probe.verdict.outcome).toBe('deferred');
      expect(probe.verdict.code).toBe(421);
      expect(probe.verdict.stage).toBe(c.stage);
      // A 421 is the server closing the channel (RFC 5321 §3.8): not even a QUIT follows.
      await new Promise((r) => setTimeout(r, 100));
      expect(answered421At).toBeGreaterThanOrEqual(0);
      expect(s.commands[0]!.length).toBe(answered421At);
      if (c.tls) expect(probe.tls?.protocol).toMatch(/^TLS/);
    });
  }

  it('banner "554 No SMTP service here" → rejected at connect, QUIT sent and nothing else', async () => {
    const s = await track(startHostile(smtpScript({ banner: '554 5.3.2 No SMTP service here\r\n' })));
    const { run, probe, elapsed } = await probeOnce(s);
    expectEnded(elapsed, run.status);
    expect(run.status).toBe('success');
    expect(probe.verdict.outcome).toBe('rejected');
    expect(probe.verdict.stage).toBe('connect');
    expect(probe.banner?.code).toBe(554);
    await new Promise((r) => setTimeout(r, 100));
    expect(s.commands[0]).toEqual(['QUIT']);
  });
});

describe('replies out of turn (E_PROTOCOL_UNSOLICITED_REPLY)', () => {
  it('"220 hi\\r\\n250 extra\\r\\n" in one write → protocol-error, banner kept, no EHLO trusted', async () => {
    const s = await track(startHostile((io) => io.write('220 hi\r\n250 extra\r\n')));
    const { run, probe, elapsed } = await probeOnce(s);
    expectEnded(elapsed, run.status);
    expect(run.status).toBe('protocol-error');
    expect(run.error?.code).toBe('E_PROTOCOL_UNSOLICITED_REPLY');
    expect(probe.banner?.code).toBe(220);
    // The extra "250" must never be taken as the EHLO reply.
    expect(probe.greeting).toBeNull();
  });

  it('a reply pipelined ahead of the command (MAIL and RCPT answers in one write) → protocol-error', async () => {
    const s = await track(
      startHostile(
        smtpScript({ reply: (verb) => (verb === 'MAIL' ? '250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n' : undefined) }),
      ),
    );
    const { run, probe } = await probeOnce(s, { stopAfter: 'rcpt', starttls: false });
    expect(run.status).toBe('protocol-error');
    expect(run.error?.code).toBe('E_PROTOCOL_UNSOLICITED_REPLY');
    expect(probe.rcpt).toBeNull();
    expect(s.commands[0]).not.toContain('RCPT TO:<postmaster@example.net>');
  });

  it('a complete reply injected right after "220" to STARTTLS → protocol-error, no handshake', async () => {
    const s = await track(
      startHostile(
        smtpScript({
          reply: (verb) => (verb === 'STARTTLS' ? '220 2.0.0 Ready\r\n250 injected\r\n' : undefined),
          afterStarttls220: () => {},
        }),
      ),
    );
    const { run, probe, elapsed } = await probeOnce(s);
    expectEnded(elapsed, run.status);
    expect(run.status).toBe('protocol-error');
    expect(run.error?.code).toBe('E_PROTOCOL_UNSOLICITED_REPLY');
    expect(probe.tls).toBeNull();
    expect(probe.capabilities.plain?.starttls).toBe(true);
  });

  it('plaintext bytes (no complete reply) injected after "220" to STARTTLS → protocol-error (CVE-2011-0411 style)', async () => {
    const s = await track(
      startHostile(
        smtpScript({
          reply: (verb) => (verb === 'STARTTLS' ? '220 2.0.0 Ready\r\n250-inj' : undefined),
          afterStarttls220: () => {},
        }),
      ),
    );
    const { run, probe } = await probeOnce(s);
    expect(run.status).toBe('protocol-error');
    expect(run.error?.code).toBe('E_PROTOCOL_UNSOLICITED_REPLY');
    expect(probe.tls).toBeNull();
  });
});

describe('one run, many hostile targets, one good server', () => {
  it('every hostile target gets its own status; the good ones are unaffected; DNS timeout and SERVFAIL are target statuses', async () => {
    // Distinct loopback addresses, because the polite scheduler allows one connection per IP.
    const scripts: Array<{ name: string; ip: string; script: (io: ConnectionIo) => void; status: string; code?: string }> = [
      { name: 'silent', ip: '127.0.0.11', script: () => {}, status: 'io-timeout', code: 'E_TIMEOUT' },
      {
        name: 'endless',
        ip: '127.0.0.12',
        script: smtpScript({ reply: (v, _l, _t, io) => (v === 'EHLO' ? (flood(io, '250-x\r\n'.repeat(100)), null) : undefined) }),
        status: 'protocol-error',
        code: 'E_PROTOCOL_TOO_MANY_LINES',
      },
      { name: 'long line', ip: '127.0.0.13', script: (io) => io.write(`220 ${'x'.repeat(1 << 20)}`), status: 'protocol-error', code: 'E_PROTOCOL_LINE_TOO_LONG' },
      { name: 'garbage', ip: '127.0.0.14', script: (io) => io.write(Buffer.from([0, 1, 2, 0xff, 10])), status: 'protocol-error', code: 'E_PROTOCOL_MALFORMED_LINE' },
      {
        name: 'tls garbage',
        ip: '127.0.0.15',
        script: smtpScript({ afterStarttls220: (io) => io.socket.once('data', () => io.write('nope\r\n')) }),
        // Opportunistic TLS: the failed handshake is a TLS fact; a plaintext reconnect gives the verdict.
        status: 'success',
      },
      {
        name: 'rst',
        ip: '127.0.0.16',
        script: smtpScript({ reply: (v, _l, _t, io) => (v === 'EHLO' ? (io.socket.resetAndDestroy(), null) : undefined) }),
        status: 'connection-closed',
      },
      { name: 'unsolicited', ip: '127.0.0.17', script: (io) => io.write('220 hi\r\n250 extra\r\n'), status: 'protocol-error', code: 'E_PROTOCOL_UNSOLICITED_REPLY' },
      { name: 'good', ip: '127.0.0.18', script: smtpScript({}), status: 'success' },
    ];
    const servers = await Promise.all(scripts.map((s) => track(startHostile(s.script, s.ip))));
    const good = await track(startPolicyServer({ tls: true }));
    const goodByDns = await track(startHostile(smtpScript({}), '127.0.0.19'));
    const dns = await track(
      startDnsServer(
        zone(
          {
            'good.hostile.test': { MX: [{ exchange: 'mx.good.hostile.test', priority: 10 }] },
            'mx.good.hostile.test': { A: ['127.0.0.19'] },
          },
          { drop: ['slow.hostile.test'], servfail: ['broken.hostile.test'] },
        ),
        { host: '127.0.0.1', port: 0 },
      ),
    );
    const lines = [
      ...servers.map((s) => `${s.host}:${s.port}`),
      `${good.host}:${good.port}`,
      'slow.hostile.test',
      'broken.hostile.test',
      `mx.good.hostile.test:${goodByDns.port}`,
    ];
    const targets = (async function* () {
      for (const [i, l] of lines.entries()) {
        const p = parseTargetLine(l, `argv:${i + 1}`);
        if (p.ok !== true) throw new Error(`bad fixture target ${l}`);
        yield p.target;
      }
    })();
    const resolver = createResolver({ servers: [dns.address], timeoutMs: 400 });
    const hosts = new Map<string, HostResult>();
    const results: TargetResult[] = [];
    const t0 = performance.now();
    await runProbes(
      targets,
      {
        stopAfter: 'starttls', starttls: true, implicitTls: false, timeoutMs: 1500, deadlineMs: DEADLINE,
        retries: 0, retryGreylistSec: null, transcript: true, port: 25, concurrency: 20, hostGapMs: 0,
        helo: 'probe.example.org', identityKinds: ['primary'], customIdentities: [], sources: [null],
        mailFrom: null, rcpt: null, mismatchName: null, family: 'any',
      },
      { resolver },
      {
        host: (h) => void hosts.set(`${h.ip}:${h.port}`, h),
        target: (t) => void results.push(t),
      },
    );
    // All targets ran side by side: the whole batch is bounded by about one deadline, not the sum.
    // (The 1.5 s step timeout leaves the good servers room on a loaded 2-core machine; 500 ms
    // made the TLS handshake of the good one time out there.)
    expect(performance.now() - t0).toBeLessThan(DEADLINE * 3);
    expect(results).toHaveLength(lines.length);
    scripts.forEach((sc, i) => {
      const probe = hosts.get(`${sc.ip}:${servers[i]!.port}`)?.probes[0];
      expect(probe?.status, sc.name).toBe(sc.status);
      if (sc.code) expect(probe?.error?.code, sc.name).toBe(sc.code);
    });
    const tlsGarbageIndex = scripts.findIndex((sc) => sc.name === 'tls garbage');
    const tlsGarbage = hosts.get(`127.0.0.15:${servers[tlsGarbageIndex]!.port}`)?.probes[0];
    expect(tlsGarbage?.starttlsFailure).toMatchObject({ kind: 'handshake-failed', fallback: 'reconnect' });
    expect(tlsGarbage?.verdict.outcome).toBe('accepted');
    const viaLibrary = hosts.get(`${good.host}:${good.port}`)?.probes[0];
    expect(viaLibrary?.status).toBe('success');
    expect(viaLibrary?.reached).toBe('starttls');
    expect(viaLibrary?.tls?.protocol).toMatch(/^TLS/);
    const viaDns = hosts.get(`127.0.0.19:${goodByDns.port}`)?.probes[0];
    expect(viaDns?.status).toBe('success');
    expect(viaDns?.reached).toBe('starttls');
    const byInput = new Map(results.map((t) => [t.input, t]));
    expect(byInput.get('slow.hostile.test')?.dns.status).toBe('timeout');
    expect(byInput.get('slow.hostile.test')?.hosts).toEqual([]);
    expect(byInput.get('broken.hostile.test')?.dns.status).toBe('servfail');
    expect(byInput.get(`mx.good.hostile.test:${goodByDns.port}`)?.dns.status).toBe('ok');
  });
});
