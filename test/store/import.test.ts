/**
 * The streamed `store import` (store/import.ts): the stored result equals the old whole-file
 * import (report/load.ts, then the run written host by host) on the fixtures and on generated
 * resumed, interrupted and duplicate-host files, in SQLite and a real PostgreSQL; bad input
 * (unknown schemaVersion, a malformed record mid-file, a truncated file, records before the run);
 * and a large file imported by the built CLI under a 128 MB V8 heap cap.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadResultsDetailed, ResultsInputError } from '../../src/report/load.js';
import type { HostResult, ProbeResult } from '../../src/results.js';
import { importResultsFile } from '../../src/store/import.js';
import { openPgStore } from '../../src/store/pg.js';
import { StoreSink } from '../../src/store/sink.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import type { Store } from '../../src/store/types.js';
import { BIN, runCliProcess } from '../helpers/cli.js';
import { PG_REASON, SKIP_PG, startPg, type PgServer } from './pg-server.js';

const dir = mkdtempSync(join(tmpdir(), 'mxprobe-store-import-'));
const FIX = join(import.meta.dirname, '..', 'fixtures', 'results');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
const sqlite = (): Store => openSqliteStore(join(dir, `s${++n}.db`), { busyTimeoutMs: 5000 });

/** The import as it was before streaming: the whole file through report/load.ts, then written. */
async function importWhole(store: Store, file: string): Promise<number> {
  const { run, interrupted } = await loadResultsDetailed(file);
  const sink = await StoreSink.start(store, { startedAt: run.startedAt, toolVersion: run.tool.version, options: run.options, vantage: null, source: file }, { warn: (m) => expect.fail(m), batchSize: 3 });
  for (const t of run.targets) {
    for (const h of t.hosts) await sink.host(h, { input: t.input, origin: t.origin, kind: t.kind, domain: t.domain, mx: t.mx });
    // A target the run never started is not stored (cli/probe.ts gives it no store row).
    if (t.dns.status !== 'not-tried') await sink.target(t);
  }
  await sink.finish(run.finishedAt, interrupted ? 'interrupted' : 'complete');
  return sink.runId;
}

/** Everything stored for a run, in an order that does not depend on insertion order. */
async function dump(store: Store, runId: number): Promise<unknown> {
  const run = await store.getRun(runId);
  const hosts: string[] = [];
  for (let after: string | null = null; ; ) {
    const page = await store.hostPage(runId, after, 2);
    if (page.length === 0) break;
    for (const h of page) hosts.push(JSON.stringify({ hkey: h.hkey, target: h.target, host: h.host }));
    after = page[page.length - 1]!.hkey;
  }
  const targets: string[] = [];
  for (let after: string | null = null; ; ) {
    const page = await store.targetPage(runId, after, 2);
    if (page.length === 0) break;
    for (const t of page) targets.push(JSON.stringify(t.target));
    after = page[page.length - 1]!.tkey;
  }
  const { id: _id, ...meta } = run!;
  return { meta, hosts: hosts.sort(), targets: targets.sort() };
}

const ndLines = readFileSync(join(FIX, 'sample-run.ndjson'), 'utf8').trim().split('\n');
const recs = ndLines.map((l) => JSON.parse(l) as Record<string, unknown> & { type: string });

function cut(p: ProbeResult): ProbeResult {
  return { ...p, status: 'not-tried', notTried: { reason: 'run interrupted' }, verdict: { ...p.verdict, outcome: 'not-tried' } } as unknown as ProbeResult;
}

/**
 * A resumed file: the first part interrupted (the second probe of each example.com host cut, the
 * example.com target record never written, a summary flagged interrupted), then `resume` with
 * the redone cells as new host records, the target records again, and a closing summary.
 */
