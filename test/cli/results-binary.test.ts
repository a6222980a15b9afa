/**
 * report, fleet report and diff read results files; a binary input (/dev/zero, an image, a database)
 * is refused at once with a clear line and exit 2. Before, each read about 600 MB of /dev/zero into
 * memory before failing.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, runCliProcess } from '../helpers/cli.js';

const FIXTURE = join(ROOT, 'test/fixtures/results/sample-run.json');
const dir = mkdtempSync(join(tmpdir(), 'mxprobe-results-bin-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const bin = join(dir, 'image.json');
writeFileSync(bin, Buffer.concat([Buffer.from('{"schemaVersion": 1, '), Buffer.alloc(64, 0), Buffer.from('x'.repeat(1000))]));

describe('a binary results file is refused at once', () => {
  for (const [what, args] of [
    ['report /dev/zero', ['report', '/dev/zero']],
    ['report of a file with NUL bytes', ['report', bin]],
    ['fleet report /dev/zero', ['fleet', 'report', '/dev/zero']],
    ['diff of two files, one binary', ['diff', FIXTURE, bin]],
  ] as const) {
    it(`${what}: exit 2, one line naming the file`, async () => {
      const r = await runCliProcess([...args], { timeoutMs: 20_000 });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/binary/);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    });
  }
  it('a results file still reports (control)', async () => {
    expect((await runCliProcess(['report', FIXTURE])).code).toBe(0);
  });
});
