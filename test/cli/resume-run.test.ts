import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { BIN, ROOT, runCliProcess } from '../helpers/cli.js';
import { startResponder, type ResponderHandle } from '../../src/lab/smtp-responder.js';
import type { RunResult } from '../../src/results.js';

let a: ResponderHandle;
let b: ResponderHandle;
beforeAll(async () => {
  const policy = (name: string) => ({ hostname: name, banner: () => ({ code: 220, lines: [`${name} ESMTP`] }) });
  a = await startResponder(policy('a.resume.test'), { host: '127.0.0.1' });
  b = await startResponder(policy('b.resume.test'), { host: '127.0.0.1' });
});
afterAll(async () => {
  await a.close();
  await b.close();
});

describe('probe --resume (built CLI)', () => {
  it('skips finished cells, probes the rest, appends to the same file, and report reads it whole', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mxprobe-resume-'));
    const file = join(dir, 'results.ndjson');
    const common = ['--quiet', '--no-alignment', '--host-gap', '0', '--helo', 'probe.example.test', '--identities', 'primary,localhost'];
    const first = await runCliProcess(['probe', `127.0.0.1:${a.port}`, '--format', 'ndjson', '-o', file, ...common]);
    expect(first.code).toBe(0);
    expect(a.connections()).toBe(2);
    // A crash mid-write leaves a torn last line: --resume must cut it off, not choke on it.
    appendFileSync(file, '{"type":"host","target":{"inp');

    const second = await runCliProcess(['probe', `127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`, '--resume', file, ...common]);
    expect(second.code).toBe(0);
    expect(a.connections()).toBe(2); // nothing new for the finished target
    expect(b.connections()).toBe(2);
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string });
    expect(lines.map((l) => l.type)).toEqual(['run', 'host', 'target', 'summary', 'resume', 'host', 'target', 'summary']);

    const report = await runCliProcess(['report', file, '--format', 'json']);
    expect(report.code).toBe(0);
    const run = JSON.parse(report.stdout) as RunResult;
    expect(run.targets).toHaveLength(2);
    expect(run.summary.probes).toBe(4);
    expect(run.summary.hosts).toBe(2);
  });

  it('refuses --resume with another format or another output file', async () => {
    const r1 = await runCliProcess(['probe', `127.0.0.1:${a.port}`, '--resume', '/tmp/x.ndjson', '--format', 'json', '--quiet']);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toMatch(/--resume works with --format ndjson/);
    const r2 = await runCliProcess(['probe', `127.0.0.1:${a.port}`, '--resume', '/tmp/x.ndjson', '-o', '/tmp/y.ndjson', '--quiet']);
    expect(r2.code).toBe(2);
  });

  it('after Ctrl-C, --resume re-runs the cells the interruption cut short, and report shows one whole target', async () => {
    const slow = await startResponder({ hostname: 'slow.resume.test', latencyMs: 150, banner: () => ({ code: 220, lines: ['slow.resume.test ESMTP'] }) }, { host: '127.0.0.1' });
    try {
      const dir = mkdtempSync(join(tmpdir(), 'mxprobe-resume-int-'));
      const file = join(dir, 'r.ndjson');
      const args = ['probe', `127.0.0.1:${slow.port}`, '--quiet', '--no-alignment', '--host-gap', '0', '--helo', 'probe.example.test', '--identities', 'primary,localhost,short,literal', '--stop-after', 'rcpt'];
      const child = spawn(process.execPath, [BIN, ...args, '--format', 'ndjson', '-o', file], { cwd: ROOT, stdio: 'ignore' });
      // Interrupt once the first session is done and the second is under way.
      while (slow.connections() < 2) await new Promise((r) => setTimeout(r, 20));
      child.kill('SIGINT');
      const code = await new Promise<number | null>((r) => child.on('close', r));
      expect(code).toBe(130);
      const firstPart = readFileSync(file, 'utf8');
      expect(firstPart).toMatch(/run interrupted|E_INTERRUPTED/);
      const before = slow.connections();

      const resumed = await runCliProcess([...args, '--resume', file]);
      expect(resumed.code).toBe(0);
      expect(slow.connections() - before).toBeGreaterThanOrEqual(2);

      const report = await runCliProcess(['report', file, '--format', 'json']);
      const run = JSON.parse(report.stdout) as RunResult;
      expect(run.targets).toHaveLength(1);
      const probes = run.targets[0]?.hosts[0]?.probes ?? [];
      expect(probes.map((p) => p.identity.kind).sort()).toEqual(['literal', 'localhost', 'primary', 'short']);
      expect(probes.every((p) => p.status === 'success')).toBe(true);
    } finally {
      await slow.close();
    }
  });
});
