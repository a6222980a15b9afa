/**
 * The parallel parse through the built CLI, with a real worker thread (src/logs/range-thread.ts):
 * MXPROBE_LOGS_THREADS=2 opts in to the split and MXPROBE_LOGS_SPLIT_MIN=0 splits even a small file;
 * the default reads it on one thread.
 * Every output format must be byte-identical, and the split must really have been merged.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs bench script without types
import { generateText } from '../../bench/logs-gen.mjs';
import { runCliProcess } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'mxprobe-range-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('mxprobe logs: a file read in two ranges (worker thread) prints what one thread prints', () => {
  it('json, table and csv byte-identical; the worker range was merged', async () => {
    const file = join(dir, 'mail.log');
    writeFileSync(file, (generateText as (n: number) => string)(20_000));
    for (const format of ['json', 'table', 'csv']) {
      const args = ['logs', file, '--format', format, '--year', '2026'];
      const one = await runCliProcess(args, { env: {}, timeoutMs: 120_000 });
      const two = await runCliProcess(args, { env: { MXPROBE_LOGS_THREADS: '2', MXPROBE_LOGS_SPLIT_MIN: '0', MXPROBE_LOGS_DEBUG: '1' }, timeoutMs: 120_000 });
      expect(one.code, one.stderr).toBe(0);
      expect(two.code, two.stderr).toBe(0);
      expect(two.stderr).toMatch(/second range merged \(worker thread CPU/);
      expect(two.stdout).toBe(one.stdout);
    }
  });

  it('a binary file is still refused (the worker is stopped), exit 2', async () => {
    const file = join(dir, 'bin.log');
    writeFileSync(file, Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 10]), Buffer.from((generateText as (n: number) => string)(2000))]));
    const r = await runCliProcess(['logs', file, '--format', 'json'], { env: { MXPROBE_LOGS_THREADS: '2', MXPROBE_LOGS_SPLIT_MIN: '0' }, timeoutMs: 120_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/refusing a binary file/);
  });
});
