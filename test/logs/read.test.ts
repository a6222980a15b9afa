import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
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

describe('readLines, line ranges (the sink the run uses)', () => {
  /** The reference: decode everything at once, split on LF, drop a CR before LF, cap by String.length. */
  function reference(buf: Buffer, maxLine: number): { lines: string[]; capped: number } {
    const parts = buf.toString('utf8').split('\n');
    const lines: string[] = [];
    let capped = 0;
    parts.forEach((p, i) => {
      let l = p.endsWith('\r') ? p.slice(0, -1) : p;
      if (i === parts.length - 1 && l === '') return;
      if (l.length > maxLine) {
        l = l.slice(0, maxLine);
        capped++;
      }
      lines.push(l);
    });
    return { lines, capped };
  }

  it('a CRLF line of exactly the cap, cut between its CR and LF, is not capped', async () => {
    const got: string[] = [];
    let capped = 0;
    await readLines(Readable.from([Buffer.from('abcde\r'), Buffer.from('\nabcdef\r'), Buffer.from('x\n')]), 't', { line: (t, a, b) => got.push(t.slice(a, b)), capped: () => capped++ }, 5);
    expect(got).toEqual(['abcde', 'abcde']);
    expect(capped).toBe(1);
  });

  it('any bytes cut into any chunks give the lines of the whole text: UTF-8 split across chunks, invalid bytes, CR, caps (property)', async () => {
    const piece = fc.constantFrom('a', 'xyz', ' ', '\n', '\r', '\r\n', '\u00e9', '\u4e2d', '\u{1f600}', '\xff', '\xc3', '\xe4\xb8', 'Nov 30 14:29:21 h p[1]: m');
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { maxLength: 80 }), fc.array(fc.nat(60), { maxLength: 20 }), fc.integer({ min: 3, max: 40 }), async (pieces, cuts, maxLine) => {
        // "\xff"-style pieces are raw bytes (latin1), the rest UTF-8: invalid sequences on purpose.
        const buf = Buffer.concat(pieces.map((p) => (/^[\x80-\xff]+$/.test(p) ? Buffer.from(p, 'latin1') : Buffer.from(p, 'utf8'))));
        const chunks: Buffer[] = [];
        let at = 0;
        for (const c of cuts) {
          if (at >= buf.length) break;
          chunks.push(buf.subarray(at, at + c + 1));
          at += c + 1;
        }
        if (at < buf.length) chunks.push(buf.subarray(at));
        if (buf.includes(0) || chunks.length === 0) return;
        const got: string[] = [];
        let capped = 0;
        const r = await readLines(Readable.from(chunks), 't', { line: (text, a, b) => got.push(text.slice(a, b)), capped: () => capped++ }, maxLine);
        const want = reference(buf, maxLine);
        expect(got).toEqual(want.lines);
        expect(capped).toBe(want.capped);
        expect(r.lines).toBe(got.length);
      }),
      { numRuns: 400, seed: 14 },
    );
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

describe('fileSource on a path that cannot seek', () => {
  // A FIFO (or bash's <(zcat …), a /dev/fd/N pipe) failed with "ESPIPE: invalid seek": positioned
  // reads only work on regular files. It must give the same bytes as the regular file.
  it('reads a FIFO in order, the same lines as the file', async () => {
    const { execFileSync, spawn } = await import('node:child_process');
    const { writeFileSync } = await import('node:fs');
    const { fileSource } = await import('../../src/logs/read.js');
    const dir = mkdtempSync(join(tmpdir(), 'mxprobe-fifo-'));
    try {
      const text = Array.from({ length: 5000 }, (_, i) => `Nov  1 00:00:${String(i % 60).padStart(2, '0')} relay1 postfix/qmgr[1]: line ${i}`).join('\n') + '\n';
      writeFileSync(join(dir, 'plain.log'), text);
      const fifo = join(dir, 'pipe.log');
      execFileSync('mkfifo', [fifo]);
      const linesOf = async (path: string) => {
        const lines: string[] = [];
        await readLines(fileSource(path, dir).open(), path, { lines: (b) => lines.push(...b), capped: () => {} });
        return lines;
      };
      const fromFile = await linesOf(join(dir, 'plain.log'));
      // The writer is another process, as with `cat x > fifo &` or bash's <(…).
      const writer = spawn('sh', ['-c', 'cat plain.log > pipe.log'], { cwd: dir, stdio: 'ignore' });
      const fromFifo = await linesOf(fifo).finally(() => writer.kill());
      expect(fromFile.length).toBe(5000);
      expect(fromFifo).toEqual(fromFile);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 20_000);
});