function resumedFile(): string {
  const first: string[] = [];
  const second: string[] = [];
  for (const r of recs) {
    if (r.type === 'host' && (r['target'] as { input: string }).input === 'example.com') {
      const probes = r['probes'] as ProbeResult[];
      first.push(JSON.stringify({ ...r, probes: probes.map((p, i) => (i === 1 ? cut(p) : p)) }));
      second.push(JSON.stringify({ ...r, probes: [probes[1]] }));
    } else if (r.type === 'target' && r['input'] === 'example.com') second.push(JSON.stringify(r));
    else if (r.type === 'summary') first.push(JSON.stringify({ ...r, interrupted: true }));
    else first.push(JSON.stringify(r));
  }
  const resume = JSON.stringify({ type: 'resume', startedAt: '2026-02-01T11:00:00.000Z', options: {}, skippedCells: 5 });
  // The resumed part also repeats legacy.example.net's target record (stored once).
  const legacy = ndLines.find((l) => l.includes('"type":"target"') && l.includes('legacy.example.net'))!;
  const summary = JSON.stringify({ type: 'summary', finishedAt: '2026-02-01T11:05:00.000Z', summary: {} });
  const p = join(dir, 'resumed.ndjson');
  writeFileSync(p, [...first, resume, ...second, legacy, summary].join('\n') + '\n');
  return p;
}

/** A host record repeated within one run (no resume): its cells are appended, as report does. */
function duplicatesFile(): string {
  const host = recs.find((r) => r.type === 'host')!;
  const lines = [...ndLines];
  lines.splice(2, 0, JSON.stringify({ ...host, probes: [(host['probes'] as ProbeResult[])[0]] }));
  const p = join(dir, 'dups.ndjson');
  writeFileSync(p, lines.join('\n') + '\n');
  return p;
}

/** An interrupted file: hosts without their target record and a torn last line. */
function interruptedFile(): string {
  const lines = ndLines.filter((l) => !l.includes('"type":"target"') || !l.includes('legacy.example.net')).slice(0, -2);
  const p = join(dir, 'cut.ndjson');
  writeFileSync(p, [...lines, ndLines[ndLines.length - 2]!.slice(0, 40)].join('\n'));
  return p;
}

/**
 * Three parts, three records of each example.com host: the first part cuts its second probe, the
 * first resume cuts it again (and ends before the target record), the second resume finishes it.
 * `targetInFirst`: the first part wrote example.com's target record too (it finished, cut cells and all).
 */
function threePartsFile(targetInFirst: boolean): string {
  const lines: string[][] = [[], [], []];
  const resume = (i: number) => JSON.stringify({ type: 'resume', startedAt: `2026-02-01T1${i}:00:00.000Z`, options: {}, skippedCells: 5 });
  const interruptedSummary = JSON.stringify({ type: 'summary', finishedAt: '2026-02-01T10:05:00.000Z', summary: {}, interrupted: true });
  for (const r of recs) {
    if (r.type === 'host' && (r['target'] as { input: string }).input === 'example.com') {
      const probes = r['probes'] as ProbeResult[];
      lines[0]!.push(JSON.stringify({ ...r, probes: probes.map((p, i) => (i === 1 ? cut(p) : p)) }));
      lines[1]!.push(JSON.stringify({ ...r, probes: [cut(probes[1]!)] }));
      lines[2]!.push(JSON.stringify({ ...r, probes: [probes[1]] }));
    } else if (r.type === 'target' && r['input'] === 'example.com') {
      if (targetInFirst) lines[0]!.push(JSON.stringify(r));
      lines[2]!.push(JSON.stringify(r));
    } else if (r.type === 'summary') {
      lines[0]!.push(interruptedSummary);
      lines[1]!.push(interruptedSummary);
      lines[2]!.push(JSON.stringify(r));
    } else lines[0]!.push(JSON.stringify(r));
  }
  const p = join(dir, `three-parts-${targetInFirst}.ndjson`);
  writeFileSync(p, [...lines[0]!, resume(1), ...lines[1]!, resume(2), ...lines[2]!].join('\n') + '\n');
  return p;
}

/**
 * A complete first part (every target record written, example.com's second probes cut), then a
 * resume that redoes those cells and is itself cut before example.com's target record (no
 * summary, a torn last line).
 */
function resumeCutBeforeTargetFile(): string {
  const first: string[] = [];
  const second: string[] = [];
  for (const r of recs) {
    if (r.type === 'host' && (r['target'] as { input: string }).input === 'example.com') {
      const probes = r['probes'] as ProbeResult[];
      first.push(JSON.stringify({ ...r, probes: probes.map((p, i) => (i === 1 ? cut(p) : p)) }));
      second.push(JSON.stringify({ ...r, probes: [probes[1]] }));
    } else if (r.type === 'summary') first.push(JSON.stringify({ ...r, interrupted: true }));
    else first.push(JSON.stringify(r));
  }
  const resume = JSON.stringify({ type: 'resume', startedAt: '2026-02-01T11:00:00.000Z', options: {}, skippedCells: 5 });
  const p = join(dir, 'resume-cut.ndjson');
  writeFileSync(p, [...first, resume, ...second, '{"type":"host","tar'].join('\n'));
  return p;
}

