/**
 * Issue 12 §A against a real server: Postfix whose TLS key is garbage advertises STARTTLS and
 * answers 454. mxprobe must behave like an opportunistic sending MTA: record the refusal as a
 * TLS fact, go on in plaintext in the same session, and judge every identity (the first one
 * included) at RCPT exactly as Postfix did; `--fail-on starttls-broken` must exit 3;
 * `--no-starttls-fallback` keeps the strict answer.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { ProbeResult, RunResult } from '../../src/results.js';
import { LAB_ADDRESSES as A, LAB_NAMES as N, LAB_SERVICES } from './lab.js';
import { describeRun, mxprobe, runResult, type CliRun } from './mxprobe.js';
import { SKIP_LAB, useLab } from './suite.js';

const esc = (s: string) => s.replace(/[.[\]]/g, (c) => `\\${c}`);

describe.skipIf(SKIP_LAB)('broken STARTTLS on a real Postfix (unreadable key, 454)', () => {
  const ctx = useLab('starttls-broken');
  let run: CliRun;
  let result: RunResult;
  let probes: ProbeResult[];
  let log: string;

  beforeAll(async () => {
    const mark = ctx.lab.logMark();
    run = await mxprobe(ctx.lab, [
      'probe', A.tlsBroken, '--resolver', A.dns, '--source', A.good, '--helo', N.good,
      '--identities', 'primary,localhost', '--rcpt', `postmaster@${N.domain}`, '--host-gap', '0',
      '--format', 'json', '--quiet',
    ]);
    result = runResult(run);
    probes = result.targets[0]?.hosts[0]?.probes ?? [];
    // Two sessions, each ends with Postfix's disconnect line.
    log = await ctx.lab.waitForLog(
      (l) => (l.match(new RegExp(`${esc(LAB_SERVICES.tlsBroken)}\\[\\d+\\]: disconnect from`, 'g')) ?? []).length >= 2,
      mark,
    );
  }, 120_000);

  it('Postfix really advertised STARTTLS and refused it with 454 (its own log says why)', () => {
    expect(probes, describeRun(run)).toHaveLength(2);
    for (const p of probes) {
      expect(p.capabilities.plain?.starttls).toBe(true);
      expect(p.starttlsFailure).toMatchObject({ kind: 'refused', fallback: 'same-session', reply: { code: 454 } });
      expect(p.tls).toBeNull();
    }
    // Postfix's side of the story: the key could not be loaded (logged when that smtpd started,
    // which may be before this run's mark), and the session counted STARTTLS as failed.
    expect(ctx.lab.postfixLog()).toMatch(/tlsbroken\/smtpd\[\d+\]: (warning|error).*(key|TLS)/i);
    expect(log).toMatch(/tlsbroken\/smtpd\[\d+\]: disconnect from .* starttls=0\/1 mail=1/);
  });

  it('every identity, the first included, is judged at RCPT like Postfix judged it', () => {
    const [primary, localhost] = probes;
    expect(primary?.status).toBe('success');
    expect(primary?.verdict).toMatchObject({ outcome: 'accepted', stage: 'rcpt' });
    expect(localhost?.verdict).toMatchObject({ outcome: 'rejected', stage: 'rcpt', code: 504, cause: 'helo-not-fqdn' });
    // Postfix's INFO action logged the primary's RCPT; the 504 for localhost is its own reject line.
    expect(log).toMatch(new RegExp(`info: RCPT from \\S+\\[${esc(A.good)}\\].*helo=<${esc(N.good)}>`));
    expect(log).toMatch(/reject: RCPT from \S+: 504 5\.5\.2 <localhost>: Helo command rejected/);
    expect(run.code, describeRun(run)).toBe(0);
  });

  it('--fail-on starttls-broken exits 3 and names the reply; no-starttls catches it too', async () => {
    const r = await mxprobe(ctx.lab, ['probe', A.tlsBroken, '--resolver', A.dns, '--source', A.good, '--helo', N.good, '--rcpt', `postmaster@${N.domain}`, '--fail-on', 'starttls-broken', '--quiet']);
    expect(r.code, describeRun(r)).toBe(3);
    expect(r.stderr).toMatch(/policy starttls-broken: .*454/);
    const ok = await mxprobe(ctx.lab, ['probe', A.tlsBroken, '--resolver', A.dns, '--source', A.good, '--helo', N.good, '--rcpt', `postmaster@${N.domain}`, '--fail-on', 'no-starttls', '--quiet']);
    expect(ok.code, describeRun(ok)).toBe(3);
    expect(ok.stderr).toMatch(/policy no-starttls: .*offered but it does not work \(refused 454\)/);
  }, 120_000);

  it('--no-starttls-fallback: deferred at starttls, cause tls-unavailable, no MAIL sent', async () => {
    const r = await mxprobe(ctx.lab, ['probe', A.tlsBroken, '--resolver', A.dns, '--source', A.good, '--helo', N.good, '--rcpt', `postmaster@${N.domain}`, '--no-starttls-fallback', '--stop-after', 'rcpt', '--format', 'json', '--quiet']);
    const p = runResult(r).targets[0]?.hosts[0]?.probes[0];
    expect(p?.verdict).toMatchObject({ outcome: 'deferred', stage: 'starttls', code: 454, cause: 'tls-unavailable' });
    expect(p?.transcript.filter((l) => l.dir === 'C' && /^MAIL/i.test(l.line))).toEqual([]);
    // A deferral is the receiver's answer, not a failed probe: exit 0 (use --fail-on to gate on it).
    expect(r.code, describeRun(r)).toBe(0);
  }, 120_000);
});
