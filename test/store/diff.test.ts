/** The pure diff of two host records, the target diff, and the --fail-on-change rules. */
import { describe, expect, it } from 'vitest';
import { describeChange, diffHost, diffTarget, matchRules, parseChangeRules, type Change } from '../../src/store/diff.js';
import type { HostResult } from '../../src/results.js';
import { probe0, sampleHost, sampleTarget } from './fixture.js';

const opts = { now: new Date('2026-06-01T00:00:00Z'), expiryDays: 14 };
const kinds = (cs: Change[]) => cs.map((c) => c.kind);
function changed(f: (h: HostResult) => void): Change[] {
  const a = sampleHost();
  const b = sampleHost();
  f(b);
  return diffHost(a, b, opts);
}

describe('diffHost', () => {
  it('the same record twice: no change', () => {
    expect(diffHost(sampleHost(), sampleHost(), opts)).toEqual([]);
  });

  it('STARTTLS withdrawn from EHLO: "STARTTLS lost", and no TLS claims without a TLS session', () => {
    const cs = changed((h) => {
      for (const p of h.probes) {
        if (p.capabilities.plain) {
          p.capabilities.plain.starttls = false;
          delete p.capabilities.plain.keywords['STARTTLS'];
        }
        p.tls = null;
      }
    });
    expect(kinds(cs)).toEqual(['starttls-lost']);
    expect(describeChange(cs[0]!)).toBe('STARTTLS lost');
    expect(matchRules(cs[0]!, parseChangeRules('starttls-lost,verdict-worse'))).toHaveLength(1);
  });

  it('TLS 1.3 → 1.2 is a downgrade; a new fingerprint is a replaced certificate', () => {
    const cs = changed((h) => {
      const t = probe0(h).tls!;
      t.protocol = 'TLSv1.2';
      t.certificate!.fingerprint256 = 'DD:EE:FF';
    });
    expect(kinds(cs)).toContain('tls-downgrade');
    expect(kinds(cs)).toContain('cert-changed');
    const rules = parseChangeRules('tls-downgrade,cert-changed');
    expect(cs.flatMap((c) => matchRules(c, rules)).map((r) => r.rule).sort()).toEqual(['cert-changed', 'tls-downgrade']);
  });

  it('accepted → rejected@rcpt is verdict-worse and a new refusal, with the issue\'s wording', () => {
    const cs = changed((h) => {
      const v = probe0(h).verdict;
      Object.assign(v, { outcome: 'rejected', stage: 'rcpt', code: 450, cause: 'helo-not-resolving' });
    });
    const v = cs.find((c) => c.kind === 'verdict-changed');
    expect(v).toMatchObject({ direction: 'worse', newRefusal: true, identityKind: 'primary' });
    expect(describeChange(v!)).toBe('primary: accepted → rejected@rcpt helo-not-resolving');
    expect(matchRules(v!, parseChangeRules('verdict-worse:primary'))).toHaveLength(1);
    expect(matchRules(v!, parseChangeRules('verdict-worse:literal'))).toHaveLength(0);
    expect(matchRules(v!, parseChangeRules('new-refusal'))).toHaveLength(1);
  });

  it('rejected → accepted is better and fires no rule', () => {
    const a = sampleHost();
    Object.assign(probe0(a).verdict, { outcome: 'rejected', stage: 'rcpt', code: 550, cause: 'policy' });
    const cs = diffHost(a, sampleHost(), opts);
    const v = cs.find((c) => c.kind === 'verdict-changed');
    expect(v).toMatchObject({ direction: 'better', newRefusal: false });
    expect(matchRules(v!, parseChangeRules('verdict-worse,new-refusal'))).toEqual([]);
  });

  it('a probe that failed in the newer run is inconclusive, never a capability or verdict change', () => {
    const cs = changed((h) => {
      for (const p of h.probes) {
        Object.assign(p, { status: 'connection-refused', error: { code: 'ECONNREFUSED', message: 'refused' }, banner: null, greeting: null, tls: null, capabilities: { plain: null, tls: null } });
        Object.assign(p.verdict, { outcome: 'unknown', stage: null, code: null, cause: 'unknown' });
      }
    });
    expect(new Set(kinds(cs))).toEqual(new Set(['probe-failed']));
    expect(matchRules(cs[0]!, parseChangeRules('new-refusal'))).toHaveLength(1);
    expect(matchRules(cs[0]!, parseChangeRules('starttls-lost,verdict-worse'))).toEqual([]);
  });

  it('capabilities added, removed and changed; banner changed', () => {
    const cs = changed((h) => {
      const k = probe0(h).capabilities.plain!.keywords;
      delete k['CHUNKING'];
      k['DSN'] = '';
      k['SIZE'] = '52428800';
      probe0(h).banner!.lines = ['220 mx1.example.com ESMTP'];
    });
    expect(kinds(cs).sort()).toEqual(['banner-changed', 'capability-added', 'capability-changed', 'capability-removed']);
  });

  it('a certificate within the expiry window is reported', () => {
    const h = sampleHost();
    probe0(h).tls!.certificate!.validTo = '2026-06-10T00:00:00Z';
    const cs = diffHost(sampleHost(), h, opts);
    expect(cs.find((c) => c.kind === 'cert-expiring')).toMatchObject({ days: 9 });
  });

  it('hosts appearing and disappearing', () => {
    expect(kinds(diffHost(null, sampleHost(), opts))).toEqual(['host-appeared']);
    expect(kinds(diffHost(sampleHost(), null, opts))).toEqual(['host-disappeared']);
  });

  it('alignment check status changes', () => {
    const cs = changed((h) => {
      h.alignment!.checks[2]!.status = 'fail';
    });
    expect(cs).toEqual([{ kind: 'alignment-changed', check: 'fcrdns', before: 'pass', after: 'fail' }]);
  });
});

describe('diffTarget', () => {
  it('an MX set change (only when both lookups answered)', () => {
    const a = sampleTarget();
    const b = sampleTarget();
    b.mx = [{ exchange: 'mx9.example.com', priority: 10, implicit: false }];
    const cs = diffTarget(a, b);
    expect(cs).toMatchObject([{ kind: 'mx-changed' }]);
    expect(matchRules(cs[0]!, parseChangeRules('mx-changed'))).toHaveLength(1);
    b.dns = { status: 'timeout' };
    expect(kinds(diffTarget(a, b))).toEqual(['dns-changed']);
  });

  it('a target one run never started (dns not-tried, an interrupted run) is not a DNS or MX change', () => {
    const started = sampleTarget();
    const never = { ...sampleTarget(), dns: { status: 'not-tried' as const, detail: 'run interrupted' }, mx: [], hosts: [] };
    // A store written before import skipped them holds such rows: "dns-changed not-tried → ok" was reported.
    expect(diffTarget(never, started)).toEqual([]);
    expect(diffTarget(started, never)).toEqual([]);
    // Control: a lookup that ran and failed is still a change.
    expect(kinds(diffTarget({ ...started, dns: { status: 'timeout' } }, started))).toEqual(['dns-changed']);
  });
});

describe('parseChangeRules', () => {
  it('refuses unknown rules and kinds with a clear message', () => {
    expect(() => parseChangeRules('starttls-gone')).toThrow(/unknown rule "starttls-gone"/);
    expect(() => parseChangeRules('verdict-worse:bogus')).toThrow(/unknown identity kind/);
    expect(() => parseChangeRules(',')).toThrow(/no rule/);
  });
});
