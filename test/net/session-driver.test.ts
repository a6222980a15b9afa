import { createServer as createTlsServer } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { runSession, type DriverOptions } from '../../src/net/session-driver.js';
import type { SessionConfig } from '../../src/smtp/session.js';
import { startPolicyServer, type PolicyServer } from '../helpers/smtp-server.js';
import { lineScript, startRawServer, type RawServer } from '../helpers/raw-server.js';
import { LAB_CERT, LAB_KEY } from '../../src/lab/cert.js';

const cfg = (over: Partial<SessionConfig> = {}): SessionConfig => ({
  helo: 'relay.example.test',
  stopAfter: 'starttls',
  starttls: true,
  implicitTls: false,
  mailFrom: 'postmaster@example.test',
  rcpt: 'postmaster@fixture.test',
  ...over,
});
const opts = (port: number, over: Partial<DriverOptions> = {}): DriverOptions => ({
  ip: '127.0.0.1',
  port,
  servername: 'mx.secure.demo.test',
  source: null,
  timeoutMs: 3000,
  deadlineMs: 10000,
  ...over,
});

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()?.();
});
async function policy(p: Parameters<typeof startPolicyServer>[0]): Promise<PolicyServer> {
  const s = await startPolicyServer(p);
  cleanup.push(() => s.close());
  return s;
}
async function raw(script: Parameters<typeof startRawServer>[0]): Promise<RawServer> {
  const s = await startRawServer(script);
  cleanup.push(() => s.close());
  return s;
}

