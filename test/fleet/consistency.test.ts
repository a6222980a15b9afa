import { describe, expect, it } from 'vitest';
import type { AlignmentCheck, Cause, Outcome, ProbeResult, TargetResult } from '../../src/results.js';
import { ConsistencyBuilder, consistencyOf, renderConsistency } from '../../src/fleet/consistency.js';
import { vantageFactsFromOptions } from '../../src/fleet/facts.js';

function probe(vantage: string | undefined, kind: 'primary' | 'literal' | 'localhost', outcome: Outcome, checks: AlignmentCheck[] = [], code: number | null = null, cause?: Cause): ProbeResult {
  return {
    identity: { kind, name: kind === 'primary' ? `${vantage}.example.net` : kind === 'localhost' ? 'localhost' : '[192.0.2.9]', source: null },
    status: 'success',
    verdict: { outcome, stage: outcome === 'accepted' ? 'rcpt' : 'rcpt', code: code ?? (outcome === 'accepted' ? 250 : 550), enhanced: null, text: null, cause: cause ?? (outcome === 'rejected' ? 'fcrdns-fail' : 'none') },
    reached: 'rcpt', local: { address: vantage === 'relay2' ? '192.0.2.11' : '192.0.2.10', port: 40000 },
    banner: null, greeting: null, capabilities: { plain: null, tls: null }, tls: null, mail: null, rcpt: null,
    observedClientIp: null,
    timings: { connect: 1, banner: 1, ehlo: 1, helo: null, tls: null, ehloTls: null, mail: 1, rcpt: 1, total: 5 },
    transcript: [],
    alignment: { checks },
    ...(vantage !== undefined ? { vantage } : {}),
  };
}

const fcrdnsFail: AlignmentCheck = { id: 'fcrdns', status: 'fail', detail: 'PTR relay2.example.net does not resolve back to 192.0.2.11' };

function target(input: string, probes: ProbeResult[][]): TargetResult {
  return {
    input, origin: 'argv', kind: 'domain', domain: input, port: 25, dns: { status: 'ok' }, mx: [],
    hosts: probes.map((ps) => ({ exchange: `mx.${input}`, ip: '198.51.100.25', port: 25, family: 4 as const, probes: ps })),
  };
}