/**
 * An interrupted run that never started example.com (its target record says DNS `not-tried`,
 * probe/run.ts notStartedTarget, and it has no host records), then a --resume part that probes it:
 * the resumed part's target record stands, as report/load.ts merges it, not the first one.
 */
function notStartedThenResumedFile(): string {
  const first: string[] = [];
  const second: string[] = [];
  for (const r of recs) {
    const t = r.type === 'host' ? (r['target'] as { input: string }).input : r.type === 'target' ? (r['input'] as string) : null;
    if (t === 'example.com') {
      second.push(JSON.stringify(r));
      if (r.type === 'target') first.push(JSON.stringify({ ...r, dns: { status: 'not-tried', detail: 'run interrupted' }, mx: [] }));
    } else if (r.type === 'summary') first.push(JSON.stringify({ ...r, interrupted: true }));
    else first.push(JSON.stringify(r));
  }
  const resume = JSON.stringify({ type: 'resume', startedAt: '2026-02-01T11:00:00.000Z', options: {}, skippedCells: 0 });
  const summary = JSON.stringify({ type: 'summary', finishedAt: '2026-02-01T11:05:00.000Z', summary: {} });
  const p = join(dir, 'not-started-resumed.ndjson');
  writeFileSync(p, [...first, resume, ...second, summary].join('\n') + '\n');
  return p;
}

/** The same interrupted part with no --resume after it: example.com was never started, and stays so. */
function notStartedFile(): string {
  const lines = readFileSync(notStartedThenResumedFile(), 'utf8').split('\n');
  const p = join(dir, 'not-started.ndjson');
  writeFileSync(p, `${lines.slice(0, lines.findIndex((l) => l.includes('"type":"resume"'))).join('\n')}\n`);
  return p;
}

const cases: Array<[string, () => string]> = [
  ['sample JSON', () => join(FIX, 'sample-run.json')],
  ['sample NDJSON', () => join(FIX, 'sample-run.ndjson')],
  ['interrupted fixture', () => join(FIX, 'interrupted-run.ndjson')],
  ['resumed', resumedFile],
  ['duplicate host records', duplicatesFile],
  ['hosts without target record, torn last line', interruptedFile],
  ['three records of one host across two resumes', () => threePartsFile(false)],
  ['three records of one host, the target record in the first and last part', () => threePartsFile(true)],
  ['a resumed part cut before its target record', resumeCutBeforeTargetFile],
  ['a target never started, then probed by the resumed part', notStartedThenResumedFile],
  ['a target never started (interrupted, not resumed)', notStartedFile],
];

