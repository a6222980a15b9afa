/**
 * B12: `probe --format table` holds each finished target until the end, so it keeps only what the
 * table prints. The table of slimmed targets must be byte-identical to the full one, and the kept
 * part a small fraction of the full result.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/results.js';
import { slimForTable } from '../../src/report/slim.js';
import { renderTable } from '../../src/report/table.js';

const run = JSON.parse(readFileSync(new URL('../fixtures/results/sample-run.json', import.meta.url), 'utf8')) as RunResult;

describe('slimForTable', () => {
  it('renders the same table, with and without colour', () => {
    const slim: RunResult = { ...run, targets: run.targets.map(slimForTable) };
    for (const color of [false, true]) expect(renderTable(slim, { color })).toBe(renderTable(run, { color }));
  });

  it('renders the same matrix table for a multi-identity run', () => {
    // The fixture's first host again with a second identity, so the matrix view is used.
    const t = structuredClone(run.targets.find((x) => x.hosts.length > 0)!);
    const h = t.hosts[0]!;
    const p = structuredClone(h.probes[0]!);
    p.identity = { ...p.identity, kind: 'localhost', name: 'localhost' };
    h.probes.push(p);
    const multi: RunResult = { ...run, targets: [t] };
    expect(renderTable({ ...multi, targets: multi.targets.map(slimForTable) })).toBe(renderTable(multi));
  });

  it('keeps a small fraction of each result', () => {
    const full = JSON.stringify(run.targets).length;
    const slim = JSON.stringify(run.targets.map(slimForTable)).length;
    // The fixture has no transcripts or alignment (the heavy parts of a real result): even so.
    expect(slim).toBeLessThan(full / 2);
  });
});
