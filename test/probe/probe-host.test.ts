import { afterEach, describe, expect, it } from 'vitest';
import { probeHost, type HostJob, type ProbeSettings } from '../../src/probe/probe-host.js';
import { PoliteScheduler } from '../../src/probe/scheduler.js';
import { startResponder, type ResponderHandle, type ResponderPolicy } from '../../src/lab/smtp-responder.js';
import type { Identity } from '../../src/results.js';

const settings: ProbeSettings = {
  stopAfter: 'rcpt',
  starttls: true,
  implicitTls: false,
  timeoutMs: 3000,
  deadlineMs: 10000,
  retries: 0,
  retryGreylistSec: null,
  transcript: true,
};
const ids = (...names: Array<[Identity['kind'], string]>): Identity[] => names.map(([kind, name]) => ({ kind, name, source: null }));
const servers: ResponderHandle[] = [];
afterEach(async () => {
  while (servers.length) await servers.pop()?.close();
});
async function serve(policy: Partial<ResponderPolicy>): Promise<ResponderHandle> {
  const s = await startResponder({ hostname: 'mx.fixture.test', banner: () => ({ code: 220, lines: ['mx.fixture.test ESMTP'] }), ...policy });
  servers.push(s);
  return s;
}
function job(s: ResponderHandle, identities: Identity[]): HostJob {
  return { exchange: 'mx.fixture.test', ip: s.host, port: s.port, family: 4, servername: 'mx.fixture.test', identities, unavailable: [], mailFrom: 'postmaster@sender.test', rcpt: 'postmaster@fixture.test' };
}

