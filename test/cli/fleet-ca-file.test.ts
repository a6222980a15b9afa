/**
 * `probe --queue … --ca-file FILE`: a fleet run judges no transport security, so the file is not
 * used. It is still checked as a local run checks it (a missing, empty or non-PEM file is exit 2
 * before -o is opened), and a good one is said to be unused. Before, the flag was ignored without a
 * word, a missing file too. No Redis is needed: the file is checked before Redis is asked, and the
 * queue here is a closed loopback port (the run then stops with its own exit 2).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LAB_CERT } from '../../src/lab/cert.js';
import { runCliProcess } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'mxprobe-fleet-ca-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const QUEUE = 'redis://127.0.0.1:1';

function args(caFile: string, out: string): string[] {
  return ['probe', '--queue', QUEUE, '--vantages', 'relay1', '--format', 'json', '-o', out, '--quiet', '--ca-file', caFile, '127.0.0.1:2525'];
}

describe('probe --queue with --ca-file', () => {
  it.each([
    ['a missing file', () => join(dir, 'nope.pem'), /^mxprobe: --ca-file: .*nope\.pem.*ENOENT/m],
    ['an empty path', () => '', /^mxprobe: --ca-file: empty path/m],
    ['a file that is not PEM', () => (writeFileSync(join(dir, 'junk.pem'), 'not a certificate\n'), join(dir, 'junk.pem')), /^mxprobe: --ca-file: .*junk\.pem holds no PEM certificate/m],
  ])('%s: exit 2 before Redis is asked and before -o is opened', async (_name, file, pattern) => {
    const out = join(dir, `out-${Math.random().toString(36).slice(2)}.json`);
    const r = await runCliProcess(args(file(), out));
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr).not.toMatch(/Redis/);
    expect(existsSync(out)).toBe(false);
  });

  it('a good file: checked, then said to be unused (also with -q)', async () => {
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, LAB_CERT);
    const out = join(dir, 'out-good.json');
    const r = await runCliProcess(args(ca, out));
    expect(r.stderr).toContain(`mxprobe: warning: --ca-file ${ca} is not used: a fleet run (--queue) judges no transport security`);
    // Then the closed queue port stops the run, as without --ca-file.
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/--queue: cannot use Redis/);
  });
});
