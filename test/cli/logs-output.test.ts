/**
 * `mxprobe logs -o/--output FILE` (qa11 "Routed": it was "unknown option '-o'"), with the semantics
 * of `report -o`: the file gets exactly what stdout would have had; the format follows the file's
 * extension unless --format is given; a name that would replace a log being read or the
 * --emit-targets file, or that cannot be written, is refused before the logs are read; a write
 * that fails at the end is exit 5 with one line naming the file, never exit 0.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCliProcess } from '../helpers/cli.js';

const FX = new URL('../fixtures/logs/', import.meta.url).pathname;
const LOG = join(FX, 'postfix-classic.txt');
const dir = mkdtempSync(join(tmpdir(), 'mxprobe-logs-output-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('mxprobe logs -o', () => {
  it('writes to the file exactly what stdout would have had, and nothing to stdout', async () => {
    for (const format of ['table', 'json', 'csv', 'html']) {
      const out = join(dir, `explicit-${format}.out`);
      const [toStdout, toFile] = await Promise.all([
        runCliProcess(['logs', LOG, '--year', '2026', '--format', format]),
        runCliProcess(['logs', LOG, '--year', '2026', '--format', format, '-o', out]),
      ]);
      expect(toStdout.code, toStdout.stderr).toBe(0);
      expect(toFile.code, toFile.stderr).toBe(0);
      expect(toFile.stdout).toBe('');
      // The html page and json carry no clock; the same input gives the same bytes.
      expect(readFileSync(out, 'utf8'), format).toBe(toStdout.stdout);
    }
  });

  it('takes the format from the extension (--output too), and --format wins over it', async () => {
    const json = join(dir, 'r.json');
    const r = await runCliProcess(['logs', LOG, '--year', '2026', '--output', json]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(json, 'utf8')).schema).toBe('mxprobe-logs/1');
    const html = join(dir, 'r.HTML');
    expect((await runCliProcess(['logs', LOG, '-o', html])).code).toBe(0);
    expect(readFileSync(html, 'utf8')).toMatch(/^<!doctype html>/i);
    const csvAsTable = join(dir, 'r.csv');
    expect((await runCliProcess(['logs', LOG, '--format', 'table', '-o', csvAsTable])).code).toBe(0);
    expect(readFileSync(csvAsTable, 'utf8')).not.toMatch(/^[a-z_]+(,[a-z_]+)+\n/);
    const plain = join(dir, 'r.report');
    expect((await runCliProcess(['logs', LOG, '-o', plain])).code).toBe(0);
    expect(readFileSync(plain, 'utf8')).toContain('mxprobe probe -f FILE --identities all');
    // No NDJSON form: a table in a .ndjson file would be read by a script as NDJSON.
    const nd = await runCliProcess(['logs', LOG, '-o', join(dir, 'r.ndjson')]);
    expect(nd.code).toBe(2);
    expect(nd.stderr).toMatch(/^mxprobe logs: -o .*r\.ndjson: logs does not write NDJSON/);
    expect(existsSync(join(dir, 'r.ndjson'))).toBe(false);
  });

  it('is refused before the logs are read when it would replace a log or the --emit-targets file, or cannot be written', async () => {
    const log = join(dir, 'mail.log');
    const text = readFileSync(LOG, 'utf8');
    writeFileSync(log, text);
    symlinkSync(log, join(dir, 'mail-link.log'));
    const targets = join(dir, 'targets.txt');
    for (const [args, message] of [
      [['-o', ''], '-o/--output needs a file name'],
      [['-o', log], `cannot write -o ${log}: it is one of the logs being read (it would be overwritten)`],
      [['-o', join(dir, 'mail-link.log')], `cannot write -o ${join(dir, 'mail-link.log')}: it is one of the logs being read (it would be overwritten)`],
      [['-o', dir], `cannot write -o ${dir}: it is a directory`],
      [['-o', join(dir, 'nope', 'r.txt')], `cannot write -o ${join(dir, 'nope', 'r.txt')}: no such directory`],
      [['-o', targets, '--emit-targets', targets], `-o ${targets} is also the --emit-targets file: write the report elsewhere`],
    ] as const) {
      const r = await runCliProcess(['logs', log, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toBe(`mxprobe logs: ${message}\n`);
      expect(r.stdout).toBe('');
    }
    expect(readFileSync(log, 'utf8')).toBe(text);
    expect(existsSync(targets)).toBe(false);
    // The two in different files: both written (control).
    const ok = await runCliProcess(['logs', log, '-o', join(dir, 'both.json'), '--emit-targets', targets]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'both.json'), 'utf8')).targets.file).toBe(targets);
    expect(readFileSync(targets, 'utf8')).toContain('outlook.test');
  });

  it('a write that fails at the end (disk full) is exit 5 naming the file, never exit 0', async () => {
    const r = await runCliProcess(['logs', LOG, '-o', '/dev/full']);
    expect(r.code).toBe(5);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('mxprobe: cannot write results to /dev/full: no space left on device (ENOSPC); output is incomplete\n');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("a source that breaks off still gets its report into the file (exit 2), and with the file lost both are said", async () => {
    const bin = join(dir, 'binary.log');
    writeFileSync(bin, Buffer.concat([Buffer.from('Nov 30 10:00:00 r1 postfix/smtp[1]: x\n'), Buffer.alloc(64, 0)]));
    const out = join(dir, 'partial.json');
    const r = await runCliProcess(['logs', LOG, bin, '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/binary/);
    expect(JSON.parse(readFileSync(out, 'utf8')).totals.delivered).toBe(2);
    const lost = await runCliProcess(['logs', LOG, bin, '-o', '/dev/full', '--format', 'json']);
    expect(lost.code).toBe(5);
    expect(lost.stderr).toMatch(/binary[^\n]*\n(?:.*\n)*mxprobe: cannot write results to \/dev\/full: .*output is incomplete\n$/);
  });
});
