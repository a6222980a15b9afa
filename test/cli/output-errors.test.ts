/**
 * B5: results that cannot be written are a failure with one clear line, never exit 0 and never a
 * stack trace: stdout on a full device (`> /dev/full`), `-o /dev/full`, and a reader that closes
 * the pipe early (`| head`), which ends quietly with 141.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, runCliProcess } from '../helpers/cli.js';

const HAS_DEV_FULL = existsSync('/dev/full');
const FIXTURE = join(ROOT, 'test/fixtures/results/sample-run.json');
const EML = join(ROOT, 'test/fixtures/headers/exchange.eml');
const dir = mkdtempSync(join(tmpdir(), 'mxprobe-out-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Run the built CLI with stdout opened on `/dev/full` (as `> /dev/full` does). */
function runToDevFull(args: string[], timeoutMs = 90_000): Promise<{ code: number | null; stderr: string }> {
  const fd = openSync('/dev/full', 'w');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', fd, 'pipe'] });
    closeSync(fd);
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

/** Run the CLI with stdout on a pipe whose reader goes away after the first chunk (`| head -c1`). */
function runIntoClosedPipe(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    child.stdout.once('data', () => child.stdout.destroy());
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe.runIf(HAS_DEV_FULL || process.env['CI'] === 'true')('write errors lose no results silently', () => {
  const cases: Array<[string, string[]]> = [
    ['demo json', ['demo', '-q', '--format', 'json']],
    ['demo table', ['demo', '-q', '--identities', 'primary']],
    ['probe json (no host reachable)', ['probe', '-q', '--format', 'json', '--timeout', '500', '--port', '9', '127.0.0.1']],
    ['report json', ['report', FIXTURE, '--format', 'json']],
    ['report table', ['report', FIXTURE]],
    ['classify', ['classify', '550 5.7.1 Client host rejected: cannot find your hostname']],
    ['inspect', ['inspect', EML]],
  ];
  for (const [name, args] of cases) {
    it(`${name} > /dev/full exits 5 with one line`, async () => {
      const r = await runToDevFull(args);
      expect(r.code).toBe(5);
      expect(r.stderr).toMatch(/mxprobe: cannot write results to stdout: no space left on device \(ENOSPC\)/);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(r.stderr.match(/ENOSPC/g)).toHaveLength(1);
    });
  }

  it('probe -o /dev/full and report -o /dev/full exit 5 without a stack trace', async () => {
    for (const args of [
      ['demo', '-q', '--identities', 'primary', '--format', 'json', '-o', '/dev/full'],
      ['report', FIXTURE, '--format', 'json', '-o', '/dev/full'],
    ]) {
      const r = await runCliProcess(args, { timeoutMs: 90_000 });
      expect(r.code).toBe(5);
      expect(r.stderr).toContain('cannot write results to /dev/full: no space left on device (ENOSPC)');
      expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    }
  });
});

describe('closed pipe and empty -o', () => {
  it('a reader that goes away (| head) ends quietly with 141', async () => {
    const r = await runIntoClosedPipe(['demo', '-q', '--format', 'json']);
    expect(r.code).toBe(141);
    expect(r.stderr).toBe('');
  }, 90_000);

  it("-o '' is a usage error for probe and report", async () => {
    const p = await runCliProcess(['probe', '-q', '-o', '', '127.0.0.1']);
    expect(p.code).toBe(2);
    expect(p.stderr).toContain('empty file name');
    const r = await runCliProcess(['report', FIXTURE, '-o', '']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('empty file name');
    expect(r.stdout).toBe('');
  });

  it('an unwritable -o directory is one line, exit 5', async () => {
    const r = await runCliProcess(['report', FIXTURE, '-o', join(dir, 'missing', 'x.json')]);
    expect(r.code).toBe(5);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('(ENOENT)');
  });
});
