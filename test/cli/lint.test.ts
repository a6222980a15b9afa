/** `mxprobe lint` through a commander program with a stream-backed CliContext and the real DNS fixture. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerLint } from '../../src/cli/lint.js';
import type { CliContext } from '../../src/cli/context.js';
import { startDnsServer, withPtr, zone, type DnsServerHandle } from '../helpers/dns-zone.js';

let server: DnsServerHandle;
let dir: string;

beforeAll(async () => {
  let z = zone({ 'good.example.test': { A: ['127.0.0.10'], TXT: ['v=spf1 a -all'] } });
  z = withPtr(z, '127.0.0.10', 'good.example.test');
  server = await startDnsServer(z, { host: '127.0.0.1', port: 0 });
  dir = await mkdtemp(join(tmpdir(), 'mxprobe-lint-'));
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  let code = 0;
  const ctx: CliContext = {
    stdout, stderr, stdin: new PassThrough(), stderrIsTty: false, env: {}, cwd: dir,
    setExitCode: (c) => { code = c; }, signal: new AbortController().signal,
  };
  const program = new Command().exitOverride().configureOutput({ writeOut: (s) => void stdout.write(s), writeErr: (s) => void stderr.write(s) });
  registerLint(program, ctx);
  try {
    await program.parseAsync(['lint', ...args], { from: 'user' });
  } catch {
    code = code || 2;
  }
  return { code, out, err };
}

describe('mxprobe lint', () => {
  it('prints JSON with the documented top-level keys and exits 0 when aligned', async () => {
    const r = await run(['good.example.test', '--source-ip', '127.0.0.10', '--resolver', server.address, '--format', 'json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as Record<string, unknown>;
    expect(Object.keys(j)).toEqual(['helo', 'sourceIp', 'checks', 'predictions', 'fix', 'result', 'unjudged']);
    expect(j['result']).toBe('ok');
    expect(j['helo']).toBe('good.example.test');
    const checks = j['checks'] as Array<{ id: string; status: string; detail: string }>;
    expect(checks.find((c) => c.id === 'fcrdns')?.status).toBe('pass');
  });

  it('exits 3 when a check fails and ends the table with the fix', async () => {
    const r = await run(['good.example.test', '--source-ip', '127.0.0.99', '--resolver', server.address, '--timeout', '1000']);
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/ptr-exists\s+FAIL\s+127\.0\.0\.99 has no PTR record/);
    const fix = r.out.slice(r.out.lastIndexOf('\nFix:'));
    expect(fix).toContain('Exim smtp transport:  helo_data = good.example.test');
    expect(fix).toMatch(/Microsoft Exchange: +Set-SendConnector .*-Fqdn good\.example\.test/);
    expect(fix).toMatch(/PowerMTA: +smtp-source-host 127\.0\.0\.99 good\.example\.test/);
    expect(r.out).toContain('99.0.0.127.in-addr.arpa. IN PTR good.example.test.');
  });

  it.each([
    [['good.example.test', '--source-ip', '999.1.1.1'], /--source-ip: "999.1.1.1" is not an IPv4 or IPv6 address/],
    [['bad\r\nname.example'], /CR, LF or NUL/],
    [['good.example.test', '--format', 'xml'], /--format/],
    [['good.example.test', '--timeout', 'soon'], /--timeout/],
    [['good.example.test', '--dns-timeout', 'soon'], /--dns-timeout: "soon" is not a number of milliseconds/],
    [['good.example.test', '--dns-timeout', '0'], /--dns-timeout: "0"/],
    [['good.example.test', '--dns-timeout', '1000', '--timeout', '2000'], /--dns-timeout and --timeout \(its old name\) disagree/],
    [[], /missing <helo-name>/],
    [['good.example.test', '--resolver', '::1:53'], /^mxprobe lint: --resolver "::1:53" is ambiguous: write \[::1\]:53 for port 53/],
  ])('usage error %j exits 2', async (args, msg) => {
    const r = await run([...args, '--resolver', server.address]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(msg);
    expect(r.out).toBe('');
  });

  it('lints a fleet file', async () => {
    await writeFile(join(dir, 'fleet.txt'), '# ip name\n127.0.0.10 good.example.test\n127.0.0.10 [127.0.0.10]\n');
    const r = await run(['--fleet', 'fleet.txt', '--resolver', server.address]);
    expect(r.code).toBe(3);
    expect(r.out).toContain('fleet.txt:2  127.0.0.10  good.example.test  ok');
    expect(r.out).toMatch(/same-ip-different-names: 127\.0\.0\.10 announces good\.example\.test, \[127\.0\.0\.10\]/);
    const missing = await run(['--fleet', 'nope.txt', '--resolver', server.address]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/cannot read nope\.txt/);
  });
});
