/**
 * Terminal table polish (issue 12): a wide matrix is split to fit the terminal width, TARGET keeps
 * `:port`, and CJK or combining characters do not shift the columns (display width, not length).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ProbeResult, RunResult, TargetResult } from '../../src/results.js';
import { renderTable } from '../../src/report/table.js';
import { displayWidth } from '../../src/report/width.js';

const run = JSON.parse(readFileSync(new URL('../fixtures/results/sample-run.json', import.meta.url), 'utf8')) as RunResult;
const base = run.targets.find((t) => t.hosts.length > 0 && t.hosts[0]!.probes[0]!.status === 'success')!;

/** One target whose host got `kinds` × `sources` cells. */
function matrixTarget(input: string, display: string | undefined, kinds: string[], sources: string[]): TargetResult {
  const t = structuredClone(base);
  t.input = input;
  if (display !== undefined) t.displayDomain = display;
  const p0 = t.hosts[0]!.probes[0]!;
  const probes: ProbeResult[] = [];
  for (const src of sources)
    for (const k of kinds) {
      const p = structuredClone(p0);
      p.identity = { ...p.identity, kind: k as ProbeResult['identity']['kind'], name: `${k}.example`, source: src };
      probes.push(p);
    }
  t.hosts = [{ ...t.hosts[0]!, probes }];
  return t;
}

const KINDS = ['primary', 'literal', 'bare-ip', 'short', 'localhost', 'nxdomain', 'mismatch', 'dynamic'];

describe('table fits the terminal', () => {
  it('a 3-source matrix is split into grids of at most 80 columns', () => {
    const wide: RunResult = { ...run, targets: [matrixTarget('mx.example.org', undefined, KINDS, ['192.0.2.1', '192.0.2.2', '192.0.2.3'])] };
    const unbounded = renderTable(wide);
    expect(Math.max(...unbounded.split('\n').map(displayWidth))).toBeGreaterThan(300);
    const fitted = renderTable(wide, { width: 80 });
    for (const line of fitted.split('\n')) expect(displayWidth(line), line).toBeLessThanOrEqual(80);
    // Every identity column is still there, and TARGET/HOST repeat in each part.
    for (const k of KINDS) expect(fitted).toContain(`${k.toUpperCase()}@192.0.2.3`);
    expect(fitted.split('\n').filter((l) => l.startsWith('TARGET')).length).toBeGreaterThan(1);
  });

  it('TARGET keeps :port for host:port targets', () => {
    const t = structuredClone(base);
    t.input = `${t.domain ?? t.input}:2525`;
    t.port = 2525;
    const out = renderTable({ ...run, targets: [t] });
    expect(out).toContain(`${t.domain ?? ''}:2525`);
  });

  it('CJK and combining characters keep the columns aligned', () => {
    const targets = [matrixTarget('xn--r8jz45g.xn--zckzah', '例え.テスト', ['primary', 'localhost'], ['192.0.2.1']), matrixTarget('cafe\u0301.example', 'cafe\u0301.example', ['primary', 'localhost'], ['192.0.2.1'])];
    const out = renderTable({ ...run, targets });
    const lines = out.split('\n');
    const header = lines.find((l) => l.startsWith('TARGET'))!;
    const col = displayWidth(header.slice(0, header.indexOf('HOST')));
    for (const name of ['例え.テスト', 'cafe\u0301.example']) {
      const row = lines.find((l) => l.startsWith(name))!;
      const hostAt = row.indexOf(base.hosts[0]!.exchange);
      expect(displayWidth(row.slice(0, hostAt)), row).toBe(col);
    }
  });
});
