/**
 * The fleet end to end on loopback, with real parts: a real redis-server, worker processes of
 * the built CLI (two vantages, each binding its own source address), the coordinator as a CLI
 * process, real smtp-server receivers on distinct loopback addresses, and a DNS fixture where
 * relay1's address is forward-confirmed and relay2's PTR does not resolve back.
 * (The namespace suite with Postfix is the place for the real reject_unknown_client_hostname.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { startDnsServer, withPtr, zone, type DnsServerHandle } from '../helpers/dns-zone.js';
import { runCliProcess } from '../helpers/cli.js';
import { bullConnection } from '../../src/fleet/bull.js';
import { queueName } from '../../src/fleet/job.js';
import { overlaps, redisMissing, startReceiver, startRedis, startWorkerProc, type Receiver, type RedisHandle, type WorkerProc } from './harness.js';

const missing = redisMissing();
const CI = process.env['CI'] === 'true';
if (missing && CI) throw new Error(`fleet e2e under CI=true: ${missing}`);

const GOOD = '127.0.0.10';
const BAD = '127.0.0.11';
const RECEIVERS = ['127.0.0.30', '127.0.0.31', '127.0.0.32'];

interface HostRec { type: string; ip: string; port: number; probes: Array<{ vantage?: string; identity: { kind: string }; verdict: { outcome: string; cause: string } }> }

describe.skipIf(missing !== null && !CI)('fleet on real Redis (loopback)', () => {
  let redis: RedisHandle;
  let dns: DnsServerHandle;
  let dir: string;
  const receivers: Receiver[] = [];
  const workers: WorkerProc[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    let z = zone({
      'good.example.test': { A: [GOOD] },
      'bad.example.test': { A: [BAD] },
      'other.example.test': { A: ['127.0.0.99'] },
    });
    z = withPtr(z, GOOD, 'good.example.test');
    z = withPtr(z, BAD, 'other.example.test');
    dns = await startDnsServer(z);
    dir = await mkdtemp(join(tmpdir(), 'mxprobe-fleet-'));
    for (const ip of RECEIVERS) receivers.push(await startReceiver(ip, { refuse: [BAD], delayMs: 50 }));
    const common = ['--queue', redis.url, '--resolver', dns.address, '--heartbeat', '500', '--lock-ms', '3000', '--concurrency', '2'];
    workers.push(await startWorkerProc([...common, '--vantage', 'relay1', '--helo', 'good.example.test', '--source', GOOD]));
    workers.push(await startWorkerProc([...common, '--vantage', 'relay1', '--helo', 'good.example.test', '--source', GOOD]));
    workers.push(await startWorkerProc([...common, '--vantage', 'relay2', '--helo', 'bad.example.test', '--source', BAD]));
  }, 120_000);

  afterAll(async () => {
    for (const w of workers) await w.stop('SIGKILL');
    for (const r of receivers) await r.close();
    await dns?.close();
    await redis?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const targets = () => receivers.map((r) => `${r.host}:${r.port}`);
  const probeArgs = (out: string, extra: string[] = []) => [
    'probe', '--queue', redis.url, '--vantages', 'relay1,relay2', '--format', 'ndjson', '-o', out,
    '--stop-after', 'rcpt', '--rcpt', 'postmaster@example.test', '--host-gap', '300', '--resolver', dns.address, '--quiet', '--wait', '90', ...extra, ...targets(),
  ];

  it('probes every target from both vantages; verdicts differ exactly where the PTR is broken; the report names relay2', async () => {
    const out = join(dir, 'run1.ndjson');
    const r = await runCliProcess(probeArgs(out), { timeoutMs: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const recs = (await readFile(out, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { type: string; options?: { fleet?: unknown } });
    const hosts = recs.filter((x) => x.type === 'host') as unknown as HostRec[];
    expect(hosts).toHaveLength(RECEIVERS.length * 2);
    for (const ip of RECEIVERS) {
      const byV = new Map(hosts.filter((h) => h.ip === ip).map((h) => [h.probes[0]!.vantage, h.probes[0]!.verdict]));
      expect(byV.get('relay1')).toMatchObject({ outcome: 'accepted' });
      expect(byV.get('relay2')).toMatchObject({ outcome: 'rejected' });
      expect(['fcrdns-fail', 'no-ptr']).toContain(byV.get('relay2')!.cause);
    }
    expect(recs.filter((x) => x.type === 'target')).toHaveLength(RECEIVERS.length);
    expect(JSON.stringify(recs[0]!.options?.fleet)).toContain('relay2');
    for (const rc of receivers) {
      // relay1 has two workers and relay2 one: three processes, yet never two sessions at once.
      expect(overlaps(rc.connections)).toEqual([]);
      expect(rc.commands).not.toContain('DATA');
    }

    const rep = await runCliProcess(['fleet', 'report', out]);
    expect(rep.code).toBe(1); // the relays are not treated alike
    expect(rep.stdout).toMatch(/relay2: .*other\.example\.test.*\(fcrdns fail\)/);
    expect(rep.stdout).toMatch(/rejects relay2 .*accepts relay1/);
    expect(rep.stdout).toContain(`${RECEIVERS.length} cell(s) where the relays are treated differently`);
    expect(rep.stdout).toMatch(/relay1: primary 3\/3/);
    expect(rep.stdout).toMatch(/relay2: primary 0\/3/);
  }, 150_000);

  it('the same --run-id again re-uses the finished jobs: same results, no second probe', async () => {
    const first = join(dir, 'rid1.ndjson');
    const second = join(dir, 'rid2.ndjson');
    const r1 = await runCliProcess(probeArgs(first, ['--run-id', 'fixed-1']), { timeoutMs: 120_000 });
    expect(r1.code, r1.stderr).toBe(0);
    const conns = receivers.map((r) => r.connections.length);
    const r2 = await runCliProcess(probeArgs(second, ['--run-id', 'fixed-1']), { timeoutMs: 120_000 });
    expect(r2.code, r2.stderr).toBe(0);
    expect(receivers.map((r) => r.connections.length)).toEqual(conns);
    const hostsOf = async (f: string) => (await readFile(f, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as HostRec).filter((x) => x.type === 'host').map((h) => `${h.ip} ${h.probes[0]!.vantage} ${h.probes[0]!.verdict.outcome}`).sort();
    expect(await hostsOf(second)).toEqual(await hostsOf(first));
    expect(await hostsOf(second)).toHaveLength(RECEIVERS.length * 2);
    // The table of a run with more than one vantage ends with the relay-consistency report.
    const table = await runCliProcess(['probe', '--queue', redis.url, '--vantages', 'relay1,relay2', '--run-id', 'fixed-1', '--stop-after', 'rcpt', '--rcpt', 'postmaster@example.test', '--host-gap', '300', '--resolver', dns.address, '--quiet', ...targets()], { timeoutMs: 120_000 });
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toContain('Relay consistency: 2 vantage(s): relay1, relay2');
    expect(table.stdout).toMatch(/!! primary +relay1=accepted 250 +relay2=rejected 550/);
    expect(receivers.map((r) => r.connections.length)).toEqual(conns);
  }, 240_000);

  it('reports a vantage without a live worker at once, and exits 1', async () => {
    const out = join(dir, 'ghost.ndjson');
    const r = await runCliProcess(['probe', '--queue', redis.url, '--vantages', 'relay1,ghost', '--format', 'ndjson', '-o', out, '--rcpt', 'postmaster@example.test', '--stop-after', 'rcpt', '--resolver', dns.address, '--wait', '60', targets()[0]!], { timeoutMs: 90_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no live worker for: ghost/);
    expect(r.stderr).toMatch(/ghost 127\.0\.0\.30:\d+: no live worker/);
  }, 120_000);

  it('a wrong Redis URL or password is a usage error before anything is written', async () => {
    const out = join(dir, 'never.ndjson');
    const bad = await runCliProcess(['probe', '--queue', 'redis://127.0.0.1:1', '--format', 'ndjson', '-o', out, '127.0.0.1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--queue: cannot use Redis at redis:\/\/127\.0\.0\.1:1/);
    await expect(readFile(out, 'utf8')).rejects.toThrow(/ENOENT/);
    const pw = await startRedis({ password: 's3cret' });
    try {
      const wrong = await runCliProcess(['probe', '--queue', `redis://:nope@127.0.0.1:${pw.port}`, '-o', out, '127.0.0.1']);
      expect(wrong.code).toBe(2);
      expect(wrong.stderr).toMatch(/authentication|WRONGPASS|invalid password/i);
      expect(wrong.stderr).not.toContain('nope');
      const none = await runCliProcess(['probe', '--queue', `redis://127.0.0.1:${pw.port}`, '-o', out, '127.0.0.1']);
      expect(none.code).toBe(2);
      expect(none.stderr).toMatch(/requires authentication/);
      const w = await runCliProcess(['worker', '--queue', `redis://:nope@127.0.0.1:${pw.port}`, '--vantage', 'x']);
      expect(w.code).toBe(2);
    } finally {
      await pw.stop();
    }
    const url = await runCliProcess(['probe', '--queue', 'http://x', '127.0.0.1']);
    expect(url.code).toBe(2);
  }, 60_000);

  it('a malformed result from a rogue worker is reported missing, never rendered', async () => {
    // A rogue "worker": a BullMQ Worker on the vantage's queue plus a heartbeat, returning junk.
    const conn = bullConnection({ url: redis.url });
    const hb = new Redis(redis.url);
    await hb.set('mxprobe:hb:rogue:1', JSON.stringify({ vantage: 'rogue', worker: '1', helo: 'x', sources: [null], lint: [] }), 'PX', 60_000);
    const rogue = new Worker(queueName('rogue'), async (job) => ({ vantage: 'rogue', worker: '1', target: { input: (job.data as { target: { input: string } }).target.input, hosts: [{ ip: 1, probes: 'x' }] } }), { connection: conn });
    try {
      const out = join(dir, 'rogue.ndjson');
      const r = await runCliProcess(['probe', '--queue', redis.url, '--vantages', 'rogue', '--format', 'ndjson', '-o', out, '--wait', '60', targets()[0]!], { timeoutMs: 90_000 });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/rogue 127\.0\.0\.30:\d+: the worker returned a malformed result: hosts\[0\]/);
      expect(await readFile(out, 'utf8')).not.toContain('"type":"host"');
    } finally {
      await rogue.close();
      await hb.del('mxprobe:hb:rogue:1');
      hb.disconnect();
      conn.disconnect();
    }
  }, 120_000);

  it('a malicious job put straight into Redis makes the worker send nothing', async () => {
    const q = new Queue(queueName('relay1'), { connection: bullConnection({ url: redis.url }) });
    const before = receivers.map((r) => r.connections.length);
    const evil = [
      { v: 1, run: 'evil', vantage: 'relay1', target: { input: `${RECEIVERS[0]}:${receivers[0]!.port}\r\nDATA`, origin: 'x' }, options: {} },
      { v: 1, run: 'evil', vantage: 'relay1', target: { input: `${RECEIVERS[0]}:${receivers[0]!.port}`, origin: 'x' }, options: { stopAfter: 'data' } },
    ];
    const jobs = await Promise.all(evil.map((data, i) => q.add('probe', data, { jobId: `evil.${i}`, attempts: 3 })));
    for (const j of jobs) {
      for (let i = 0; i < 100 && (await j.getState()) !== 'failed'; i++) await new Promise((r) => setTimeout(r, 100));
      expect(await j.getState()).toBe('failed');
      const again = await q.getJob(j.id!);
      expect(again?.failedReason).toMatch(/invalid job/);
      expect(again?.attemptsMade).toBe(1); // unrecoverable: not retried
    }
    expect(receivers.map((r) => r.connections.length)).toEqual(before);
    await q.close();
  }, 60_000);
});
