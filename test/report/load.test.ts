import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/results.js';
import { loadResults, loadResultsDetailed, ResultsInputError } from '../../src/report/load.js';
import { summarize } from '../../src/report/summary.js';

const FIX = new URL('../fixtures/results/', import.meta.url);
const fix = (name: string): string => new URL(name, FIX).pathname;
const expected = JSON.parse(readFileSync(fix('sample-run.json'), 'utf8')) as RunResult;

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mxprobe-load-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
async function tmp(name: string, text: string): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, text);
  return p;
}
const ndLines = readFileSync(fix('sample-run.ndjson'), 'utf8').trimEnd().split('\n');

describe('loadResults', () => {
  it('reads a .json RunResult as saved', async () => {
    expect(await loadResults(fix('sample-run.json'))).toEqual(expected);
  });

  it('rebuilds the same RunResult from .ndjson by grouping host records under their target', async () => {
    const d = await loadResultsDetailed(fix('sample-run.ndjson'));
    expect(d.interrupted).toBe(false);
    expect(d.warnings).toEqual([]);
    expect(d.run).toEqual(expected);
  });

  it('sniffs the format when the extension says nothing', async () => {
    const p = await tmp('results.out', readFileSync(fix('sample-run.ndjson'), 'utf8'));
    expect((await loadResults(p)).targets).toHaveLength(4);
    const q = await tmp('results2.out', readFileSync(fix('sample-run.json'), 'utf8'));
    expect((await loadResults(q)).targets).toHaveLength(4);
  });

  it('tolerates a truncated last line (interrupted run), says so, and recounts the summary', async () => {
    const d = await loadResultsDetailed(fix('interrupted-run.ndjson'));
    expect(d.interrupted).toBe(true);
    expect(d.warnings.join('\n')).toMatch(/interrupted-run\.ndjson:5: last line is truncated \(interrupted run\)/);
    expect(d.warnings.join('\n')).toMatch(/no summary record/);
    expect(d.run.targets.map((t) => t.input)).toEqual(['example.com']);
    expect(d.run.targets[0]?.hosts.map((h) => h.exchange)).toEqual(['mx1.example.com', 'mx2.example.com']);
    expect(d.run.summary).toEqual(summarize(d.run.targets));
    expect(d.run.summary.hosts).toBe(2);
    expect(d.run.finishedAt).toBe(d.run.startedAt);
  });

  it('keeps hosts whose target record never came, under a rebuilt target', async () => {
    const p = await tmp('hosts-only.ndjson', `${ndLines[0]}\n${ndLines[1]}\n${ndLines[2]}\n`);
    const d = await loadResultsDetailed(p);
    expect(d.interrupted).toBe(true);
    expect(d.run.targets).toHaveLength(1);
    expect(d.run.targets[0]).toMatchObject({ input: 'example.com', origin: 'targets.txt:1', kind: 'domain', port: 25 });
    expect(d.run.targets[0]?.hosts).toEqual(expected.targets[0]?.hosts);
    expect(d.warnings.join('\n')).toMatch(/"example.com" has 2 host\(s\) but no target record/);
  });

  it('reports a summary flagged interrupted', async () => {
    const last = JSON.parse(ndLines[ndLines.length - 1] ?? '{}') as Record<string, unknown>;
    const p = await tmp('flagged.ndjson', [...ndLines.slice(0, -1), JSON.stringify({ ...last, interrupted: true })].join('\n') + '\n');
    const d = await loadResultsDetailed(p);
    expect(d.interrupted).toBe(true);
    expect(d.run.targets).toHaveLength(4);
  });

  it('rejects a malformed line that is not the last one, naming file:line', async () => {
    const lines = [...ndLines];
    lines[2] = '{"type":"host", oops';
    const p = await tmp('bad.ndjson', lines.join('\n') + '\n');
    await expect(loadResults(p)).rejects.toThrow(/bad\.ndjson:3: not valid JSON/);
    await expect(loadResults(p)).rejects.toBeInstanceOf(ResultsInputError);
  });

  it('rejects files that are not mxprobe results', async () => {
    await expect(loadResults(await tmp('x.json', '{"hello": 1}'))).rejects.toThrow(/unsupported schemaVersion/);
    await expect(loadResults(await tmp('v2.json', JSON.stringify({ ...expected, schemaVersion: 2 })))).rejects.toThrow(/unsupported schemaVersion 2/);
    await expect(loadResults(await tmp('cut.json', readFileSync(fix('sample-run.json'), 'utf8').slice(0, 500)))).rejects.toThrow(/not valid JSON/);
    await expect(loadResults(await tmp('norun.ndjson', `${ndLines[1]}\n`))).rejects.toThrow(/no "run" record/);
    await expect(loadResults(await tmp('arr.ndjson', `${ndLines[0]}\n[1,2]\n${ndLines[1]}\n`))).rejects.toThrow(/arr\.ndjson:2: not an mxprobe NDJSON record/);
    const err = await loadResults(join(dir, 'missing.json')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResultsInputError);
    expect((err as ResultsInputError).code).toBe('E_RESULTS_INPUT');
    expect((err as Error).message).toMatch(/ENOENT/);
  });

  it('rebuilds a missing summary in a .json file', async () => {
    const { summary: _s, ...rest } = expected;
    const run = await loadResults(await tmp('nosummary.json', JSON.stringify(rest)));
    expect(run.summary).toEqual(expected.summary);
  });

  it('notes a JSON run marked interrupted by the streaming writer', async () => {
    const d = await loadResultsDetailed(await tmp('int.json', JSON.stringify({ ...expected, interrupted: true })));
    expect(d.interrupted).toBe(true);
    expect(d.warnings[0]).toMatch(/interrupted/);
  });
});
