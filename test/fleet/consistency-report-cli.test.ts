/**
 * `mxprobe fleet report` in both its formats carries the same explanation sentences: a relay that
 * was deferred is named as deferred, never as accepted (qa11 "Routed"), and a vantage's summary
 * line has only its own (primary-identity) lint. Runs the built CLI on a results file.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, runCliProcess } from '../helpers/cli.js';
import type { AlignmentCheck, Cause, Outcome, ProbeResult, TargetResult } from '../../src/results.js';

function probe(vantage: string, kind: 'primary' | 'localhost', outcome: Outcome, code: number, cause: Cause, checks: AlignmentCheck[] = []): ProbeResult {
  return {
    identity: { kind, name: kind === 'primary' ? `${vantage}.example.test` : 'localhost', source: null },
    status: 'success',
    verdict: { outcome, stage: 'rcpt', code, enhanced: null, text: null, cause },
    reached: 'rcpt', local: { address: vantage === 'relay1' ? '127.0.0.10' : '127.0.0.11', port: 40000 },
    banner: null, greeting: null, capabilities: { plain: null, tls: null }, tls: null, mail: null, rcpt: null,
    observedClientIp: null,
    timings: { connect: 1, banner: 1, ehlo: 1, helo: null, tls: null, ehloTls: null, mail: 1, rcpt: 1, total: 5 },
    transcript: [],
    alignment: { checks },
    vantage,
  };
}

const single: AlignmentCheck = { id: 'helo-fqdn', status: 'fail', detail: 'HELO localhost is a single label' };
const dir = mkdtempSync(join(tmpdir(), 'mxprobe-fleet-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'fleet.json');
{
  const run = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/results/sample-run.json'), 'utf8')) as Record<string, unknown>;
  const t: TargetResult = {
    input: 'strict.example.test', origin: 'argv', kind: 'domain', domain: 'strict.example.test', port: 25, dns: { status: 'ok' }, mx: [],
    hosts: [{
      exchange: 'strict.example.test', ip: '127.0.0.26', port: 25, family: 4,
      probes: [
        probe('relay1', 'primary', 'rejected', 554, 'relay-denied'),
        probe('relay1', 'localhost', 'rejected', 554, 'relay-denied', [single]),
        probe('relay2', 'primary', 'deferred', 450, 'no-ptr'),
        probe('relay2', 'localhost', 'rejected', 554, 'relay-denied', [single]),
      ],
    }],
  };
  run['targets'] = [t];
  writeFileSync(file, JSON.stringify(run));
}

describe('fleet report: what the better-treated relay got, in every format', () => {
  it('table: "defers relay2 (450 …)", not "accepts"; relay1 is not blamed for the localhost lint', async () => {
    const r = await runCliProcess(['fleet', 'report', file], { timeoutMs: 20_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('rejects relay1 (554 at rcpt, cause relay-denied) but defers relay2 (450 at rcpt, cause no-ptr)');
    expect(r.stdout).not.toContain('accepts');
    expect(r.stdout).toContain('  relay1: helo relay1.example.test, source 127.0.0.10: aligned (no failing sender check)');
    expect(r.stdout).not.toMatch(/relay[12]: helo .*single label/);
  });

  it('json: the same explanation and the same vantage facts', async () => {
    const r = await runCliProcess(['fleet', 'report', '-f', 'json', file], { timeoutMs: 20_000 });
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as { receivers: Array<{ kinds: Array<{ kind: string; explanations: string[] }> }>; vantageFacts: Record<string, { problems: AlignmentCheck[] }> };
    const primary = report.receivers[0]!.kinds.find((k) => k.kind === 'primary')!;
    expect(primary.explanations).toEqual([expect.stringMatching(/rejects relay1 \(554 at rcpt, cause relay-denied\) but defers relay2 \(450 at rcpt, cause no-ptr\)$/)]);
    expect(r.stdout).not.toContain('accepts');
    expect(report.vantageFacts['relay1']!.problems).toEqual([]);
    expect(report.vantageFacts['relay2']!.problems).toEqual([]);
  });
});

describe('fleet report -o: checked before the results are read, like logs -o', () => {
  it('refuses the results file itself (exit 2, the file untouched), a directory and a missing directory', async () => {
    const before = readFileSync(file, 'utf8');
    const same = await runCliProcess(['fleet', 'report', file, '-o', file], { timeoutMs: 20_000 });
    expect(same.code).toBe(2);
    expect(same.stderr).toBe(`mxprobe fleet report: cannot write -o ${file}: it is one of the results being read (it would be overwritten)\n`);
    expect(readFileSync(file, 'utf8')).toBe(before);
    const d = await runCliProcess(['fleet', 'report', file, '-o', dir], { timeoutMs: 20_000 });
    expect(d.code).toBe(2);
    expect(d.stderr).toContain('it is a directory');
    const gone = await runCliProcess(['fleet', 'report', file, '-o', join(dir, 'no', 'such.txt')], { timeoutMs: 20_000 });
    expect(gone.code).toBe(2);
    expect(gone.stderr).toContain('no such directory');
  });

  it('writes the same text as stdout to a good path; a write that fails is exit 5, not a stack trace', async () => {
    const out = join(dir, 'report.txt');
    const w = await runCliProcess(['fleet', 'report', file, '-o', out], { timeoutMs: 20_000 });
    const s = await runCliProcess(['fleet', 'report', file], { timeoutMs: 20_000 });
    expect(w.code).toBe(1);
    expect(w.stdout).toBe('');
    expect(readFileSync(out, 'utf8')).toBe(s.stdout);
    const full = await runCliProcess(['fleet', 'report', file, '-o', '/dev/full'], { timeoutMs: 20_000 });
    expect(full.code).toBe(5);
    expect(full.stderr).toMatch(/\/dev\/full/);
    expect(full.stderr).not.toMatch(/\n\s+at /);
  });
});


describe('fleet report: a relay that judged nothing', () => {
  it('exit 1 with "not judged on relay2", not 0 "the same way" (and not an inconsistency)', async () => {
    const run = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/results/sample-run.json'), 'utf8')) as Record<string, unknown>;
    const stopped: ProbeResult = { ...probe('relay2', 'primary', 'not-judged', 0, 'none'), verdict: { outcome: 'not-judged', stage: null, code: null, enhanced: null, text: null, cause: 'none' } };
    run['targets'] = [{
      input: 'open.example.test', origin: 'argv', kind: 'domain', domain: 'open.example.test', port: 25, dns: { status: 'ok' }, mx: [],
      hosts: [{ exchange: 'open.example.test', ip: '127.0.0.27', port: 25, family: 4, probes: [probe('relay1', 'primary', 'accepted', 250, 'none'), stopped] }],
    }];
    const f = join(dir, 'not-judged.json');
    writeFileSync(f, JSON.stringify(run));
    const table = await runCliProcess(['fleet', 'report', f]);
    expect(table.code, table.stderr).toBe(1);
    expect(table.stdout).toContain('not judged on relay2');
    expect(table.stdout).not.toMatch(/same way|treated differently/);
    const json = await runCliProcess(['fleet', 'report', f, '--format', 'json']);
    expect(json.code).toBe(1);
    const rep = JSON.parse(json.stdout) as { inconsistencies: number; notJudgedCells: number; notJudgedBy: Record<string, number> };
    expect(rep).toMatchObject({ inconsistencies: 0, notJudgedCells: 1, notJudgedBy: { relay2: 1 } });
  });
});
