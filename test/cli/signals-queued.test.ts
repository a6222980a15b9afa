/**
 * An interrupted run lists every target it was given. Targets still waiting for their address's
 * turn (one connection per IP at a time) used to be missing from the results entirely when the
 * session ahead of them did not finish: a reader could not tell "not started" from "not given".
 * Now a cell the signal kept from starting is `not-tried` ("run interrupted"), a target never
 * started (not yet read, or still resolving) is listed with DNS `not-tried`, and --resume plans
 * both again. Real child processes, real loopback servers.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBuilt, runCli, smtpScript, startCli, startHostile, waitFor, type HostileServer } from '../helpers/hostile.js';
import type { NdjsonRecord, RunResult, TargetResult } from '../../src/results.js';

let fast: HostileServer;
let tarpit: HostileServer;
let dir: string;

/** Greets, then reads everything and answers nothing. */
const silent = smtpScript({ reply: () => null });
/** Ports on the tarpit's address where nothing listens: queued behind it, never connected to. */
const QUEUED = Array.from({ length: 20 }, (_, i) => 10_001 + i);

beforeAll(async () => {
  if (!cliBuilt()) throw new Error('dist/ is missing: run `npm run build` first');
  fast = await startHostile(smtpScript({}), '127.0.0.61');
  tarpit = await startHostile(silent, '127.0.0.62');
  dir = await mkdtemp(join(tmpdir(), 'mxprobe-signals-queued-'));
});
afterAll(async () => {
  await Promise.all([fast.close(), tarpit.close()]);
  await rm(dir, { recursive: true, force: true });
});

/** 22 targets: a fast one, a tarpit, and 20 more on the tarpit's address (16 are read at once). */
const inputs = () => [`${fast.host}:${fast.port}`, `${tarpit.host}:${tarpit.port}`, ...QUEUED.map((p) => `${tarpit.host}:${p}`)];
// The default --host-gap (1 s): the targets queued behind the tarpit used to wait out the run's
// grace period in that gap, and were left out of the results.
const args = (extra: string[]) => [
  'probe', '--helo', 'probe.example.org', '--no-alignment', '-q', '--stop-after', 'ehlo',
  '--concurrency', '4', '--timeout', '30000', '--deadline', '60000', ...inputs(), ...extra,
];

async function interrupt(extra: string[]): Promise<{ code: number | null; stdout: string; afterSignal: number }> {
  const before = tarpit.commands.filter((c) => c.some((l) => l.startsWith('EHLO'))).length;
  const cli = startCli(args(extra), { timeoutMs: 30_000 });
  await waitFor(() => fast.connections() > 0 && tarpit.commands.filter((c) => c.some((l) => l.startsWith('EHLO'))).length > before, 10_000, 'a session stuck in the tarpit');
  const t0 = Date.now();
  cli.child.kill('SIGINT');
  const r = await cli.done;
  return { code: r.code, stdout: r.stdout, afterSignal: Date.now() - t0 };
}

function cells(t: TargetResult) {
  return t.hosts.flatMap((h) => h.probes);
}