describe('relay consistency', () => {
  it('flags exactly the cell where vantages disagree, naming the broken relay and its DNS cause', () => {
    const r = consistencyOf([
      target('outlook.test', [[probe('relay1', 'primary', 'accepted')], [probe('relay2', 'primary', 'rejected', [fcrdnsFail])]]),
      target('same.test', [[probe('relay1', 'primary', 'accepted')], [probe('relay2', 'primary', 'accepted', [fcrdnsFail])]]),
    ]);
    expect(r.vantages).toEqual(['relay1', 'relay2']);
    expect(r.inconsistencies).toBe(1);
    const bad = r.receivers.find((x) => x.target === 'outlook.test')!;
    expect(bad.kinds[0]!.differs).toBe(true);
    expect(bad.kinds[0]!.explanations).toHaveLength(1);
    expect(bad.kinds[0]!.explanations[0]).toMatch(/^relay2: PTR relay2\.example\.net does not resolve back .*\(fcrdns fail\).* rejects relay2 .*accepts relay1/);
    expect(r.receivers.find((x) => x.target === 'same.test')!.kinds[0]!.differs).toBe(false);
    expect(r.acceptance['relay2']?.primary).toEqual({ probes: 2, accepted: 1, rejected: 1, deferred: 0, unknown: 0, 'not-judged': 0 });
    expect(r.vantageFacts['relay2']?.problems.map((p) => p.id)).toEqual(['fcrdns']);
    const text = renderConsistency(r);
    expect(text).toContain('!! primary');
    expect(text).toContain('1 cell(s) where the relays are treated differently');
  });

  it('says when nothing differs, and when a file has no vantages at all', () => {
    const same = consistencyOf([target('a.test', [[probe('r1', 'primary', 'accepted')], [probe('r2', 'primary', 'accepted')]])]);
    expect(same.inconsistencies).toBe(0);
    expect(renderConsistency(same)).toContain('Every receiver treated every relay the same way');
    const local = consistencyOf([target('a.test', [[probe(undefined, 'primary', 'accepted')]])]);
    expect(local.vantages).toEqual([]);
    expect(local.withoutVantage).toBe(1);
    expect(renderConsistency(local)).toMatch(/not a fleet run/);
  });

  it('strips terminal controls from server- and DNS-derived text', () => {
    const evil: AlignmentCheck = { id: 'fcrdns', status: 'fail', detail: 'PTR \u001b[31mred\u001b[0m' };
    const r = consistencyOf([target('x.test', [[probe('r1', 'primary', 'accepted')], [probe('r2', 'primary', 'rejected', [evil])]])]);
    expect(renderConsistency(r)).not.toContain('\u001b');
  });

  // qa11 "Routed": relay1=rejected 554 (relay-denied), relay2=deferred 450 (no-ptr) was explained as
  // "… rejects relay1 (…) but accepts relay2": the best-ranked outcome was called acceptance.
  it('names what the better-treated vantages actually got: a deferral is never called acceptance', () => {
    const r = consistencyOf([
      target('strict.test', [
        [probe('relay1', 'primary', 'rejected', [], 554, 'relay-denied')],
        [probe('relay2', 'primary', 'deferred', [], 450, 'no-ptr')],
      ]),
    ]);
    const e = r.receivers[0]!.kinds[0]!.explanations;
    expect(e).toHaveLength(1);
    expect(e[0]).toMatch(/rejects relay1 \(554 at rcpt, cause relay-denied\) but defers relay2 \(450 at rcpt, cause no-ptr\)$/);
    expect(e[0]).not.toMatch(/accepts/);
    expect(renderConsistency(r)).not.toMatch(/accepts/);
    expect(JSON.stringify(r)).not.toMatch(/accepts/);
  });

  it('says "accepts" only for accepted vantages, and gives each better-treated group its own reply', () => {
    const r = consistencyOf([
      target('mixed.test', [
        [probe('r1', 'primary', 'rejected', [], 550, 'fcrdns-fail')],
        [probe('r2', 'primary', 'deferred', [], 450, 'no-ptr')],
        [probe('r3', 'primary', 'deferred', [], 451, 'greylist')],
        [probe('r4', 'primary', 'deferred', [], 450, 'no-ptr')],
      ]),
      target('ok.test', [[probe('r1', 'primary', 'deferred', [], 450, 'no-ptr')], [probe('r2', 'primary', 'accepted')]]),
    ]);
    const mixed = r.receivers.find((x) => x.target === 'mixed.test')!.kinds[0]!.explanations;
    expect(mixed).toEqual([expect.stringMatching(/rejects r1 \(550 at rcpt, cause fcrdns-fail\) but defers r2, r4 \(450 at rcpt, cause no-ptr\) and defers r3 \(451 at rcpt, cause greylist\)$/)]);
    const ok = r.receivers.find((x) => x.target === 'ok.test')!.kinds[0]!.explanations;
    expect(ok).toEqual([expect.stringMatching(/defers r1 \(450 at rcpt, cause no-ptr\) but accepts r2$/)]);
  });

  // qa11 "Routed": relay1's line showed "HELO localhost is a single label" from the localhost identity.
  it("takes a vantage's own facts from its primary identity only, not from the other identity kinds' lint", () => {
    const single: AlignmentCheck = { id: 'helo-fqdn', status: 'fail', detail: 'HELO localhost is a single label' };
    const r = consistencyOf([
      target('a.test', [
        [probe('relay1', 'primary', 'accepted'), probe('relay1', 'localhost', 'rejected', [single])],
        [probe('relay2', 'primary', 'rejected', [fcrdnsFail]), probe('relay2', 'localhost', 'rejected', [single])],
      ]),
    ]);
    expect(r.vantageFacts['relay1']?.problems).toEqual([]);
    expect(r.vantageFacts['relay2']?.problems.map((p) => p.id)).toEqual(['fcrdns']);
    const text = renderConsistency(r);
    const line = (v: string) => text.split('\n').find((l) => l.startsWith(`  ${v}: helo`))!;
    expect(line('relay1')).toBe('  relay1: helo relay1.example.net, source 192.0.2.10: aligned (no failing sender check)');
    expect(line('relay2')).toContain('fcrdns fail');
    expect(line('relay2')).not.toContain('single label');
    // The localhost cells still carry their own lint (the receiver judged that identity, not the relay).
    expect(r.receivers[0]!.kinds.find((k) => k.kind === 'localhost')!.byVantage['relay1']!.problems).toEqual([single]);
  });

  it('does not call a vantage aligned when nothing checked it (no primary probe, no worker lint)', () => {
    const single: AlignmentCheck = { id: 'helo-fqdn', status: 'fail', detail: 'HELO localhost is a single label' };
    const r = consistencyOf([target('a.test', [[probe('relay1', 'localhost', 'rejected', [single])]])]);
    const text = renderConsistency(r);
    expect(text).not.toMatch(/relay1: .*aligned/);
    expect(text).toMatch(/relay1: helo \?, source 192\.0\.2\.10: not checked/);
    expect(r.vantageFacts['relay1']?.judged).toBe(false);
  });

  it("counts a worker's recorded lint as a check: an empty problem list from it is aligned, no lint at all is not", () => {
    const single: AlignmentCheck = { id: 'helo-fqdn', status: 'fail', detail: 'HELO localhost is a single label' };
    const b = new ConsistencyBuilder();
    for (const f of vantageFactsFromOptions({
      fleet: {
        vantages: [
          { name: 'linted', helo: 'linted.example.net', sources: ['192.0.2.10'], lint: [{ sourceIp: '192.0.2.10', failed: false, problems: [] }] },
          { name: 'bare', helo: 'bare.example.net', sources: ['192.0.2.11'], lint: [] },
        ],
      },
    })) b.addVantage(f);
    b.addTarget(target('a.test', [[probe('linted', 'localhost', 'rejected', [single])], [probe('bare', 'localhost', 'rejected', [single])]]));
    const text = renderConsistency(b.build());
    expect(text).toContain('  linted: helo linted.example.net, source 192.0.2.10: aligned (no failing sender check)');
    expect(text).toMatch(/ {2}bare: helo bare\.example\.net, source 192\.0\.2\.11[^:]*: not checked/);
  });
});

