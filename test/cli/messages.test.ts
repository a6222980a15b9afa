/**
 * Polish from issue 12: targets that name no host are refused, help lists what a user needs,
 * error messages say a code once, the example file names the real flag.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCliProcess } from '../helpers/cli.js';
import { parseTargetLine as parseLine } from '../../src/targets/parse.js';

describe('targets that name no host', () => {
  for (const t of ['0.0.0.0', '0.1.2.3:25', '255.255.255.255', '[::]', '[0:0::0]:25']) {
    it(`${t} is refused`, () => {
      const r = parseLine(t, 'argv:1');
      expect(r.ok).toBe(false);
    });
  }
  it('the CLI refuses them with exit 2 before probing', async () => {
    const r = await runCliProcess(['probe', '-q', '0.0.0.0', '255.255.255.255', '[::]']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/0\.0\.0\.0 is in 0\.0\.0\.0\/8/);
    expect(r.stderr).toMatch(/limited broadcast/);
    expect(r.stderr).toMatch(/unspecified address/);
  });
});

describe('help and messages', () => {
  it('probe --help lists the --format choices and the --port default', async () => {
    const r = await runCliProcess(['probe', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--format <format>\s+output format: table\|json\|ndjson\|csv\|html/);
    expect(r.stdout).toMatch(/--port <n>[\s\S]*default: 25/);
  });
  it('targets.example.txt names the real flag', async () => {
    const text = readFileSync(join(ROOT, 'targets.example.txt'), 'utf8');
    expect(text).not.toMatch(/--targets\s/);
    expect(text).toContain('--targets-file');
    const help = await runCliProcess(['probe', '--help']);
    expect(help.stdout).toContain('--targets-file');
  });
  it('a targets-file error names its code once', async () => {
    const r = await runCliProcess(['probe', '-q', '--targets-file', join(ROOT, 'package.json', 'x')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ENOTDIR');
    expect(r.stderr.match(/ENOTDIR/g)).toHaveLength(1);
  });
});