describe('streamed import = whole-file import (SQLite)', () => {
  for (const [name, make] of cases) {
    it(name, async () => {
      const file = make();
      const a = sqlite();
      const b = sqlite();
      try {
        const ida = await importWhole(a, file);
        const r = await importResultsFile(b, file, { warn: () => {}, batchSize: 2 });
        const da = (await dump(a, ida)) as { meta: { probeCount: number; hostCount: number } };
        expect(await dump(b, r.runId)).toEqual(da);
        expect(r.probes).toBe(da.meta.probeCount);
        expect(r.hosts).toBe(da.meta.hostCount);
      } finally {
        await a.close();
        await b.close();
      }
    });
  }

  it('a target the interrupted part never started is stored with the resumed part\'s DNS, once', async () => {
    const s = sqlite();
    try {
      const r = await importResultsFile(s, notStartedThenResumedFile(), { warn: () => {}, batchSize: 1 });
      const stored: Array<{ input: string; dns: { status: string } }> = [];
      for (let after: string | null = null; ; ) {
        const page = await s.targetPage(r.runId, after, 100);
        if (page.length === 0) break;
        for (const t of page) stored.push(t.target as unknown as { input: string; dns: { status: string } });
        after = page[page.length - 1]!.tkey;
      }
      const ex = stored.filter((t) => t.input === 'example.com');
      expect(ex).toHaveLength(1);
      expect(ex[0]!.dns.status).not.toBe('not-tried');
    } finally {
      await s.close();
    }
  });

  it('a target the interrupted run never started is not stored (no dns not-tried row), and the import says so', async () => {
    const s = sqlite();
    try {
      const warnings: string[] = [];
      const r = await importResultsFile(s, notStartedFile(), { warn: (m) => warnings.push(m), batchSize: 1 });
      expect(r.interrupted).toBe(true);
      const stored: string[] = [];
      for (const t of await s.targetPage(r.runId, null, 100)) stored.push(`${(t.target as unknown as { input: string }).input} ${(t.target as unknown as { dns: { status: string } }).dns.status}`);
      expect(stored.some((x) => x.startsWith('example.com '))).toBe(false);
      expect(stored.some((x) => x.endsWith(' not-tried'))).toBe(false);
      expect(stored.length).toBeGreaterThan(0);
      expect(r.targets).toBe(stored.length);
      expect(warnings).toContain(`${join(dir, 'not-started.ndjson')}: 1 target(s) the run never started (dns not-tried) are not stored`);
    } finally {
      await s.close();
    }
  });

  it('the same in a JSON document', async () => {
    const ndjson = notStartedFile();
    const { run } = await loadResultsDetailed(ndjson);
    expect(run.targets.find((t) => t.input === 'example.com')?.dns.status).toBe('not-tried');
    const json = join(dir, 'not-started.json');
    writeFileSync(json, JSON.stringify(run));
    const s = sqlite();
    try {
      const warnings: string[] = [];
      const r = await importResultsFile(s, json, { warn: (m) => warnings.push(m), batchSize: 1 });
      const inputs = (await s.targetPage(r.runId, null, 100)).map((t) => (t.target as unknown as { input: string }).input);
      expect(inputs).not.toContain('example.com');
      expect(inputs.length).toBe(run.targets.length - 1);
      expect(warnings).toContain(`${json}: 1 target(s) the run never started (dns not-tried) are not stored`);
    } finally {
      await s.close();
    }
  });

  it('the resumed file: the cut cells are replaced, not added; one example.com target', async () => {
    const s = sqlite();
    try {
      const r = await importResultsFile(s, resumedFile(), { warn: () => {}, batchSize: 1 });
      expect(r).toMatchObject({ targets: 4, hosts: 4, probes: 9, interrupted: false, truncated: false });
      const hosts = await s.hostPage(r.runId, null, 100);
      const ex = hosts.filter((h) => h.target.input === 'example.com');
      expect(ex.map((h) => h.host.probes.map((p) => p.status))).toEqual([
        ['success', 'success', 'success'],
        ['success', 'io-timeout', 'not-tried'],
      ]);
      expect((await s.getRun(r.runId))?.state).toBe('complete');
    } finally {
      await s.close();
    }
  });
});

