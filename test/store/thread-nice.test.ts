/**
 * The store writer thread yields to the prober (sink-worker.ts lowerPriority): it raises its own
 * nice value to 10, and never lowers one that is already higher. Under `nice -n 15` as root the
 * thread used to go to 10 (root may lower a nice value, setpriority(2)), running ahead of the
 * prober it is meant to yield to. Linux only: the nice value of each thread is read from
 * /proc/PID/task/TID/stat (proc(5), field 19).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startResponder } from '../../src/lab/smtp-responder.js';
import { BIN, ROOT } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'mxprobe-thread-nice-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The nice value of each thread of `pid` (proc(5): field 19, counted after the ")" that ends comm). */
function threadNices(pid: number): number[] {
  const out: number[] = [];
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields[0] is field 3 (state), so field 19 (nice) is fields[16].
      out.push(Number(fields[16]));
    } catch {
      // The thread ended between readdir and read.
    }
  }
  return out;
}

const linux = existsSync('/proc/thread-self');

describe.skipIf(!linux)('store writer thread priority', () => {
  // [nice the process starts at, what the writer thread must have]
  it.each([
    [0, 10],
    [15, 15],
  ])('started at nice %i: the writer thread runs at nice %i, no thread below the process', async (start, want) => {
    const policy = { hostname: 'mx.nice.test', banner: () => ({ code: 220, lines: ['mx.nice.test ESMTP'], delayMs: 1500 }) };
    const rcv = await startResponder(policy, { host: '127.0.0.1' });
    const db = join(dir, `nice-${start}.db`);
    try {
      const child = spawn('nice', ['-n', String(start), process.execPath, BIN, 'probe', `${rcv.host}:${rcv.port}`, '--helo', 'probe.example.test', '--host-gap', '0', '--no-alignment', '--quiet', '--format', 'json', '-o', join(dir, `nice-${start}.json`), '--store', db], {
        cwd: ROOT,
        env: { ...process.env, MXPROBE_STORE_WORKER: '1' },
      });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const exited = new Promise<number | null>((r) => child.on('close', (c) => r(c)));
      // The writer thread is started (and has set its priority) before the first connection.
      for (let i = 0; i < 300 && rcv.connections() === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(rcv.connections(), stderr).toBeGreaterThan(0);
      const nices = threadNices(child.pid!);
      const code = await exited;
      expect(code, stderr).toBe(0);
      // The main thread keeps the process's value; exactly the writer thread differs when it must.
      expect(Math.min(...nices)).toBe(start);
      expect(nices).toContain(want);
      if (want !== start) expect(nices.filter((n) => n === want)).toHaveLength(1);
    } finally {
      await rcv.close();
    }
  }, 60_000);
});