// session 11 (fleet11, "Noticed, left alone"): `not-judged` ranked with `unknown`, so "accepted on
// relay1, the run stopped before relay2's HELO was judged" counted as an inconsistency, and a relay
// with no cell at all left the report saying "the same way".
describe('a relay that judged nothing is neither consistent nor inconsistent', () => {
  const notJudged = (v: string) => ({ ...probe(v, 'primary', 'not-judged'), verdict: { outcome: 'not-judged' as const, stage: null, code: null, enhanced: null, text: null, cause: 'none' as const } });

  it('accepted on relay1, not judged on relay2: no inconsistency, "not judged on relay2", never "the same way"', () => {
    const r = consistencyOf([target('t.test', [[probe('relay1', 'primary', 'accepted')], [notJudged('relay2')]])]);
    expect(r.inconsistencies).toBe(0);
    expect(r.notJudgedCells).toBe(1);
    expect(r.notJudgedBy).toEqual({ relay2: 1 });
    const k = r.receivers[0]!.kinds[0]!;
    expect(k.differs).toBe(false);
    expect(k.notJudged).toEqual(['relay2']);
    expect(k.explanations).toEqual([]);
    const text = renderConsistency(r);
    expect(text).toContain('?? primary');
    expect(text).toContain('not judged on relay2');
    expect(text).not.toContain('!!');
    expect(text).not.toMatch(/same way/);
    expect(text).not.toMatch(/treated differently/);
    expect(text).toMatch(/1 cell\(s\) not judged on some relay .*consistency is unknown there/);
  });

  it('a relay with no cell for a receiver (its result missing) is not judged there either', () => {
    const b = new ConsistencyBuilder();
    b.addVantage({ name: 'relay2', helo: null, sources: [], problems: [] });
    b.addTarget(target('t.test', [[probe('relay1', 'primary', 'accepted')]]));
    const r = b.build();
    expect(r.inconsistencies).toBe(0);
    expect(r.notJudgedCells).toBe(1);
    expect(renderConsistency(r)).not.toMatch(/same way/);
  });

  it('a not-judged relay does not hide a real difference between the others', () => {
    const r = consistencyOf([
      target('t.test', [[probe('relay1', 'primary', 'accepted')], [probe('relay2', 'primary', 'rejected', [fcrdnsFail])], [notJudged('relay3')]]),
    ]);
    expect(r.inconsistencies).toBe(1);
    expect(r.notJudgedCells).toBe(1);
    const k = r.receivers[0]!.kinds[0]!;
    expect(k.differs).toBe(true);
    expect(k.notJudged).toEqual(['relay3']);
    // Only the judged relay that was treated worse is explained; relay3 is not "worse".
    expect(k.explanations).toHaveLength(1);
    expect(k.explanations[0]).toMatch(/^relay2: /);
    const text = renderConsistency(r);
    expect(text).toContain('!! primary');
    expect(text).toContain('1 cell(s) where the relays are treated differently');
    expect(text).toContain('not judged on relay3');
  });
});
