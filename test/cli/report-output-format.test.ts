/**
 * `report -o FILE` takes its format from FILE's extension (`--format` help: "from -o extension, else
 * table"). An extension naming a format report does not write (.ndjson, .jsonl) used to fall through to
 * the table, silently: a script reading out.ndjson then got a text table. It is a usage error now,
 * before anything is read or written; any other extension still means the table.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, runCliProcess } from '../helpers/cli.js';

const FIXTURE = join(ROOT, 'test/fixtures/results/sample-run.json');
const dir = mkdtempSync(join(tmpdir(), 'mxprobe-report-ext-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('report -o: the format from the extension', () => {
  for (const ext of ['ndjson', 'jsonl', 'NDJSON']) {
    it(`-o out.${ext} without --format is a usage error (exit 2), and no file is written`, async () => {
      const out = join(dir, `out.${ext}`);
      const r = await runCliProcess(['report', FIXTURE, '-o', out]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/NDJSON/);
      expect(r.stderr).toMatch(/--format/);
      expect(existsSync(out)).toBe(false);
    });
  }

  it('-o out.ndjson with an explicit --format writes that format', async () => {
    const out = join(dir, 'explicit.ndjson');
    const r = await runCliProcess(['report', FIXTURE, '-o', out, '--format', 'json']);
    expect(r.code).toBe(0);
    expect(() => JSON.parse(readFileSync(out, 'utf8'))).not.toThrow();
  });

  it('.json still means JSON and an unknown extension still means the table', async () => {
    const j = join(dir, 'r.json');
    const t = join(dir, 'r.report');
    expect((await runCliProcess(['report', FIXTURE, '-o', j])).code).toBe(0);
    expect((await runCliProcess(['report', FIXTURE, '-o', t])).code).toBe(0);
    expect(() => JSON.parse(readFileSync(j, 'utf8'))).not.toThrow();
    expect(() => JSON.parse(readFileSync(t, 'utf8'))).toThrow();
  });
});

describe('report -o naming the results file it reads', () => {
  it('is a usage error, and the results are left as they were (it replaced them with the rendering)', async () => {
    const copy = join(dir, 'run.json');
    const text = readFileSync(FIXTURE, 'utf8');
    writeFileSync(copy, text);
    symlinkSync(copy, join(dir, 'run-link.json'));
    for (const args of [['-o', copy], ['-o', copy, '--format', 'json'], ['-o', join(dir, 'run-link.json'), '--format', 'html']]) {
      const r = await runCliProcess(['report', copy, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/is the results file being read/);
      expect(readFileSync(copy, 'utf8')).toBe(text);
    }
    // Another file still works (control).
    const ok = await runCliProcess(['report', copy, '-o', join(dir, 'other.json')]);
    expect(ok.code, ok.stderr).toBe(0);
  });
});
