import { describe, expect, it } from 'vitest';
import type { AlignmentCheck, Outcome, ProbeResult, TargetResult } from '../../src/results.js';
import { consistencyOf, renderConsistency } from '../../src/fleet/consistency.js';

function probe(vantage: string | undefined, kind: 'primary' | 'literal', outcome: Outcome, checks: AlignmentCheck[] = [], code: number | null = null): ProbeResult {
  return {
    identity: { kind, name: kind === 'primary' ? `${vantage}.example.net` : '[192.0.2.9]', source: null },
    status: 'success',
    verdict: { outcome, stage: outcome === 'accepted' ? 'rcpt' : 'rcpt', code: code ?? (outcome === 'accepted' ? 250 : 550), enhanced: null, text: null, cause: outcome === 'rejected' ? 'fcrdns-fail' : 'none' },
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
});
