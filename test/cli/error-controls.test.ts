/**
 * Error messages quote the input (here JSON.parse's excerpt of a bad line): terminal controls in a
 * results file must not reach the user's terminal through them.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCliProcess } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'mxprobe-ctl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const bad = join(dir, 'bad.ndjson');
writeFileSync(bad, '\x1b[31mRED\x07\x1b]0;title\x07\n{}\n');

describe('terminal controls in error messages', () => {
  for (const args of [['report', bad], ['store', 'import', bad, '--store', join(dir, 's.db')]]) {
    it(`mxprobe ${args[0]} ${args[1]}: file:line error, exit 2, no controls`, async () => {
      const r = await runCliProcess(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('bad.ndjson:1: not valid JSON');
      // eslint-disable-next-line no-control-regex
      expect(r.stderr).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f\x9b]/);
    });
  }
});
