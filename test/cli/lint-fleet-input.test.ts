/**
 * `mxprobe lint --fleet FILE` with input that is not a fleet list, end to end through the built
 * CLI: a binary file, /dev/zero (no line end, ever) and a 10 MB line. Each is one line on stderr
 * and exit 2, bounded in time and memory, never a stack trace (it was `RangeError: Invalid string
 * length` from an unbounded readline buffer, after reading ~1 GB).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBuilt, runCli } from '../helpers/hostile.js';
import { startDnsServer, withPtr, zone, type DnsServerHandle } from '../helpers/dns-zone.js';

let dns: DnsServerHandle;
let dir: string;

beforeAll(async () => {
  if (!cliBuilt()) throw new Error('dist/ is missing: run `npm run build` first');
  dns = await startDnsServer(withPtr(zone({ 'good.example.test': { A: ['127.0.0.10'], TXT: ['v=spf1 a -all'] } }), '127.0.0.10', 'good.example.test'), { host: '127.0.0.1', port: 0 });
  dir = await mkdtemp(join(tmpdir(), 'mxprobe-lint-fleet-'));
});
afterAll(async () => {
  await dns.close();
  await rm(dir, { recursive: true, force: true });
});

const lint = (file: string) => runCli(['lint', '--resolver', dns.address, '--timeout', '1000', '--fleet', file], { timeoutMs: 20_000 });

describe('lint --fleet with input that is not a fleet list', () => {
  it('/dev/zero: refused as binary at once, exit 2, one line', async () => {
    if (!existsSync('/dev/zero')) return;
    const r = await lint('/dev/zero');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/binary/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a binary file: refused as binary, nothing linted', async () => {
    const f = join(dir, 'bin.dat');
    await writeFile(f, Buffer.concat([Buffer.from('127.0.0.10 good.example.test\n'), Buffer.alloc(100, 0), Buffer.from('\n')]));
    const r = await lint(f);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bin\.dat.*binary/);
    expect(r.stdout).toBe('');
  });

  it('a 10 MB line: file:line says it is too long, exit 2, no stack trace', async () => {
    const f = join(dir, 'long.txt');
    await writeFile(f, `127.0.0.10 good.example.test\n${'a'.repeat(10 * 1024 * 1024)}\n`);
    const r = await lint(f);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/long\.txt:2: line longer than/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a directory: one line naming it, exit 2 (it was "internal error: Error: EISDIR", exit 1)', async () => {
    const r = await lint(dir);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trim()).toBe(`mxprobe lint: --fleet: ${dir}: cannot read file: it is a directory`);
  });

  it("an empty --fleet path or <helo-name> (an unset shell variable) is a usage error, nothing linted", async () => {
    const before = dns.queries();
    const fleet = await lint('');
    expect(fleet.code, fleet.stderr).toBe(2);
    expect(fleet.stderr.trim()).toBe('mxprobe lint: --fleet: empty path');
    // It used to lint "" and exit 3, a lint failure, as if a real name had been judged.
    const helo = await runCli(['lint', '--resolver', dns.address, '--timeout', '1000', '', '--source-ip', '127.0.0.10']);
    expect(helo.code, helo.stderr).toBe(2);
    expect(helo.stderr.trim()).toBe('mxprobe lint: <helo-name> is empty');
    expect(helo.stdout).toBe('');
    expect(dns.queries()).toBe(before);
  });

  it('a good fleet file still lints (control)', async () => {
    const f = join(dir, 'ok.txt');
    await writeFile(f, '# relays\r\n127.0.0.10 good.example.test\r\n');
    const r = await lint(f);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/good\.example\.test/);
  });
});
