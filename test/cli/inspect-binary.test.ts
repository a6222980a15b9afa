/**
 * `mxprobe inspect` on input that is not a message: /dev/zero (no line end, ever) was read
 * forever at full CPU, and a binary file was scanned to its end before being refused. RFC 5322
 * §2.3 and RFC 6152 allow no NUL in a message, so a NUL in the first 8 KiB refuses the input at
 * once: exit 2, one line. Built CLI, end to end.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBuilt, runCli } from '../helpers/hostile.js';

let dir: string;
beforeAll(async () => {
  if (!cliBuilt()) throw new Error('dist/ is missing: run `npm run build` first');
  dir = await mkdtemp(join(tmpdir(), 'mxprobe-inspect-binary-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('inspect refuses binary input at once', () => {
  it('/dev/zero: exit 2 within seconds, one line, no stack trace', async () => {
    if (!existsSync('/dev/zero')) return;
    const t0 = Date.now();
    const r = await runCli(['inspect', '/dev/zero'], { timeoutMs: 20_000 });
    expect(r.code).toBe(2);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(r.stderr).toMatch(/binary/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a file with a NUL in its header block: exit 2, binary', async () => {
    const f = join(dir, 'nul.eml');
    await writeFile(f, 'Received: from a (b [127.0.0.1])\r\n\tby mx; Tue, 1 Dec 2026 10:00:00 +0000\r\nSubject: x\0y\r\n\r\nbody\r\n');
    const r = await runCli(['inspect', f]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nul\.eml.*binary/);
  });

  it('binary stdin: exit 2, binary', async () => {
    const r = await runCli(['inspect', '-'], { stdin: 'From: a@b\n\0\0\0' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/binary/);
  });

  it('a message without NUL is still inspected (control)', async () => {
    const f = join(dir, 'ok.eml');
    await writeFile(f, 'Received: from relay.example.net (relay.example.net [127.0.0.1])\r\n\tby mx.example.org; Tue, 1 Dec 2026 10:00:00 +0000\r\nSubject: x\r\n\r\nbody\r\n');
    const r = await runCli(['inspect', f]);
    expect(r.code).toBe(0);
  });
});
