/**
 * Issue 12 §A: a receiver whose STARTTLS is broken. Like an opportunistic sending MTA, the probe
 * goes on in plaintext (same session after a refusal, a fresh connection after a failed
 * handshake) so every identity, the first included, gets its verdict from MAIL/RCPT, and the
 * failure is recorded as a TLS fact of the host. Raw servers: real SMTP libraries never do this.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { probeHost, judgedVerdict, type HostJob, type ProbeSettings } from '../../src/probe/probe-host.js';
import { PoliteScheduler } from '../../src/probe/scheduler.js';
import { evaluateTargetPolicy, parsePolicy } from '../../src/analysis/policy.js';
import type { Identity, TargetResult } from '../../src/results.js';
import { lineScript, startRawServer, type RawServer } from '../helpers/raw-server.js';

const settings: ProbeSettings = {
  stopAfter: 'rcpt',
  starttls: true,
  implicitTls: false,
  timeoutMs: 5000,
  deadlineMs: 15000,
  retries: 0,
  retryGreylistSec: null,
  transcript: true,
};
const ids = (...names: Array<[Identity['kind'], string]>): Identity[] => names.map(([kind, name]) => ({ kind, name, source: null }));
const open: RawServer[] = [];
afterEach(async () => {
  while (open.length) await open.pop()?.close();
});

/** An SMTP server that advertises STARTTLS and then fails it: `mode` says how. */
async function brokenTls(mode: '454' | 'garbage'): Promise<RawServer> {
  const raw = await startRawServer(
    lineScript('220 mx.fixture.test ESMTP\r\n', (line, sock) => {
      if (/^EHLO/i.test(line)) return '250-mx.fixture.test\r\n250-SIZE 1000\r\n250 STARTTLS\r\n';
      if (/^STARTTLS/i.test(line)) {
        if (mode === '454') return '454 4.7.0 TLS not available due to local problem\r\n';
        sock.write('220 2.0.0 Ready to start TLS\r\n');
        // Instead of a ServerHello: a plaintext line, as a middlebox or broken OpenSSL build does.
        sock.once('data', () => sock.write('this is not TLS\r\n'));
        return null;
      }
      if (/^MAIL/i.test(line)) return '250 2.1.0 ok\r\n';
      if (/^RCPT/i.test(line)) return /localhost/.test(line) ? '250 ok\r\n' : '250 2.1.5 ok\r\n';
      if (/^RSET/i.test(line)) return '250 ok\r\n';
      if (/^QUIT/i.test(line)) return '221 bye\r\n';
      return '502 5.5.2 no\r\n';
    }),
  );
  open.push(raw);
  return raw;
}

function job(raw: RawServer, identities: Identity[]): HostJob {
  return { exchange: 'mx.fixture.test', ip: raw.host, port: raw.port, family: 4, servername: 'mx.fixture.test', identities, unavailable: [], mailFrom: 'postmaster@sender.test', rcpt: 'postmaster@fixture.test' };
}

function target(host: Awaited<ReturnType<typeof probeHost>>): TargetResult {
  return { input: 'fixture.test', origin: 'argv', kind: 'domain', domain: 'fixture.test', port: host.port, dns: { status: 'ok' }, mx: [], hosts: [host] };
}

describe('STARTTLS refused (454): go on in plaintext in the same session', () => {
  it('every identity gets its verdict from RCPT; the refusal is a TLS fact with its reply', async () => {
    const raw = await brokenTls('454');
    const host = await probeHost(job(raw, ids(['primary', 'good.example.test'], ['localhost', 'localhost'])), settings, {
      scheduler: new PoliteScheduler({ concurrency: 2, hostGapMs: 0 }),
    });
    expect(raw.connections()).toBe(2);
    for (const p of host.probes) {
      expect(p.status).toBe('success');
      expect(p.verdict).toMatchObject({ outcome: 'accepted', stage: 'rcpt' });
      expect(p.starttlsFailure).toMatchObject({ kind: 'refused', fallback: 'same-session', reply: { code: 454, enhanced: '4.7.0' } });
      expect(p.tls).toBeNull();
    }
    // Same session: STARTTLS, then MAIL in plaintext on the one connection.
    expect(raw.received[0]).toMatch(/STARTTLS\r\nMAIL FROM/);
    expect(raw.received.join('')).not.toMatch(/^DATA/m);
  });

  it('stop-after starttls (the default for one identity): accepted at ehlo, not deferred@starttls', async () => {
    const raw = await brokenTls('454');
    const host = await probeHost(job(raw, ids(['primary', 'good.example.test'])), { ...settings, stopAfter: 'starttls' }, {
      scheduler: new PoliteScheduler({ concurrency: 2, hostGapMs: 0 }),
    });
    const p = host.probes[0];
    expect(p?.verdict).toMatchObject({ outcome: 'accepted', stage: 'ehlo' });
    expect(p?.starttlsFailure?.kind).toBe('refused');
  });

  it('--no-starttls-fallback: deferred@starttls with cause tls-unavailable (not unknown)', async () => {
    const raw = await brokenTls('454');
    const host = await probeHost(job(raw, ids(['primary', 'good.example.test'])), { ...settings, starttlsFallback: false }, {
      scheduler: new PoliteScheduler({ concurrency: 2, hostGapMs: 0 }),
    });
    const p = host.probes[0];
    expect(p?.verdict).toMatchObject({ outcome: 'deferred', stage: 'starttls', cause: 'tls-unavailable', code: 454 });
    expect(p?.starttlsFailure).toMatchObject({ kind: 'refused', fallback: 'none' });
    expect(raw.received[0]).not.toMatch(/MAIL FROM/);
  });

  it('--fail-on starttls-broken fires (B2), once per host, not once per identity', async () => {
    const raw = await brokenTls('454');
    const host = await probeHost(job(raw, ids(['primary', 'good.example.test'], ['localhost', 'localhost'])), settings, {
      scheduler: new PoliteScheduler({ concurrency: 2, hostGapMs: 0 }),
    });
    const v = evaluateTargetPolicy(target(host), parsePolicy('starttls-broken'));
    expect(v).toHaveLength(1);
    expect(v[0]?.detail).toMatch(/offered but refused: 454 .*TLS not available/);
    // A CI policy written with no-starttls alone (the README's, before) must not pass it either.
    const ns = evaluateTargetPolicy(target(host), parsePolicy('no-starttls'));
    expect(ns).toHaveLength(1);
    expect(ns[0]?.detail).toMatch(/offered but it does not work \(refused 454\)/);
  });
});