describe('streamed import: bad input', () => {
  async function runs(s: Store): Promise<number> {
    return (await s.listRuns(100)).length;
  }

  it('an unknown schemaVersion is refused before anything is written (NDJSON and JSON, even after the targets)', async () => {
    const s = sqlite();
    try {
      const nd = join(dir, 'v9.ndjson');
      writeFileSync(nd, [JSON.stringify({ ...recs[0], schemaVersion: 9 }), ...ndLines.slice(1)].join('\n'));
      await expect(importResultsFile(s, nd, { warn: () => {} })).rejects.toThrow(/v9\.ndjson:1: unsupported schemaVersion 9/);
      const sample = JSON.parse(readFileSync(join(FIX, 'sample-run.json'), 'utf8')) as Record<string, unknown>;
      const { schemaVersion: _v, ...rest } = sample;
      const js = join(dir, 'v9-late.json');
      writeFileSync(js, JSON.stringify({ ...rest, schemaVersion: 9 }));
      await expect(importResultsFile(s, js, { warn: () => {} })).rejects.toThrow(/v9-late\.json: unsupported schemaVersion 9/);
      expect(await runs(s)).toBe(0);
      // The same document with a known schemaVersion after its targets imports.
      const ok = join(dir, 'late.json');
      writeFileSync(ok, JSON.stringify({ ...rest, schemaVersion: 1 }));
      const r = await importResultsFile(s, ok, { warn: () => {} });
      expect(r).toMatchObject({ targets: 4, hosts: 4, probes: 9 });
    } finally {
      await s.close();
    }
  });

  it('a malformed record mid-file: file:line, and nothing of that file is kept', async () => {
    const s = sqlite();
    try {
      const p = join(dir, 'mid.ndjson');
      writeFileSync(p, [...ndLines.slice(0, 4), '{"type":"host", oops', ...ndLines.slice(4)].join('\n'));
      const err = await importResultsFile(s, p, { warn: () => {}, batchSize: 1 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ResultsInputError);
      expect(String(err)).toMatch(/mid\.ndjson:5: not valid JSON.*nothing from .*mid\.ndjson was kept/);
      const bad = join(dir, 'badhost.ndjson');
      writeFileSync(bad, [...ndLines.slice(0, 3), JSON.stringify({ type: 'host', target: { input: 'x', origin: 'o' }, ip: 1, probes: [] }), ...ndLines.slice(3)].join('\n'));
      await expect(importResultsFile(s, bad, { warn: () => {}, batchSize: 1 })).rejects.toThrow(/badhost\.ndjson:4: host result needs string ip/);
      const early = join(dir, 'early.ndjson');
      writeFileSync(early, [ndLines[1], ndLines[0], ...ndLines.slice(2)].join('\n'));
      await expect(importResultsFile(s, early, { warn: () => {} })).rejects.toThrow(/early\.ndjson:1: "host" record before the "run" record/);
      const js = join(dir, 'mid.json');
      await bigFile(js, 400, 'json');
      const text = readFileSync(js, 'utf8');
      // Break the last target (a colon missing): the ~400 targets before it were already written.
      const at = text.lastIndexOf('"input": "') + 7;
      writeFileSync(js, `${text.slice(0, at)} ${text.slice(at + 1)}`);
      await expect(importResultsFile(s, js, { warn: () => {}, batchSize: 10 })).rejects.toThrow(/mid\.json:\d+: not valid JSON.*nothing from .*mid\.json was kept/);
      expect(await runs(s)).toBe(0);
    } finally {
      await s.close();
    }
  });

  it('a truncated JSON document: the complete targets are imported, the run is "interrupted", and it says so', async () => {
    const s = sqlite();
    try {
      const text = readFileSync(join(FIX, 'sample-run.json'), 'utf8');
      const p = join(dir, 'cut.json');
      // Cut inside the third target.
      writeFileSync(p, text.slice(0, text.indexOf('"broken.example"') + 5));
      const warnings: string[] = [];
      const r = await importResultsFile(s, p, { warn: (m) => warnings.push(m), batchSize: 1 });
      expect(r).toMatchObject({ targets: 2, hosts: 3, truncated: true, interrupted: true });
      expect(warnings.join('\n')).toMatch(/cut\.json:\d+: the document ends early \(truncated\)/);
      expect((await s.getRun(r.runId))?.state).toBe('interrupted');
    } finally {
      await s.close();
    }
  });

  it('CLI: a truncated file exits 1 with what was imported; a bad file exits 2', async () => {
    const db = join(dir, 'cli.db');
    const r = await runCliProcess(['store', 'import', join(FIX, 'sample-run.json'), interruptedFile(), '--store', db]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/cut\.ndjson: imported as run 2 .*truncated file/);
    expect(r.stderr).toMatch(/1 file\(s\) were cut short/);
    const bad = join(dir, 'cli-bad.ndjson');
    writeFileSync(bad, [...ndLines.slice(0, 4), 'nonsense', ...ndLines.slice(4)].join('\n'));
    const r2 = await runCliProcess(['store', 'import', bad, '--store', db]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/cli-bad\.ndjson:5: not valid JSON/);
    const list = await runCliProcess(['store', 'runs', '--store', db]);
    expect(list.stdout.trim().split('\n')).toHaveLength(2);
  });
});

/** A results file of `count` hosts (one target each, full transcripts), NDJSON or JSON. */
async function bigFile(path: string, count: number, format: 'ndjson' | 'json'): Promise<void> {
  const sample = JSON.parse(readFileSync(join(FIX, 'sample-run.json'), 'utf8')) as { targets: Array<{ hosts: HostResult[] }> };
  const host0 = sample.targets[0]!.hosts[0]!;
  const out = createWriteStream(path);
  const w = (s: string): Promise<void> | void => (out.write(s) ? undefined : new Promise((r) => out.once('drain', () => r())));
  const startedAt = '2026-02-01T10:00:00.000Z';
  if (format === 'ndjson') await w(`${JSON.stringify({ type: 'run', schemaVersion: 1, tool: { name: 'mxprobe', version: 'big' }, startedAt, options: {} })}\n`);
  else await w(`{"schemaVersion":1,"tool":{"name":"mxprobe","version":"big"},"startedAt":"${startedAt}","options":{},"targets":[\n`);
  for (let i = 0; i < count; i++) {
    const domain = `d${i}.big.example`;
    const mx = [{ exchange: `mx.${domain}`, priority: 10, implicit: false }];
    const host = { ...host0, exchange: `mx.${domain}`, ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` };
    const target = { input: domain, origin: `t:${i + 1}`, kind: 'domain', domain, mx };
    if (format === 'ndjson') {
      await w(`${JSON.stringify({ type: 'host', target, ...host })}\n`);
      await w(`${JSON.stringify({ type: 'target', ...target, port: 25, dns: { status: 'ok' } })}\n`);
    } else await w(`${i === 0 ? '' : ',\n'}${JSON.stringify({ ...target, port: 25, dns: { status: 'ok' }, hosts: [host] }, null, 2)}`);
  }
  if (format === 'ndjson') await w(`${JSON.stringify({ type: 'summary', finishedAt: startedAt, summary: {} })}\n`);
  else await w(`\n],"finishedAt":"${startedAt}","summary":{}}\n`);
  await new Promise((r) => out.end(r));
}

function capped(args: string[], heapMb: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [`--max-old-space-size=${heapMb}`, BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr: stderr.slice(-2000) }));
  });
}

describe('streamed import: memory does not grow with the file', () => {
  // 25k hosts with transcripts: ~100 MB of JSON per file, several times that as parsed objects.
  const COUNT = 25_000;
  for (const format of ['ndjson', 'json'] as const) {
    it(`${COUNT} hosts of ${format} under a 128 MB heap`, { timeout: 600_000 }, async () => {
      const file = join(dir, `big.${format}`);
      await bigFile(file, COUNT, format);
      expect(statSync(file).size).toBeGreaterThan(100 * 1024 * 1024);
      const r = await capped(['store', 'import', file, '--store', join(dir, `big-${format}.db`)], 128);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`imported as run 1 \\(${COUNT} target\\(s\\), ${COUNT} host\\(s\\), ${COUNT * 3} probe\\(s\\)\\)`));
      rmSync(file, { force: true });
    });
  }
});

describe.skipIf(SKIP_PG)('streamed import into PostgreSQL = whole-file import', () => {
  let pg: PgServer;
  beforeAll(async () => {
    pg = await startPg();
  }, 120_000);
  afterAll(async () => {
    await pg?.stop();
  });
  let db = 0;
  for (const [name, make] of cases) {
    it(name, async () => {
      const file = make();
      const a = sqlite();
      const name2 = `imp${++db}`;
      await pg.createDb(name2);
      const b = await openPgStore(pg.url(name2), { connectTimeoutMs: 10_000 });
      try {
        const ida = await importWhole(a, file);
        const r = await importResultsFile(b, file, { warn: () => {}, batchSize: 2 });
        expect(await dump(b, r.runId)).toEqual(await dump(a, ida));
      } finally {
        await a.close();
        await b.close();
      }
    }, 60_000);
  }
  it('a malformed record mid-file leaves no run behind', async () => {
    await pg.createDb('impbad');
    const s = await openPgStore(pg.url('impbad'), { connectTimeoutMs: 10_000 });
    try {
      const p = join(dir, 'pgmid.ndjson');
      writeFileSync(p, [...ndLines.slice(0, 6), 'x', ...ndLines.slice(6)].join('\n'));
      await expect(importResultsFile(s, p, { warn: () => {}, batchSize: 1 })).rejects.toThrow(/pgmid\.ndjson:7: not valid JSON/);
      expect(await s.listRuns(10)).toEqual([]);
    } finally {
      await s.close();
    }
  }, 60_000);
  if (SKIP_PG) console.warn(`[store] import PostgreSQL cases SKIPPED: ${PG_REASON}`);
});
