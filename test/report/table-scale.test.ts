/**
 * B12: `probe --format table` renders each target's cells when it finishes (TableBuilder) instead
 * of holding whole results, and the layout copes with a 110k-row run (the column widths were a
 * Math.max(...rows) spread, which overflowed the stack beyond ~100k rows).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/results.js';
import { renderTable, TableBuilder } from '../../src/report/table.js';

const run = JSON.parse(readFileSync(new URL('../fixtures/results/sample-run.json', import.meta.url), 'utf8')) as RunResult;

describe('TableBuilder', () => {
  it('gives the same table fed in completion order as renderTable in input order', () => {
    const b = new TableBuilder();
    for (const t of [...run.targets].reverse()) b.add(t);
    expect(b.render(run.summary)).toBe(renderTable(run));
  });

  it('lays out 110k rows without overflowing the stack', { timeout: 240_000 }, () => {
    const base = run.targets.find((t) => t.hosts.length > 0)!;
    const b = new TableBuilder();
    for (let i = 0; i < 110_000; i++) b.add({ ...base, input: `192.0.2.${i % 250}`, origin: `file:${i + 1}` });
    const out = b.render(run.summary);
    expect(out.split('\n').length).toBeGreaterThan(110_000);
  });
});
