import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWriteStream, existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { TargetInputError, UsageError } from '../../src/errors.js';
import { MAX_PROBLEMS, noTargetsError, readTargets, validateTargets, type TargetLine, type TargetSourceSpec } from '../../src/targets/read.js';
import type { Target } from '../../src/targets/parse.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mxprobe-targets-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, content: string | Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

async function collect(spec: TargetSourceSpec, dups?: Array<[Target, string]>): Promise<TargetLine[]> {
  const out: TargetLine[] = [];
  const hooks = dups === undefined ? undefined : { onDuplicate: (t: Target, first: string) => void dups.push([t, first]) };
  for await (const line of readTargets(spec, hooks)) out.push(line);
  return out;
}

/** A stdin stand-in that delivers the bytes in the given chunks. */
function stdinOf(...chunks: Array<string | Buffer>): Readable {
  return Readable.from(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c)), { objectMode: false });
}

function summary(lines: TargetLine[]): string[] {
  return lines.map((l) => (l.ok === true ? `${l.origin} ${l.target.kind} ${l.target.name} ${l.target.port ?? '-'}` : `${l.origin} ERR`));
}

describe('readTargets', () => {
  it('reads argv, then files and stdin in the given order, with origins', async () => {
    const a = await file('a.txt', '# header\n\nexample.com\nmx.example.org:2525  # comment\n');
    const b = await file('b.txt', '192.0.2.1\n');
    const lines = await collect({
      args: ['example.net', '', '[2001:db8::1]:25'],
      files: [a, '-', b],
      stdin: stdinOf('203.0.113.9:587\n#c\nbücher.example'),
    });
    expect(summary(lines)).toEqual([
      'argv:1 domain example.net -',
      'argv:3 ip 2001:db8::1 25',
      `${a}:3 domain example.com -`,
      `${a}:4 host mx.example.org 2525`,
      'stdin:1 ip 203.0.113.9 587',
      'stdin:3 domain xn--bcher-kva.example -',
      `${b}:1 ip 192.0.2.1 -`,
    ]);
    const first = lines[2];
    expect(first?.source).toBe(a);
    expect(first?.lineNo).toBe(3);
    if (first?.ok === true) expect(first.target.origin).toBe(`${a}:3`);
  });

  it('yields invalid lines with file:line, reason and the input text', async () => {
    const f = await file('bad.txt', 'example.com\nex_ample.com\n\n999.1.1.1:25\n');
    const lines = await collect({ args: [], files: [f] });
    expect(lines.map((l) => [l.origin, l.ok, l.input])).toEqual([
      [`${f}:1`, true, 'example.com'],
      [`${f}:2`, false, 'ex_ample.com'],
      [`${f}:4`, false, '999.1.1.1:25'],
    ]);
    const bad = lines[1];
    if (bad?.ok === false) expect(bad.reason).toMatch(/'_'/);
  });

  it('handles CRLF files, a UTF-8 BOM and a missing final newline', async () => {
    const f = await file('crlf.txt', '\ufeffexample.com\r\n# c\r\nmx.example.org:25\r\n198.51.100.1');
    expect(summary(await collect({ args: [], files: [f] }))).toEqual([
      `${f}:1 domain example.com -`,
      `${f}:3 host mx.example.org 25`,
      `${f}:4 ip 198.51.100.1 -`,
    ]);
  });

  it('reports a lone CR inside a line instead of splitting or passing it', async () => {
    const f = await file('ctl.txt', 'exam\rple.com\nok.example\n');
    const lines = await collect({ args: [], files: [f] });
    expect(lines.map((l) => [l.lineNo, l.ok])).toEqual([
      [1, false],
      [2, true],
    ]);
    const [cr] = lines;
    if (cr?.ok === false) expect(cr.reason).toMatch(/carriage return/);
  });

  it('a NUL past the first 8 KiB is reported on its line, not passed', async () => {
    const f = await file('late-nul.txt', `${'ok.example\n'.repeat(1000)}exa\0mple.com\n`);
    const lines = await collect({ args: [], files: [f] });
    const nul = lines.find((l) => l.lineNo === 1001);
    expect(nul?.ok).toBe(false);
    if (nul?.ok === false) expect(nul.reason).toMatch(/NUL/);
  });

  // Like `mxprobe logs` and git: NUL in the first 8 KiB means a binary file, not a targets list.
  // Read line by line, a binary file gave one garbage error line per LF byte, and /dev/zero (no
  // LF ever) was read forever.
  it('a file with NUL in its first 8 KiB is refused as binary, at once, naming the file', async () => {
    const f = await file('bin.dat', Buffer.concat([Buffer.from('example.com\n'), Buffer.alloc(64, 0), Buffer.from('\nexample.net\n')]));
    await expect(collect({ args: [], files: [f] })).rejects.toThrow(/bin\.dat.*binary/s);
    const v = await validateTargets({ args: [], files: [f] });
    expect(v.problems).toEqual([expect.objectContaining({ source: f, line: 0, reason: expect.stringMatching(/binary/) })]);
    expect(v.invalid).toBe(1);
  });

  it('/dev/zero as a targets file ends at once as binary instead of reading forever', async () => {
    if (!existsSync('/dev/zero')) return;
    const started = Date.now();
    const v = await validateTargets({ args: [], files: ['/dev/zero'] });
    expect(v.problems[0]?.reason).toMatch(/binary/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('binary stdin is refused the same way', async () => {
    const v = await validateTargets({ args: [], files: ['-'], stdin: stdinOf('a.example\n', Buffer.alloc(10, 0)) });
    expect(v.problems).toEqual([expect.objectContaining({ source: 'stdin', line: 0, reason: expect.stringMatching(/binary/) })]);
  });

  it('decodes UTF-8 split across chunk boundaries', async () => {
    const bytes = Buffer.from('例え.テスト\nbücher.example\n');
    // Cut in the middle of every multi-byte sequence by feeding one byte at a time.
    const chunks = Array.from(bytes, (b) => Buffer.from([b]));
    const lines = await collect({ args: [], files: ['-'], stdin: stdinOf(...chunks) });
    expect(summary(lines)).toEqual(['stdin:1 domain xn--r8jz45g.xn--zckzah -', 'stdin:2 domain xn--bcher-kva.example -']);
    const idn = lines[0];
    if (idn?.ok === true) expect(idn.target.display).toBe('例え.テスト');
  });

  it('de-duplicates on kind + name + port, keeping the first and reporting each duplicate', async () => {
    const f = await file('dups.txt', 'EXAMPLE.com\nbücher.example\nexample.com:25\nexample.com.\n[2001:DB8:0::1]\n');
    const dups: Array<[Target, string]> = [];
    const lines = await collect(
      { args: ['example.com', 'xn--bcher-kva.example', '2001:db8::1'], files: [f] },
      dups,
    );
    expect(summary(lines)).toEqual([
      'argv:1 domain example.com -',
      'argv:2 domain xn--bcher-kva.example -',
      'argv:3 ip 2001:db8::1 -',
      `${f}:3 host example.com 25`,
    ]);
    expect(dups.map(([t, first]) => [t.origin, first])).toEqual([
      [`${f}:1`, 'argv:1'],
      [`${f}:2`, 'argv:2'],
      [`${f}:4`, 'argv:1'],
      [`${f}:5`, 'argv:3'],
    ]);
  });

  it('opens relative paths from spec.cwd and names them as given', async () => {
    await mkdir(join(dir, 'sub'), { recursive: true });
    await file('sub/rel.txt', 'example.org\n');
    const lines = await collect({ args: [], files: ['sub/rel.txt'], cwd: dir });
    expect(summary(lines)).toEqual(['sub/rel.txt:1 domain example.org -']);
  });

  it('throws TargetInputError naming the path for a missing file or a directory', async () => {
    const missing = join(dir, 'nope.txt');
    const err = await collect({ args: [], files: [missing] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetInputError);
    expect((err as TargetInputError).code).toBe('E_TARGET_INPUT');
    expect((err as TargetInputError).message).toContain(missing);
    expect((err as TargetInputError).message).toMatch(/no such file/);

    const err2 = await collect({ args: [], files: [dir] }).catch((e: unknown) => e);
    expect(err2).toBeInstanceOf(TargetInputError);
    expect((err2 as TargetInputError).message).toContain(dir);
    expect((err2 as TargetInputError).message).toMatch(/directory/);
  });

  it('turns a failing stdin into TargetInputError (source stdin), also as a validation problem', async () => {
    const failing = (): Readable =>
      new Readable({
        read() {
          this.push('example.com\n');
          this.destroy(Object.assign(new Error('boom'), { code: 'EIO' }));
        },
      });
    const err = await collect({ args: [], files: ['-'], stdin: failing() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetInputError);
    expect((err as TargetInputError).problems[0]).toMatchObject({ source: 'stdin', line: 0 });
    expect((err as TargetInputError).message).toMatch(/^stdin: cannot read targets from stdin: EIO: boom/);
    const res = await validateTargets({ args: [], files: ['-'], stdin: failing() });
    expect(res.problems.map((p) => p.source)).toEqual(['stdin']);
  });

  it.runIf(existsSync('/proc/self/fd'))('closes the file when the consumer stops early', async () => {
    const f = await file('early.txt', Array.from({ length: 20_000 }, (_, i) => `h${i}.example`).join('\n'));
    const openFds = (): number => readdirSync('/proc/self/fd').length;
    const before = openFds();
    for (let k = 0; k < 30; k++) {
      for await (const line of readTargets({ args: [], files: [f] })) {
        expect(line.ok).toBe(true);
        break;
      }
    }
    // Closing a FileHandle completes asynchronously; wait (bounded) until the count settles.
    for (let i = 0; i < 100 && openFds() > before; i++) await new Promise((r) => setTimeout(r, 10));
    expect(openFds()).toBeLessThanOrEqual(before);
  });

  it('refuses "-" twice or without a stdin', async () => {
    await expect(collect({ args: [], files: ['-', '-'], stdin: stdinOf('') })).rejects.toBeInstanceOf(UsageError);
    await expect(collect({ args: [], files: ['-'] })).rejects.toThrow(/no stdin/);
  });

  it('flags an over-long line without buffering it, then carries on', async () => {
    const f = join(dir, 'long.txt');
    const ws = createWriteStream(f);
    ws.write('example.com\n');
    const block = 'a'.repeat(1 << 20);
    for (let i = 0; i < 8; i++) ws.write(block); // one 8 MiB line
    ws.write('\nexample.org\n');
    ws.end();
    await finished(ws);
    const lines = await collect({ args: [], files: [f] });
    expect(lines.map((l) => [l.lineNo, l.ok])).toEqual([
      [1, true],
      [2, false],
      [3, true],
    ]);
    const long = lines[1];
    if (long?.ok === false) expect(long.reason).toMatch(/longer than 4096/);
    expect(long?.input.length).toBeLessThanOrEqual(200);
  });

  it('streams a 100k-line file and yields every line', async () => {
    const n = 100_000;
    const f = join(dir, 'big.txt');
    const ws = createWriteStream(f);
    for (let i = 0; i < n; i++) {
      // Mix the forms so every branch of the parser runs at volume.
      const line =
        i % 4 === 0
          ? `host${i}.example.com`
          : i % 4 === 1
            ? `mx${i}.example.net:2525`
            : i % 4 === 2
              ? `198.51.${(i >> 8) & 0xff}.${i & 0xff}:${1 + (i % 65535)}`
              : `[2001:db8::${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}]`;
      if (!ws.write(`${line}\n`)) await new Promise<void>((r) => ws.once('drain', () => r()));
    }
    ws.end();
    await finished(ws);
    let count = 0;
    let lastLine = 0;
    let invalid = 0;
    for await (const line of readTargets({ args: [], files: [f] })) {
      count++;
      if (line.ok !== true) invalid++;
      expect(line.lineNo).toBe(lastLine + 1);
      lastLine = line.lineNo;
    }
    expect(invalid).toBe(0);
    expect(count).toBe(n);
    expect(lastLine).toBe(n);
  }, 120_000);
});

describe('validateTargets', () => {
  it('collects every problem with source:line, counts targets and duplicates', async () => {
    const f = await file('v.txt', 'example.com\nmx.example.com:0\n\nexample.com\n2001:db8::1:25\n');
    const missing = join(dir, 'missing.txt');
    const res = await validateTargets({ args: ['1.2.3', 'example.org'], files: [f, missing] });
    expect(res.count).toBe(2); // example.org, example.com
    expect(res.duplicates).toBe(1);
    expect(res.invalid).toBe(4);
    expect(res.problems.map((p) => [p.source, p.line, p.input])).toEqual([
      ['argv', 1, '1.2.3'],
      [f, 2, 'mx.example.com:0'],
      [f, 5, '2001:db8::1:25'],
      [missing, 0, ''],
    ]);
    expect(res.problems[2]?.reason).toMatch(/\[2001:db8::1\]:25/);
    expect(res.problems[3]?.reason).toMatch(/no such file/);
    // What the CLI shows: one "file:line: reason" per problem.
    const message = new TargetInputError(res.problems).message.split('\n');
    expect(message[0]).toMatch(/^argv:1: invalid IPv4 address/);
    expect(message[1]).toMatch(new RegExp(`^${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: invalid port "0"`));
  });

  it('reads stdin once and replays it for the second pass', async () => {
    const stdin = stdinOf('example.com\n', 'bad_name.example\n# c\n[::1]:2525\n');
    const spec: TargetSourceSpec = { args: [], files: ['-'], stdin };
    const res = await validateTargets(spec);
    expect(res).toMatchObject({ count: 2, duplicates: 0, invalid: 1 });
    expect(res.problems[0]).toMatchObject({ source: 'stdin', line: 2, input: 'bad_name.example' });
    expect(stdin.readableEnded).toBe(true);
    // Second pass over the same (now exhausted) stream gives the same lines with the same numbers.
    expect(summary(await collect(spec))).toEqual(['stdin:1 domain example.com -', 'stdin:2 ERR', 'stdin:4 ip ::1 2525']);
  });

  it('keeps at most MAX_PROBLEMS problems but counts them all', async () => {
    const lines = Array.from({ length: MAX_PROBLEMS + 50 }, (_, i) => `bad_${i}.example`).join('\n');
    const f = await file('many-bad.txt', `${lines}\nexample.com\n`);
    const res = await validateTargets({ args: [], files: [f] });
    expect(res.problems).toHaveLength(MAX_PROBLEMS);
    expect(res.invalid).toBe(MAX_PROBLEMS + 50);
    expect(res.count).toBe(1);
  });

  it('keep: the valid distinct targets in input order, the same the second pass would stream', async () => {
    const f = await file('keep.txt', 'example.com\nbad_name.example\n192.0.2.1\nexample.com\n[2001:db8::1]:2525\n');
    const spec: TargetSourceSpec = { args: ['example.org'], files: [f] };
    const res = await validateTargets(spec, { keep: 10 });
    expect(res.count).toBe(4);
    const streamed: string[] = [];
    for await (const line of readTargets(spec)) if (line.ok === true) streamed.push(`${line.target.origin} ${line.target.kind} ${line.target.name} ${line.target.port ?? '-'}`);
    expect(res.targets?.map((t) => `${t.origin} ${t.kind} ${t.name} ${t.port ?? '-'}`)).toEqual(streamed);
    expect(streamed).toHaveLength(4);
  });

  it('keep: more valid targets than asked for keeps none (the run streams them again)', async () => {
    const f = await file('keep-over.txt', 'a.example\nb.example\nc.example\n');
    const res = await validateTargets({ args: [], files: [f] }, { keep: 2 });
    expect(res.count).toBe(3);
    expect(res.targets).toBeUndefined();
    expect((await validateTargets({ args: [], files: [f] }, { keep: 3 })).targets).toHaveLength(3);
    expect((await validateTargets({ args: [], files: [f] })).targets).toBeUndefined();
  });

  it('gives count 0 for comment-only input, and noTargetsError explains it', async () => {
    const f = await file('empty.txt', '# nothing here\n\n   \n');
    const res = await validateTargets({ args: [], files: [f] });
    expect(res).toEqual({ problems: [], count: 0, duplicates: 0, invalid: 0, ipTargets: 0 });
    const err = noTargetsError({ args: [], files: [f] });
    expect(err).toBeInstanceOf(UsageError);
    expect(err.code).toBe('E_USAGE');
    expect(err.message).toContain(f);
    expect(err.message).toMatch(/only blank or comment lines/);
    expect(noTargetsError({ args: [], files: [] }).message).toMatch(/^no targets given/);
    expect(noTargetsError({ args: [], files: ['-'] }).message).toContain('stdin');
  });
});