describe('session driver against smtp-server', () => {
  it('records banner, EHLO, STARTTLS details and the capabilities after TLS', async () => {
    const server = await policy({ name: 'mx.fixture.test' });
    const run = await runSession(cfg(), opts(server.port));
    expect(run.status).toBe('success');
    const f = run.facts;
    expect(f.banner?.code).toBe(220);
    expect(f.banner?.lines[0]).toMatch(/^220 mx\.fixture\.test ESMTP/);
    expect(f.plainCapabilities?.starttls).toBe(true);
    expect(f.tlsCapabilities).not.toBeNull();
    expect(f.tlsCapabilities?.starttls).toBe(false);
    expect(run.tls?.mode).toBe('starttls');
    expect(run.tls?.protocol).toMatch(/^TLSv1\.[23]$/);
    expect(run.tls?.authorized).toBe(false);
    expect(run.tls?.certificate?.selfSigned).toBe(true);
    expect(run.tls?.certificate?.subjectAltNames).toContain('DNS:mx.secure.demo.test');
    expect(run.tls?.nameMatches).toBe(true);
    expect(run.tls?.certificate?.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(run.timings.tls).not.toBeNull();
    expect(run.timings.ehloTls).not.toBeNull();
    // The transcript has the client side of both greetings, and never DATA.
    const client = run.transcript.filter((l) => l.dir === 'C').map((l) => l.line);
    expect(client).toEqual(['EHLO relay.example.test', 'STARTTLS', 'EHLO relay.example.test', 'QUIT']);
    expect(server.commands.some((c) => /^DATA/i.test(c))).toBe(false);
  });

  it('reports a certificate that does not cover the MX name', async () => {
    const server = await policy({});
    const run = await runSession(cfg(), opts(server.port, { servername: 'mx.other.test' }));
    expect(run.tls?.nameMatches).toBe(false);
    expect(run.tls?.nameError).toMatch(/mx\.other\.test/);
  });

  it('goes as far as RCPT, where a HELO policy refuses; RSET and QUIT follow, never DATA', async () => {
    const server = await policy({
      onRcpt: (_a, s) => (s.hostNameAppearsAs === 'localhost' ? { code: 504, message: '5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname' } : null),
    });
    const bad = await runSession(cfg({ helo: 'localhost', stopAfter: 'rcpt' }), opts(server.port));
    expect(bad.status).toBe('success');
    expect(bad.facts.decision).toMatchObject({ outcome: 'rejected', stage: 'rcpt' });
    expect(bad.facts.rcptReply?.code).toBe(504);
    expect(bad.facts.rcptReply?.enhanced).toBe('5.5.2');
    const good = await runSession(cfg({ stopAfter: 'rcpt' }), opts(server.port));
    expect(good.facts.decision).toMatchObject({ outcome: 'accepted', stage: 'rcpt' });
    const verbs = server.commands.map((c) => c.split(' ')[0]?.toUpperCase());
    expect(verbs).toContain('RSET');
    expect(verbs).not.toContain('DATA');
    expect(verbs).not.toContain('AUTH');
  });

  it('binds the requested source address', async () => {
    const server = await policy({ onRcpt: () => null });
    const run = await runSession(cfg({ stopAfter: 'ehlo' }), opts(server.port, { source: '127.0.0.7' }));
    expect(run.status).toBe('success');
    expect(run.local?.address).toBe('127.0.0.7');
  });

  it('--no-starttls stays in plaintext', async () => {
    const server = await policy({});
    const run = await runSession(cfg({ starttls: false }), opts(server.port));
    expect(run.tls).toBeNull();
    expect(run.facts.plainCapabilities?.starttls).toBe(true);
    expect(run.transcript.some((l) => l.line === 'STARTTLS')).toBe(false);
  });
});

describe('session driver against raw servers', () => {
  it('falls back to HELO after 502 to EHLO and records both replies', async () => {
    const server = await raw(
      lineScript('220 legacy.test ready\r\n', (line) => {
        if (/^EHLO/i.test(line)) return '502 5.5.2 Error: command not recognized\r\n';
        if (/^HELO/i.test(line)) return '250 legacy.test\r\n';
        if (/^QUIT/i.test(line)) return '221 bye\r\n';
        return '250 ok\r\n';
      }),
    );
    const run = await runSession(cfg({ stopAfter: 'ehlo' }), opts(server.port));
    expect(run.status).toBe('success');
    expect(run.facts.ehloReply?.code).toBe(502);
    expect(run.facts.heloReply?.code).toBe(250);
    expect(run.facts.greetingCommand).toBe('HELO');
    expect(server.received[0]).toBe('EHLO relay.example.test\r\nHELO relay.example.test\r\nQUIT\r\n');
  });

  it('keeps the bytes verbatim, bare LF noted', async () => {
    const server = await raw(lineScript('220-first\n220 second\r\n', (line) => (/^QUIT/i.test(line) ? '221 bye\r\n' : null)));
    const run = await runSession(cfg({ stopAfter: 'banner' }), opts(server.port));
    expect(run.facts.banner?.lines).toEqual(['220-first', '220 second']);
    expect(run.facts.banner?.bareLf).toBe(true);
  });

  it('implicit TLS (RFC 8314): TLS from the first byte, banner read over TLS', async () => {
    const tlsServer = createTlsServer({ key: LAB_KEY, cert: LAB_CERT }, (sock) => {
      lineScript('220 smtps.test ESMTP\r\n', (line) => (/^EHLO/i.test(line) ? '250-smtps.test\r\n250 AUTH PLAIN\r\n' : /^QUIT/i.test(line) ? '221 bye\r\n' : '250 ok\r\n'))(sock as never);
      sock.on('error', () => {});
    });
    await new Promise<void>((r) => tlsServer.listen(0, '127.0.0.1', () => r()));
    cleanup.push(() => new Promise((r) => tlsServer.close(() => r())));
    const port = (tlsServer.address() as { port: number }).port;
    const run = await runSession(cfg({ implicitTls: true }), opts(port));
    expect(run.status).toBe('success');
    expect(run.tls?.mode).toBe('implicit');
    expect(run.facts.banner?.text).toBe('smtps.test ESMTP');
    // Over implicit TLS there is no STARTTLS and AUTH counts as protected.
    expect(run.facts.plainCapabilities?.auth).toEqual(['PLAIN']);
  });

  it('records a TLS 1.0-only server as such instead of failing the handshake', async () => {
    const tlsServer = createTlsServer({ key: LAB_KEY, cert: LAB_CERT, minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' }, (sock) => {
      lineScript('220 old.test ESMTP\r\n', (line) => (/^EHLO/i.test(line) ? '250 old.test\r\n' : /^QUIT/i.test(line) ? '221 bye\r\n' : '250 ok\r\n'))(sock as never);
      sock.on('error', () => {});
    });
    await new Promise<void>((r) => tlsServer.listen(0, '127.0.0.1', () => r()));
    cleanup.push(() => new Promise((r) => tlsServer.close(() => r())));
    const run = await runSession(cfg({ implicitTls: true }), opts((tlsServer.address() as { port: number }).port));
    expect(run.status).toBe('success');
    expect(run.tls?.protocol).toBe('TLSv1');
  });

  it('a per-step timeout ends a silent server with io-timeout, keeping the banner', async () => {
    const server = await raw(lineScript('220 quiet.test\r\n', () => null));
    const run = await runSession(cfg(), opts(server.port, { timeoutMs: 300 }));
    expect(run.status).toBe('io-timeout');
    expect(run.facts.banner?.code).toBe(220);
    expect(run.error?.message).toMatch(/EHLO/);
  });

  it('keeps a reply cut short by a timeout in the transcript', async () => {
    const server = await raw((sock) => sock.write('220-mx.partial.test\r\n220 sl'));
    const run = await runSession(cfg(), opts(server.port, { timeoutMs: 300 }));
    expect(run.status).toBe('io-timeout');
    expect(run.transcript.filter((l) => l.dir === 'S').map((l) => l.line)).toEqual(['220-mx.partial.test', '220 sl']);
  });

  it('a deadline during a TLS handshake leaves no handshake timer or socket behind (the process can exit)', async () => {
    // In a child process, so "nothing keeps the event loop alive" is measured exactly: the
    // process must exit right after the session ends, not when the 8 s handshake timer fires.
    const script = `
      import { createServer } from 'node:net';
      import { runSession } from ${JSON.stringify(new URL('../../dist/net/session-driver.js', import.meta.url).href)};
      const srv = createServer((s) => {
        s.on('error', () => {});
        s.write('220 stall\\r\\n');
        s.on('data', (d) => {
          const t = d.toString();
          if (t.startsWith('EHLO')) s.write('250-stall\\r\\n250 STARTTLS\\r\\n');
          else if (t.startsWith('STARTTLS')) s.write('220 go\\r\\n');
        });
      });
      srv.listen(0, '127.0.0.1', async () => {
        const run = await runSession({ helo: 'a.test', stopAfter: 'starttls', starttls: true, implicitTls: false, mailFrom: '', rcpt: 'a@b.test' },
          { ip: '127.0.0.1', port: srv.address().port, servername: null, source: null, timeoutMs: 8000, deadlineMs: 500 });
        console.log(run.status);
        srv.close();
      });`;
    const { spawnSync } = await import('node:child_process');
    const t0 = Date.now();
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(r.stdout.trim()).toBe('io-timeout');
    expect(Date.now() - t0).toBeLessThan(4000);
  });

  it('the session deadline bounds a server that answers, slowly, forever', async () => {
    const server = await raw((sock) => {
      sock.write('220-');
      const t = setInterval(() => sock.write('x'), 100);
      sock.on('close', () => clearInterval(t));
    });
    const started = Date.now();
    const run = await runSession(cfg(), opts(server.port, { timeoutMs: 5000, deadlineMs: 700 }));
    expect(run.status).toBe('io-timeout');
    expect(run.error?.code).toBe('E_DEADLINE');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('connection refused', async () => {
    const server = await raw(() => {});
    const port = server.port;
    await server.close();
    cleanup.pop();
    const run = await runSession(cfg(), opts(port));
    expect(run.status).toBe('connection-refused');
    expect(run.error?.code).toBe('ECONNREFUSED');
  });

  it('an abort while a reply is pending reads that reply first, then QUITs: no mis-paired replies', async () => {
    const server = await raw(
      lineScript('220 slow.test ESMTP\r\n', (line, sock) => {
        if (/^EHLO/i.test(line)) return '250 slow.test\r\n';
        if (/^MAIL/i.test(line)) return '250 2.1.0 ok\r\n';
        if (/^RCPT/i.test(line)) {
          setTimeout(() => sock.write('250 2.1.5 ok\r\n'), 250);
          return null;
        }
        if (/^QUIT/i.test(line)) return '221 bye\r\n';
        return '250 ok\r\n';
      }),
    );
    const ac = new AbortController();
    const p = runSession(cfg({ stopAfter: 'rcpt', starttls: false }), opts(server.port, { signal: ac.signal, abortGraceMs: 1000 }));
    const poll = setInterval(() => {
      if ((server.received[0] ?? '').includes('RCPT')) {
        clearInterval(poll);
        ac.abort();
      }
    }, 5);
    const run = await p;
    clearInterval(poll);
    expect(server.received[0]?.split('\r\n').filter(Boolean)).toEqual(['EHLO relay.example.test', 'MAIL FROM:<postmaster@example.test>', 'RCPT TO:<postmaster@fixture.test>', 'QUIT']);
    expect(run.facts.decision).toMatchObject({ outcome: 'accepted', stage: 'rcpt' });
    expect(run.status).toBe('success');
  });

  it('an abort signal sends QUIT and gives up within the grace period', async () => {
    const server = await raw(lineScript('220 x\r\n', () => null));
    const ac = new AbortController();
    const p = runSession(cfg(), opts(server.port, { signal: ac.signal, abortGraceMs: 200, timeoutMs: 10000 }));
    setTimeout(() => ac.abort(), 150);
    const run = await p;
    expect(run.error?.code).toBe('E_INTERRUPTED');
    expect(server.received[0]).toContain('QUIT\r\n');
  });
});