describe('an interrupted run lists the targets it never started', () => {
  it('JSON: queued cells are not-tried "run interrupted", unread targets have DNS not-tried; none is left out', async () => {
    const r = await interrupt(['--format', 'json']);
    expect(r.code).toBe(130);
    expect(r.afterSignal).toBeLessThan(5000); // hang guard: the session grace is 1 s
    const doc = JSON.parse(r.stdout) as RunResult & { interrupted?: boolean };
    expect(doc.interrupted).toBe(true);
    // Every target given is listed, once.
    expect(doc.targets.map((t) => t.input).sort()).toEqual(inputs().sort());
    const by = new Map(doc.targets.map((t) => [t.input, t]));
    expect(cells(by.get(inputs()[0] as string) as TargetResult)[0]?.status).toBe('success');
    const cut = cells(by.get(inputs()[1] as string) as TargetResult);
    expect(cut[0]?.error?.code).toBe('E_INTERRUPTED');
    expect(cut[0]?.banner?.code).toBe(220);
    const queued = QUEUED.map((p) => by.get(`${tarpit.host}:${p}`) as TargetResult);
    // Read (planned) and waiting for the address: one not-tried cell each, never connected.
    const planned = queued.filter((t) => t.dns.status === 'not-needed');
    const unread = queued.filter((t) => t.dns.status === 'not-tried');
    expect(planned.length + unread.length).toBe(QUEUED.length);
    expect(planned.length).toBeGreaterThan(0);
    expect(unread.length).toBeGreaterThan(0);
    for (const t of planned) {
      expect(cells(t)).toHaveLength(1);
      expect(cells(t)[0]?.status).toBe('not-tried');
      expect(cells(t)[0]?.notTried?.reason).toBe('run interrupted');
    }
    for (const t of unread) {
      expect(t.dns.detail).toBe('run interrupted');
      expect(t.hosts).toEqual([]);
    }
    // Nothing observed about them: the summary counts only the started targets, and so does
    // `report`, which rebuilds it from the file.
    expect(doc.summary.targets).toBe(2 + planned.length);
    const saved = join(dir, 'queued.json');
    await writeFile(saved, r.stdout);
    const rep = await runCli(['report', saved, '--format', 'json']);
    expect(rep.code, rep.stderr).toBe(0);
    expect((JSON.parse(rep.stdout) as RunResult).summary.targets).toBe(2 + planned.length);
    // Only the two started sessions ever connected to the tarpit's address.
    expect(tarpit.connections()).toBeGreaterThanOrEqual(1);
  });

  it('NDJSON streams the same; table and CSV list them too; --resume plans every one of them again', async () => {
    const file = join(dir, 'queued.ndjson');
    const r = await interrupt(['--resume', file]);
    expect(r.code).toBe(130);
    const recs = (await readFile(file, 'utf8')).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as NdjsonRecord);
    const targets = recs.filter((x): x is Extract<NdjsonRecord, { type: 'target' }> => x.type === 'target');
    expect(targets.map((t) => t.input).sort()).toEqual(inputs().sort());
    expect(targets.some((t) => t.dns.status === 'not-tried')).toBe(true);
    const notTriedCells = recs.flatMap((x) => (x.type === 'host' ? x.probes : [])).filter((p) => p.status === 'not-tried' && p.notTried?.reason === 'run interrupted');
    expect(notTriedCells.length).toBeGreaterThan(0);
    const last = recs[recs.length - 1];
    expect(last?.type).toBe('summary');
    // `report` rebuilds the summary from an NDJSON file: the never-started targets count nowhere.
    const started = targets.filter((t) => t.dns.status !== 'not-tried').length;
    expect(last?.type === 'summary' ? last.summary.targets : -1).toBe(started);
    const rep0 = await runCli(['report', file, '--format', 'json']);
    expect((JSON.parse(rep0.stdout) as RunResult).summary.targets).toBe(started);

    for (const format of ['table', 'csv'] as const) {
      const out = join(dir, `queued.${format}`);
      const t = await interrupt(['--format', format, '-o', out]);
      expect(t.code).toBe(130);
      const text = await readFile(out, 'utf8');
      for (const input of inputs()) expect(text).toContain(input);
      if (format === 'table') expect(text).toMatch(/Interrupted run: these results are partial: \d+ probe\(s\) cut short or never started .*; \d+ of 22 target\(s\) never started \(dns not-tried\)\./);
      else expect(text).toMatch(/,not-tried,.*run interrupted/);
    }

    // The resumed part: the tarpit times out fast now, nothing else listens. Every target is tried.
    const again = await runCli(['probe', '--helo', 'probe.example.org', '--no-alignment', '-q', '--stop-after', 'ehlo', '--host-gap', '0', '--concurrency', '4', '--timeout', '500', ...inputs(), '--resume', file], { timeoutMs: 30_000 });
    expect(again.code, again.stderr).toBe(1);
    const rep = await runCli(['report', file, '--format', 'json']);
    expect(rep.code, rep.stderr).toBe(0);
    const merged = JSON.parse(rep.stdout) as RunResult;
    expect(merged.targets.map((t) => t.input).sort()).toEqual(inputs().sort());
    for (const t of merged.targets) {
      expect(t.dns.status, t.input).toBe('not-needed');
      for (const p of cells(t)) {
        expect(p.notTried?.reason, t.input).not.toBe('run interrupted');
        expect(p.error?.code, t.input).not.toBe('E_INTERRUPTED');
      }
    }
    // The fast target finished in the first part and was not probed again.
    expect(merged.targets.find((t) => t.input === inputs()[0])?.hosts).toHaveLength(1);
  });
});
