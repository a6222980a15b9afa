/**
 * Redis gone for good (stopped, never restarted) on real parts: the coordinator's `--wait` still
 * bounds the run, and a worker still ends on SIGTERM. BullMQ's commands and close() wait for Redis
 * to come back; before the bounds, a coordinator with `--wait 6` ran for over ten minutes (only a
 * second SIGINT ended it, with no summary written) and a worker ignored SIGTERM until killed.
 * The restart case (Redis back after a short outage) is fleet-faults.e2e.test.ts's.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { startDnsServer, withPtr, zone, type DnsServerHandle } from '../helpers/dns-zone.js';
import { BIN, ROOT } from '../helpers/cli.js';
import { redisMissing, startReceiver, startRedis, startWorkerProc, type Receiver, type RedisHandle, type WorkerProc } from './harness.js';

const missing = redisMissing();
const CI = process.env['CI'] === 'true';
if (missing && CI) throw new Error(`fleet redis-gone under CI=true: ${missing}`);

const GOOD = '127.0.0.10';

/** Lines of a log that occur more than once (a timestamp prefix, if any, left out). */
function repeated(log: string): string[] {
  const seen = new Map<string, number>();
  for (const l of log.split('\n')) {
    const k = l.replace(/^\S*\d{2}:\d{2}:\d{2}\S*\s+/, '');
    if (k.trim() !== '') seen.set(k, (seen.get(k) ?? 0) + 1);
  }
  return [...seen].filter(([, n]) => n > 1).map(([k, n]) => `${n}x ${k}`);
}

async function until(cond: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(missing !== null && !CI)('Redis stopped for good mid-run (loopback)', () => {
  let redis: RedisHandle;
  let dns: DnsServerHandle;
  let dir: string;
  let receiver: Receiver;
  let workers: WorkerProc[] = [];

  beforeEach(async () => {
    redis = await startRedis();
    dns = await startDnsServer(withPtr(zone({ 'good.example.test': { A: [GOOD] } }), GOOD, 'good.example.test'));
    dir = await mkdtemp(join(tmpdir(), 'mxprobe-fleet-gone-'));
    // A banner that takes 30 s: the job is still in flight when Redis goes away.
    receiver = await startReceiver('127.0.0.47', { delayMs: 30_000 });
    workers = [];
  }, 60_000);

  afterEach(async () => {
    for (const w of workers) await w.stop('SIGKILL');
    await receiver?.close();
    await dns?.close();
    await redis?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const workerArgs = () => ['--queue', redis.url, '--resolver', dns.address, '--heartbeat', '500', '--lock-ms', '2000', '--concurrency', '1', '--vantage', 'relay1', '--helo', 'good.example.test', '--source', GOOD];

  it('the coordinator ends after --wait with the target named missing (exit 1), its NDJSON closed by a summary', async () => {
    const w = await startWorkerProc(workerArgs());
    workers.push(w);
    const out = join(dir, 'gone.ndjson');
    const started = Date.now();
    // Not --quiet: the fleet's log lines (the Redis errors among them) are what is counted below.
    const child = spawn(process.execPath, [BIN, 'probe', '--queue', redis.url, '--vantages', 'relay1', '--format', 'ndjson', '-o', out, '--wait', '6', '--stop-after', 'ehlo', '--deadline', '40000', '--timeout', '35000', '--resolver', dns.address, `${receiver.host}:${receiver.port}`], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.resume();
    // Killed by the test if it outlives --wait by far (it used to run until a second signal).
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await until(() => / start \S+/.test(w.log()), 30_000);
    await redis.stop();
    const code = await done;
    clearTimeout(killer);
    const elapsed = Date.now() - started;
    expect(code, stderr.slice(-2000)).toBe(1);
    // --wait 6, then at most 10 s of take-back and 2 x 5 s of closing: well under the 60 s kill.
    expect(elapsed).toBeLessThan(45_000);
    expect(stderr).toMatch(new RegExp(`missing:\\s+relay1 ${receiver.host}:${receiver.port}: not finished before --wait \\(6 s\\)`));
    const lines = (await readFile(out, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { type: string });
    expect(lines[0]?.type).toBe('run');
    expect(lines.at(-1)?.type).toBe('summary');
    // Redis was down for the last ~25 s of the run: ioredis reported every reconnect attempt of the
    // queue and events connections (~2 lines a second, qa10). Each error line now comes once, and
    // again only a minute later with a count.
    expect(stderr).toMatch(/fleet: (queue|events) relay1: .*ECONNREFUSED/);
    expect(repeated(stderr)).toEqual([]);
    expect(repeated(w.log())).toEqual([]);
  }, 90_000);

  it('a worker with no job in flight ends on SIGTERM, exit 0, although Redis is gone', async () => {
    const w = await startWorkerProc(workerArgs());
    workers.push(w);
    await redis.stop();
    // Let it notice: its heartbeat and BullMQ's blocking read now fail and retry.
    await until(() => /ECONNREFUSED|heartbeat failed/.test(w.log()), 20_000);
    // Five seconds more of outage: ten failed heartbeats (every 500 ms), two or three queue errors.
    await new Promise((r) => setTimeout(r, 5000));
    const started = Date.now();
    const killer = setTimeout(() => w.child.kill('SIGKILL'), 40_000);
    const code = await w.stop('SIGTERM');
    clearTimeout(killer);
    expect(code, w.log().slice(-2000)).toBe(0);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(w.log()).toMatch(/stopped \(0 completed, 0 failed\)/);
    // Said once each (quiet-log.ts); the count of the held-back ones comes when the worker stops.
    // Before: one line per failed beat, ten or more here.
    expect(w.log().match(/heartbeat failed/g)?.length ?? 0).toBeLessThanOrEqual(4);
    expect(w.log()).toMatch(/heartbeat failed \(Redis unreachable\?\): .* \(repeated \d+ times in the last minute\)/);
    expect(repeated(w.log())).toEqual([]);
  }, 90_000);
});