describe('STARTTLS handshake fails: reconnect in plaintext', () => {
  it('the first cell reconnects and is judged at RCPT; later cells skip STARTTLS; the failure is recorded', async () => {
    const raw = await brokenTls('garbage');
    const host = await probeHost(job(raw, ids(['primary', 'good.example.test'], ['localhost', 'localhost'])), settings, {
      scheduler: new PoliteScheduler({ concurrency: 2, hostGapMs: 0 }),
    });
    // 1: failed handshake, 2: primary again in plaintext, 3: localhost in plaintext.
    expect(raw.connections()).toBe(3);
    const [primary, localhost] = host.probes;
    expect(primary?.status).toBe('success');
    expect(primary?.verdict).toMatchObject({ outcome: 'accepted', stage: 'rcpt' });
    expect(primary?.starttlsFailure).toMatchObject({ kind: 'handshake-failed', fallback: 'reconnect' });
    expect(primary?.transcript.some((l) => /reconnecting in plaintext/.test(l.line))).toBe(true);
    expect(raw.received[0]).toMatch(/STARTTLS/);
    expect(raw.received[1]).not.toMatch(/STARTTLS/);
    expect(raw.received[1]).toMatch(/RCPT TO/);
    expect(localhost?.verdict).toMatchObject({ outcome: 'accepted', stage: 'rcpt' });
    expect(raw.received[2]).not.toMatch(/STARTTLS/);
    const v = evaluateTargetPolicy(target(host), parsePolicy('starttls-broken'));
    expect(v).toHaveLength(1);
    expect(v[0]?.detail).toMatch(/handshake failed/);
  });

  it('the plaintext reconnect goes through the polite scheduler (spaced by the host gap)', async () => {
    const raw = await brokenTls('garbage');
    const starts: number[] = [];
    const scheduler = new PoliteScheduler({ concurrency: 2, hostGapMs: 150 });
    const run = scheduler.run.bind(scheduler);
    scheduler.run = <T>(ip: string, fn: () => Promise<T>): Promise<T> =>
      run(ip, () => {
        starts.push(Date.now());
        return fn();
      });
    await probeHost(job(raw, ids(['primary', 'good.example.test'])), settings, { scheduler });
    expect(starts).toHaveLength(2);
    // Never closer than the gap (a lower bound only: a loaded machine only makes it later).
    expect((starts[1] ?? 0) - (starts[0] ?? 0)).toBeGreaterThanOrEqual(140);
  });
});

describe('not-judged (B4)', () => {
  const accepted = { outcome: 'accepted' as const, stage: 'connect' as const, code: 220, enhanced: null, text: 'mx ESMTP', cause: 'none' as const };
  it('stop-after banner never sent the HELO: not-judged for every identity, the primary too', () => {
    expect(judgedVerdict(accepted, 'primary', 'banner').outcome).toBe('not-judged');
    expect(judgedVerdict(accepted, 'localhost', 'banner').outcome).toBe('not-judged');
  });
  it('a non-primary identity stopped before MAIL is not judged; at RCPT it is', () => {
    const atEhlo = { ...accepted, stage: 'ehlo' as const, code: 250 };
    expect(judgedVerdict(atEhlo, 'localhost', 'starttls').outcome).toBe('not-judged');
    expect(judgedVerdict(atEhlo, 'localhost', 'ehlo').outcome).toBe('not-judged');
    expect(judgedVerdict({ ...atEhlo, stage: 'rcpt' }, 'localhost', 'rcpt').outcome).toBe('accepted');
    expect(judgedVerdict(atEhlo, 'primary', 'starttls').outcome).toBe('accepted');
  });
  it('a refusal is the receiver\'s word and stays', () => {
    const refused = { ...accepted, outcome: 'rejected' as const, stage: 'ehlo' as const, code: 550, cause: 'helo-policy' as const };
    expect(judgedVerdict(refused, 'localhost', 'ehlo')).toEqual(refused);
  });
});