describe('probeHost: the identity matrix on one host', () => {
  it('one connection per identity; verdicts classified by stage and text', async () => {
    const s = await serve({
      rcpt: (sess) => (sess.helo === 'localhost' ? { code: 504, enhanced: '5.5.2', lines: ['<localhost>: Helo command rejected: need fully-qualified hostname'] } : null),
      greet: (_s, cmd, name) => (name === '[192.0.2.99]' ? { code: 550, lines: [`${cmd} argument does not match calling host`] } : null),
    });
    const host = await probeHost(job(s, ids(['primary', 'good.example.test'], ['localhost', 'localhost'], ['literal', '[192.0.2.99]'])), settings, {
      scheduler: new PoliteScheduler({ concurrency: 5, hostGapMs: 10 }),
    });
    expect(s.connections()).toBe(3);
    const [primary, localhost, literal] = host.probes;
    expect(primary?.verdict).toMatchObject({ outcome: 'accepted', stage: 'rcpt', cause: 'none' });
    expect(localhost?.verdict).toMatchObject({ outcome: 'rejected', stage: 'rcpt', cause: 'helo-not-fqdn', code: 504 });
    expect(localhost?.verdict.remedy).toBeTruthy();
    expect(literal?.verdict).toMatchObject({ outcome: 'rejected', stage: 'ehlo', cause: 'helo-mismatch' });
    // Both greetings are on record for the EHLO refusal.
    expect(literal?.greeting?.ehloReply?.code).toBe(550);
    expect(literal?.greeting?.command).toBe('HELO');
    expect(s.log.some((l) => /DATA/i.test(l))).toBe(false);
  });

  it('backs off after a 421: the remaining identities are not tried', async () => {
    const s = await serve({
      banner: (sess) => (sess.connection >= 3 ? { code: 421, enhanced: '4.7.0', lines: ['mx.fixture.test Too many connections, slow down'] } : { code: 220, lines: ['mx.fixture.test ESMTP'] }),
    });
    const host = await probeHost(job(s, ids(['primary', 'a.example.test'], ['short', 'a'], ['localhost', 'localhost'], ['bare-ip', '192.0.2.7'], ['custom', 'x.example.test'])), settings, {
      scheduler: new PoliteScheduler({ concurrency: 5, hostGapMs: 0 }),
    });
    expect(s.connections()).toBe(3);
    expect(host.probes.map((p) => p.status)).toEqual(['success', 'success', 'success', 'not-tried', 'not-tried']);
    expect(host.probes[2]?.verdict).toMatchObject({ outcome: 'deferred', stage: 'connect', code: 421, cause: 'rate-limit' });
    expect(host.probes[3]?.notTried?.reason).toMatch(/421 at connect/);
  });

  it('re-probes a greylisted cell after the delay and records that it passed', async () => {
    const seen = new Map<string, number>();
    const s = await serve({
      rcpt(sess, to) {
        const key = `${sess.clientIp}/${to}`;
        if (!seen.has(key)) {
          seen.set(key, Date.now());
          return { code: 450, enhanced: '4.2.0', lines: [`<${to}>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/fixture.test.html`] };
        }
        return null;
      },
    });
    const host = await probeHost(job(s, ids(['primary', 'a.example.test'])), { ...settings, retryGreylistSec: 1 }, {
      scheduler: new PoliteScheduler({ concurrency: 5, hostGapMs: 0 }),
    });
    const p = host.probes[0];
    expect(p?.verdict).toMatchObject({ outcome: 'deferred', cause: 'greylist' });
    expect(p?.greylistRetry?.verdict.outcome).toBe('accepted');
    expect(p?.greylistRetry?.afterSeconds).toBe(1);
    expect(s.connections()).toBe(2);
  });

  it('retries a refused connection only when asked', async () => {
    const s = await serve({});
    const port = s.port;
    await servers.pop()?.close();
    const j = { ...job(s, ids(['primary', 'a.example.test'])), port };
    const once = await probeHost(j, settings, { scheduler: new PoliteScheduler({ concurrency: 1, hostGapMs: 0 }) });
    expect(once.probes[0]?.status).toBe('connection-refused');
    expect(once.probes[0]?.transcript.filter((l) => l.line.startsWith('connecting')).length).toBe(1);
  });

  it('never re-probes a greylisted cell after the host said 421', async () => {
    const s = await serve({
      banner: (sess) => (sess.connection === 2 ? { code: 421, enhanced: '4.7.0', lines: ['mx.fixture.test closing, too busy'] } : { code: 220, lines: ['mx.fixture.test ESMTP'] }),
      rcpt: (_sess, to) => ({ code: 450, enhanced: '4.2.0', lines: [`<${to}>: Recipient address rejected: Greylisted`] }),
    });
    const host = await probeHost(job(s, ids(['primary', 'a.example.test'], ['localhost', 'localhost'], ['short', 'a'])), { ...settings, retryGreylistSec: 0 }, {
      scheduler: new PoliteScheduler({ concurrency: 5, hostGapMs: 0 }),
    });
    expect(s.connections()).toBe(2);
    expect(host.probes[0]?.verdict.cause).toBe('greylist');
    expect(host.probes[0]?.greylistRetry).toBeUndefined();
    expect(host.probes[2]?.status).toBe('not-tried');
  });

  it('--no-starttls-fallback: the failed handshake stays a tls-error; the rest of the matrix goes on without STARTTLS', async () => {
    // Advertises STARTTLS, answers 220, then sends garbage instead of a handshake.
    const { startRawServer, lineScript } = await import('../helpers/raw-server.js');
    const raw = await startRawServer(
      lineScript('220 mx.fixture.test ESMTP\r\n', (line, sock) => {
        if (/^EHLO/i.test(line)) return '250-mx.fixture.test\r\n250 STARTTLS\r\n';
        if (/^STARTTLS/i.test(line)) {
          sock.write('220 go ahead\r\n');
          setTimeout(() => sock.write('this is not TLS\r\n\r\n'), 20);
          return null;
        }
        if (/^QUIT/i.test(line)) return '221 bye\r\n';
        return '250 ok\r\n';
      }),
    );
    try {
      const j: HostJob = { exchange: 'mx.fixture.test', ip: '127.0.0.1', port: raw.port, family: 4, servername: 'mx.fixture.test', identities: ids(['primary', 'a.example.test'], ['localhost', 'localhost']), unavailable: [], mailFrom: 'postmaster@sender.test', rcpt: 'postmaster@fixture.test' };
      const host = await probeHost(j, { ...settings, starttlsFallback: false }, { scheduler: new PoliteScheduler({ concurrency: 5, hostGapMs: 0 }) });
      expect(host.probes[0]?.status).toBe('tls-error');
      expect(host.probes[0]?.starttlsFailure).toMatchObject({ kind: 'handshake-failed', fallback: 'none' });
      expect(host.probes[1]?.status).toBe('success');
      expect(host.probes[1]?.verdict).toMatchObject({ outcome: 'accepted', stage: 'rcpt' });
      expect(host.probes[1]?.transcript[0]?.line).toMatch(/STARTTLS not attempted/);
      expect(raw.received[1]).not.toContain('STARTTLS');
    } finally {
      await raw.close();
    }
  });
});
