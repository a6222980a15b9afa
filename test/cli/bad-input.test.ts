/**
 * Bad input to `mxprobe probe`, end to end through the built CLI (bin/mxprobe.js → dist/): every
 * problem is a usage error (exit 2) reported before any connection, proven with a server that
 * counts connections; IDN goes on the wire as punycode and is shown in Unicode.
 */
import { mkdtemp, rm, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cliBuilt, runCli, smtpScript, startHostile, type HostileServer } from '../helpers/hostile.js';
import { startDnsServer, zone, type DnsServerHandle } from '../helpers/dns-zone.js';
import { PassThrough } from 'node:stream';
import { Command } from 'commander';
import type { CliContext } from '../../src/cli/context.js';
import { registerProbe } from '../../src/cli/probe.js';
import type { RunResult } from '../../src/results.js';

let server: HostileServer;
let dns: DnsServerHandle;
let dir: string;
const IDN_IP = '127.0.0.21';
let idnServer: HostileServer;

beforeAll(async () => {
  if (!cliBuilt()) throw new Error('dist/ is missing: run `npm run build` first');
  server = await startHostile(smtpScript({}));
  idnServer = await startHostile(smtpScript({}), IDN_IP);
  dns = await startDnsServer(
    zone(
      {
        'xn--bcher-kva.example': { MX: [{ exchange: 'mx.xn--bcher-kva.example', priority: 10 }] },
        'mx.xn--bcher-kva.example': { A: [IDN_IP] },
      },
      { drop: ['slow.example'], servfail: ['broken.example'] },
    ),
    { host: '127.0.0.1', port: 0 },
  );
  dir = await mkdtemp(join(tmpdir(), 'mxprobe-bad-input-'));
});
afterAll(async () => {
  await Promise.all([server.close(), idnServer.close(), dns.close()]);
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => dns.resetLog());

/** `mxprobe probe` in-process (for what argv cannot carry): exit code 2 when it throws a usage error. */
async function runInProcess(args: string[]): Promise<{ code: number; stderr: string }> {
  let code = 0;
  const sink = new PassThrough();
  sink.resume();
  const ctx: CliContext = {
    stdout: sink, stderr: sink, stdin: new PassThrough(), stderrIsTty: false, env: {}, cwd: dir,
    setExitCode: (c) => void (code = c), signal: new AbortController().signal,
  };
  const program = new Command().exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} });
  registerProbe(program, ctx);
  for (const sub of program.commands) sub.exitOverride();
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (err) {
    const c = (err as { code?: string }).code;
    return { code: c === 'E_COMMAND_UNSAFE' || c === 'E_USAGE' ? 2 : 1, stderr: String(err) };
  }
  return { code, stderr: '' };
}

/** Fast, quiet, loopback-only flags: the fixture resolver is always given, never the system's. */
const base = () => ['probe', '--resolver', dns.address, '--helo', 'probe.example.org', '--timeout', '1000', '--deadline', '3000', '--host-gap', '0', '--no-alignment', '-q'];
const good = () => `${server.host}:${server.port}`;

describe('invalid target lines', () => {
  it('exit 2, stderr lists every bad line as file:line: reason, and no probe starts', async () => {
    const file = join(dir, 'mixed.txt');
    await writeFile(
      file,
      [
        '# a comment',
        good(),
        '999.1.1.1',
        '2001:db8::1:25',
        '127.0.0.1:70000',
        '127.0.0.1:0',
        '[192.0.2.1]',
        '01.2.3.4',
        'two words',
        '',
        'host:port:junk',
      ].join('\n'),
    );
    const before = server.connections();
    const r = await runCli([...base(), '-f', file]);
    expect(r.code).toBe(2);
    const expected: Array<[number, RegExp]> = [
      [3, /invalid IPv4 address "999\.1\.1\.1"/],
      [4, /ambiguous IPv6 address "2001:db8::1:25": write \[2001:db8::1\]:25/],
      [5, /invalid port "70000"/],
      [6, /invalid port "0"/],
      [7, /brackets are only for IPv6/],
      [8, /leading zeros/],
      [9, /whitespace/],
      [11, /more than one ':'/],
    ];
    for (const [line, why] of expected) {
      const row = r.stderr.split('\n').find((l) => l.includes(`${file}:${line}: `));
      expect(row, `line ${line} in:\n${r.stderr}`).toMatch(why);
    }
    // The good line and the comment are not reported.
    expect(r.stderr).not.toContain(`${file}:1:`);
    expect(r.stderr).not.toContain(`${file}:2:`);
    expect(r.stdout).toBe('');
    expect(server.connections()).toBe(before);
  });

  it('--skip-invalid probes the valid lines and still lists the invalid ones', async () => {
    const file = join(dir, 'skip.txt');
    await writeFile(file, `${good()}\nnot a target\n`);
    const before = server.connections();
    const r = await runCli([...base(), '-f', file, '--skip-invalid', '--format', 'json']);
    expect(r.stderr).toContain(`${file}:2: unexpected whitespace`);
    expect(r.code).toBe(0);
    expect(server.connections()).toBe(before + 1);
    const run = JSON.parse(r.stdout) as RunResult;
    expect(run.targets.map((t) => t.input)).toEqual([good()]);
  });

  it('invalid targets on the command line: IPv6 with a port but no brackets, bad IPs, bad ports', async () => {
    const before = server.connections();
    for (const bad of ['2001:db8::1:25', '::1:2525:x', '256.0.0.1', '1.2.3', `${server.host}:65536`, `${server.host}:-1`, `${server.host}:`]) {
      const r = await runCli([...base(), good(), bad]);
      expect(r.code, `${bad}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/argv:2: /);
    }
    expect(server.connections()).toBe(before);
  });

  it('invalid --port values are usage errors before any connection', async () => {
    const before = server.connections();
    for (const p of ['0', '65536', 'abc', '25x', '-1']) {
      const r = await runCli([...base(), '--port', p, server.host]);
      expect(r.code, `--port ${p}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/--port/);
    }
    expect(server.connections()).toBe(before);
  });

  it('empty input: no arguments, an empty file, a comments-only file, empty stdin → exit 2', async () => {
    const empty = join(dir, 'empty.txt');
    await writeFile(empty, '');
    const comments = join(dir, 'comments.txt');
    await writeFile(comments, '# nothing\n\n   \n# here\n');
    for (const args of [[], ['-f', empty], ['-f', comments], ['-']]) {
      const r = await runCli([...base(), ...args], { stdin: '' });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/no targets/);
    }
  });

  it('an unreadable targets file (missing, a directory, no permission) → exit 2 naming the file', async () => {
    const locked = join(dir, 'locked.txt');
    await writeFile(locked, `${good()}\n`);
    await chmod(locked, 0o000);
    const cases = [join(dir, 'missing.txt'), dir];
    // root reads a 0000 file anyway; only check permissions when they apply.
    if (process.getuid?.() !== 0) cases.push(locked);
    const before = server.connections();
    for (const f of cases) {
      const r = await runCli([...base(), '-f', f, good()]);
      expect(r.code, f).toBe(2);
      expect(r.stderr).toContain(`${f}: cannot read targets file`);
    }
    expect(server.connections()).toBe(before);
  });

  it('duplicate targets are probed once and reported on stderr', async () => {
    const file = join(dir, 'dups.txt');
    await writeFile(file, `${good()}\n${good()}\n`);
    const before = server.connections();
    const r = await runCli(['probe', '--resolver', dns.address, '--helo', 'probe.example.org', '--host-gap', '0', '--no-alignment', '--format', 'json', '-f', file, good()]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/2 duplicate target\(s\) ignored/);
    expect(server.connections()).toBe(before + 1);
    expect((JSON.parse(r.stdout) as RunResult).targets).toHaveLength(1);
  });
});

