import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { LogInputError, orderRotated, readLines } from '../../src/logs/read.js';

const dir = mkdtempSync(join(tmpdir(), 'mxprobe-logs-read-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function collect(src: Buffer | Buffer[], maxLine?: number): Promise<{ lines: string[]; capped: number; gzip: boolean }> {
  const lines: string[] = [];
  let capped = 0;
  const chunks = Array.isArray(src) ? src : [src];
  const r = await readLines(Readable.from(chunks), 'test', { lines: (b) => lines.push(...b), capped: () => capped++ }, maxLine);
  expect(r.lines).toBe(lines.length);
  return { lines, capped, gzip: r.gzip };
}

describe('readLines', () => {
  it('splits on LF only, drops a CR before LF, keeps a last line without LF, and joins lines split across chunks', async () => {
    const r = await collect([Buffer.from('a\r\nb'), Buffer.from('c\nd\re\n'), Buffer.from('last')]);
    expect(r.lines).toEqual(['a', 'bc', 'd\re', 'last']);
  });
  it('decodes UTF-8 split across chunks', async () => {
    const b = Buffer.from('h\u00e9llo\n');
    expect((await collect([b.subarray(0, 2), b.subarray(2)])).lines).toEqual(['h\u00e9llo']);
  });
  it('gunzips by magic bytes, whatever the name', async () => {
    const r = await collect(gzipSync('one\ntwo\n'));
    expect(r).toEqual({ lines: ['one', 'two'], capped: 0, gzip: true });
  });
  it('a truncated gzip file: the complete lines before the break are delivered, then an error naming the file', async () => {
    const full = gzipSync(Array.from({ length: 5000 }, (_, i) => `line ${i} ${'x'.repeat(40)}`).join('\n') + '\n');
    const cut = full.subarray(0, Math.floor(full.length * 0.6));
    const got: string[] = [];
    const err = await readLines(Readable.from([cut]), 'mail.log.2.gz', { lines: (b) => got.push(...b), capped: () => {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LogInputError);
    const e = err as LogInputError;
    expect(e.problem).toBe('truncated-gzip');
    expect(e.file).toBe('mail.log.2.gz');
    expect(e.message).toMatch(/^mail\.log\.2\.gz: truncated gzip file: \d+ complete line\(s\) were read and counted/);
    expect(got.length).toBeGreaterThan(100);
    expect(e.linesRead).toBe(got.length);
    expect(got.every((l, i) => l === `line ${i} ${'x'.repeat(40)}`)).toBe(true);
  });
  it('a binary file is refused before any line is counted', async () => {
    const got: string[] = [];
    const err = await readLines(Readable.from([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 1, 10, 65, 10])]), '/bin/x', { lines: (b) => got.push(...b), capped: () => {} }).catch((e: unknown) => e);
    expect(err).toMatchObject({ problem: 'binary', file: '/bin/x', linesRead: 0 });
    expect(got).toEqual([]);
  });
  it('a huge line is cut to the cap, counted, and the rest of it is skipped without buffering', async () => {
    const huge = 'y'.repeat(300_000);
    const r = await collect([Buffer.from(`short\n${huge.slice(0, 100_000)}`), Buffer.from(huge.slice(100_000)), Buffer.from('\nafter\n')], 1000);
    expect(r.lines.map((l) => l.length)).toEqual([5, 1000, 5]);
    expect(r.capped).toBe(1);
    expect(r.lines[2]).toBe('after');
  });
  it('a long line that fits in one chunk is cut too', async () => {
    const r = await collect(Buffer.from(`${'z'.repeat(5000)}\nok\n`), 1000);
    expect(r.lines.map((l) => l.length)).toEqual([1000, 2]);
    expect(r.capped).toBe(1);
  });
});

describe('orderRotated', () => {
  it('reads a rotated set oldest first; other lists as given', () => {
    expect(orderRotated(['mail.log', 'mail.log.1', 'mail.log.2.gz', 'mail.log.10.gz'])).toEqual(['mail.log.10.gz', 'mail.log.2.gz', 'mail.log.1', 'mail.log']);
    expect(orderRotated(['/var/log/mail.log', '/var/log/mail.log.1'])).toEqual(['/var/log/mail.log.1', '/var/log/mail.log']);
    expect(orderRotated(['b.log', 'a.log'])).toEqual(['b.log', 'a.log']);
    expect(orderRotated(['mail.log', '-'])).toEqual(['mail.log', '-']);
  });
});
