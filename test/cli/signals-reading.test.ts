/**
 * A signal while the targets are still being read (a FIFO or a pipe whose writer stays open: a
 * slow producer, `tail -f`): the run has probed nothing yet and must end at once with 130, as
 * README "Exit codes" promises for SIGINT/SIGTERM. It used to print "finishing open sessions…"
 * and then keep waiting for the input to end, and finally exit 2 ("no targets found").
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { closeSync, openSync, writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBuilt, startCli } from '../helpers/hostile.js';
import { startDnsServer, zone, type DnsServerHandle } from '../helpers/dns-zone.js';
import { validateTargets } from '../../src/targets/read.js';
import { PassThrough } from 'node:stream';

let dns: DnsServerHandle;
let dir: string;

beforeAll(async () => {
  if (!cliBuilt()) throw new Error('dist/ is missing: run `npm run build` first');
  dns = await startDnsServer(zone({}), { host: '127.0.0.1', port: 0 });
  dir = await mkdtemp(join(tmpdir(), 'mxprobe-signals-reading-'));
});
afterAll(async () => {
  await dns.close();
  await rm(dir, { recursive: true, force: true });
});

describe('a signal while the targets are being read', () => {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    it(`${sig} while a FIFO targets file is still open: exit 130 within 3 s, nothing probed`, async () => {
      const fifo = join(dir, `targets-${sig}.fifo`);
      execFileSync('mkfifo', [fifo]);
      // O_RDWR on a FIFO does not block and holds a writer open, so the reader never sees EOF.
      const fd = openSync(fifo, 'r+');
      try {
        writeSync(fd, '127.0.0.1:1\n');
        const cli = startCli(['probe', '--resolver', dns.address, '--helo', 'probe.example.org', '-q', '--format', 'json', '-f', fifo], { timeoutMs: 30_000 });
        await new Promise((r) => setTimeout(r, 1500));
        const t0 = Date.now();
        cli.child.kill(sig);
        const r = await cli.done;
        expect(r.code).toBe(130);
        expect(Date.now() - t0).toBeLessThan(3000);
        expect(r.stderr).toMatch(/interrupted while reading the targets/);
      } finally {
        closeSync(fd);
      }
    });
  }

  it('validateTargets stops with an E_INTERRUPTED error when its signal aborts (stdin that never ends)', async () => {
    const stdin = new PassThrough();
    stdin.write('a.example\n');
    const ac = new AbortController();
    const pending = validateTargets({ args: [], files: ['-'], stdin }, { signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    await expect(pending).rejects.toMatchObject({ code: 'E_INTERRUPTED' });
  });
});

/**
 * Only `probe`, `demo`, `deliver` and `worker` have open sessions to finish on a signal. Every
 * other command (classify, inspect, logs, lint --fleet, …) kept running after the first Ctrl-C,
 * printing "finishing open sessions and writing results…", until a second signal or the input's
 * end: the first SIGINT/SIGTERM now ends them at once with 130.
 */
describe('a signal to a command with no sessions to finish', () => {
  const cases: Array<{ name: string; args: (fifo: string) => string[] }> = [
    { name: 'classify - (stdin a FIFO)', args: () => [] },
    { name: 'inspect FIFO', args: (fifo) => ['inspect', fifo] },
    { name: 'logs - (stdin a FIFO)', args: () => [] },
    { name: 'lint --fleet FIFO', args: (fifo) => ['lint', '--resolver', dns.address, '--fleet', fifo] },
  ];
  for (const c of cases) {
    it(`${c.name}: the first SIGINT exits 130 within 3 s`, async () => {
      const fifo = join(dir, `${c.name.replace(/\W+/g, '-')}.fifo`);
      execFileSync('mkfifo', [fifo]);
      const fd = openSync(fifo, 'r+');
      try {
        // classify reads "-" (stdin), and startCli ends the child's stdin: a shell gives it the FIFO
        // instead; `exec` makes the shell the CLI itself, so the signal reaches it.
        const viaStdin = /^(classify|logs) -/.exec(c.name)?.[1];
        const args = viaStdin !== undefined ? ['-c', `exec "${process.execPath}" "${BIN}" ${viaStdin} - < "${fifo}"`] : null;
        const cli = args === null ? startCli(c.args(fifo), { timeoutMs: 30_000 }) : startShell(args);
        await new Promise((r) => setTimeout(r, 1500));
        const t0 = Date.now();
        cli.child.kill('SIGINT');
        const r = await cli.done;
        expect(r.code).toBe(130);
        expect(Date.now() - t0).toBeLessThan(3000);
        expect(r.stderr).not.toMatch(/finishing open sessions/);
      } finally {
        closeSync(fd);
      }
    });
  }
});

const BIN = join(fileURLToPath(new URL('../../bin/mxprobe.js', import.meta.url)));

function startShell(args: string[]): { child: ChildProcess; done: Promise<{ code: number | null; stderr: string }> } {
  const child = spawn('/bin/sh', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout!.resume();
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) => {
    child.once('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stderr: err });
    });
  });
  return { child, done };
}