describe('CR, LF and NUL in anything that goes on the wire', () => {
  const flags = ['--helo', '--mail-from', '--rcpt', '--identity'] as const;
  const value = (flag: string, bad: string) => (flag === '--helo' || flag === '--identity' ? `probe${bad}evil.example` : `a${bad}RCPT TO:<x@example.org>`);

  for (const flag of flags) {
    for (const [name, bad] of [['CR', '\r'], ['LF', '\n'], ['CRLF', '\r\n']] as const) {
      it(`${name} in ${flag} → exit 2 before any connection (CLI)`, async () => {
        const before = server.connections();
        const args = [...base().filter((a, i, all) => !(flag === '--helo' && (a === '--helo' || all[i - 1] === '--helo'))), flag, value(flag, bad), good()];
        const r = await runCli(args);
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr).toContain(flag);
        expect(server.connections()).toBe(before);
      });
    }
    // argv cannot carry NUL (C strings), so NUL goes through the same command in-process.
    it(`NUL in ${flag} → usage error before any connection (in-process)`, async () => {
      const before = server.connections();
      const r = await runInProcess([...base(), flag, value(flag, '\0'), good()]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/NUL/);
      expect(server.connections()).toBe(before);
    });
  }
});

describe('IDN and DNS failures', () => {
  it('an IDN domain is queried and sent as punycode, and shown in Unicode in the table', async () => {
    const before = idnServer.connections();
    const r = await runCli([...base(), '--port', String(idnServer.port), '--stop-after', 'rcpt', '--no-starttls', 'bücher.example']);
    expect(r.code, r.stderr).toBe(0);
    expect(dns.queryLog()).toContainEqual({ name: 'xn--bcher-kva.example', type: 'MX' });
    expect(dns.queryLog().some((q) => /[^\x00-\x7f]/.test(q.name))).toBe(false);
    expect(idnServer.connections()).toBe(before + 1);
    // RCPT defaults to postmaster@<target domain>: the A-label goes on the wire.
    expect(idnServer.commands[before]).toContain('RCPT TO:<postmaster@xn--bcher-kva.example>');
    expect(r.stdout).toContain('bücher.example');
  });

  it('the JSON keeps the A-label as domain and the U-label as displayDomain', async () => {
    const r = await runCli([...base(), '--port', String(idnServer.port), '--format', 'json', 'BÜCHER.example.']);
    const t = (JSON.parse(r.stdout) as RunResult).targets[0];
    expect(t?.domain).toBe('xn--bcher-kva.example');
    expect(t?.displayDomain).toBe('bücher.example');
  });

  it('DNS that never answers → target dns status timeout, exit 1, other targets still probed', async () => {
    const before = server.connections();
    const r = await runCli([...base(), '--dns-timeout', '300', '--format', 'json', 'slow.example', good()]);
    expect(r.code).toBe(1);
    const run = JSON.parse(r.stdout) as RunResult;
    const byInput = new Map(run.targets.map((t) => [t.input, t]));
    expect(byInput.get('slow.example')?.dns.status).toBe('timeout');
    expect(byInput.get(good())?.hosts[0]?.probes[0]?.status).toBe('success');
    expect(server.connections()).toBe(before + 1);
  });

  it('DNS that answers SERVFAIL → target dns status servfail, exit 1', async () => {
    const r = await runCli([...base(), '--format', 'json', 'broken.example']);
    expect(r.code).toBe(1);
    const run = JSON.parse(r.stdout) as RunResult;
    expect(run.targets[0]?.dns.status).toBe('servfail');
    expect(run.targets[0]?.hosts).toEqual([]);
  });
});
