/**
 * Fleet benchmark (part of `npm run bench`, or alone: `node bench/fleet.mjs` after a build):
 * 1, 2 and 4 worker processes (`mxprobe worker`, one vantage) against the loopback farm, every
 * target a distinct farm IP, driven by the coordinator (`mxprobe probe --queue`), side by side with
 * the local engine (`mxprobe probe`, same sessions at once per process). All whole processes.
 *
 *  1. a real redis-server on 127.0.0.1 (no persistence), a DNS fixture on 127.0.0.1 for the
 *     workers' start-up lint (nothing may ask a resolver outside loopback), the farm (bench/farm.mjs);
 *  2. the local run: wall, CPU, peak RSS;
 *  3. per worker count W: start W workers, wait for W heartbeats, run the coordinator under
 *     /usr/bin/time; CPU of the workers (/proc/<pid>/stat), of redis-server (INFO cpu) and of the
 *     coordinator; throughput = sessions / wall;
 *  4. Redis overhead per job = (fleet CPU, all processes, W=1) − (local CPU), per job; and redis's
 *     own CPU per job;
 *  5. optional (BENCH_FLEET_BIG=1): the coordinator's peak RSS on 100k jobs (4 workers, banner).
 * Environment: BENCH_FLEET_TARGETS (2000), BENCH_LATENCY_MS (50), BENCH_FLEET_C (50 per worker).
 */
import { fork, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { addressAt } from './addresses.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const CLI = join(root, 'bin', 'mxprobe.js');
const N = Number(process.env.BENCH_FLEET_TARGETS ?? 2000);
const L = Number(process.env.BENCH_LATENCY_MS ?? 50);
const C = Number(process.env.BENCH_FLEET_C ?? 50);
const BIG = process.env.BENCH_FLEET_BIG === '1';
const TICK = 100; // clock ticks per second (/proc/<pid>/stat utime/stime)

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const round = (x, d = 1) => (x === null || !Number.isFinite(x) ? null : Math.round(x * 10 ** d) / 10 ** d);

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

function forkFarm(config) {
  return new Promise((resolve, reject) => {
    const child = fork(join(here, 'farm.mjs'), [JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const pending = new Map();
    let seq = 0;
    const timer = setTimeout(() => (child.kill(), reject(new Error('farm did not start'))), 60_000);
    child.on('message', (m) => {
      if (m.type === 'ready') {
        clearTimeout(timer);
        resolve({
          port: m.port,
          request: (msg) => new Promise((res) => (pending.set(++seq, res), child.send({ ...msg, id: seq }))),
          close: () => new Promise((res) => (child.exitCode !== null ? res() : (child.once('exit', () => res()), child.send({ type: 'close' })))),
        });
      } else if (m.type === 'error') reject(new Error(`farm: ${m.message}`));
      else if (m.id !== undefined) (pending.get(m.id)?.(m), pending.delete(m.id));
    });
  });
}

async function startFarm(count, latencyMs) {
  const shards = [];
  let port = 0;
  for (let offset = 0; offset < count; offset += 15_000) {
    const s = await forkFarm({ offset, count: Math.min(15_000, count - offset), port, latencyMs, tls: false });
    port = s.port;
    shards.push(s);
  }
  return { port, close: () => Promise.all(shards.map((s) => s.close())) };
}

function procCpuS(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / TICK;
  } catch {
    return null;
  }
}

/** A command under GNU time: wall, user+sys CPU and peak RSS of that process tree's leader. */
function timed(args, timeoutMs = 1_800_000) {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const child = spawn('/usr/bin/time', ['-f', 'TIME %e %U %S %M', process.execPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.stdout.resume();
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const m = /TIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(err);
      resolve({ code, wallMs: Date.now() - t0, cpuS: m ? Number(m[2]) + Number(m[3]) : null, rssMb: m ? Number(m[4]) / 1024 : null, stderr: err.replace(/TIME .*\n?/, '') });
    });
  });
}

function countSuccess(file) {
  let ok = 0;
  let hosts = 0;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.startsWith('{"type":"host"')) continue;
    hosts++;
    if (line.includes('"status":"success"')) ok++;
  }
  return { hosts, ok };
}

async function redisCpuS(r) {
  const info = await r.info('cpu');
  const g = (k) => Number(new RegExp(`${k}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return g('used_cpu_sys') + g('used_cpu_user');
}

export async function runFleetBench() {
  const work = mkdtempSync(join(tmpdir(), 'mxprobe-fleetbench-'));
  const started = new Date().toISOString();
  const load0 = round(loadavg()[0], 2);
  const redisPort = await freePort();
  const redisProc = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', work], { stdio: ['ignore', 'pipe', 'pipe'] });
  const { startDnsServer, zone } = await import(pathToFileURL(join(root, 'dist', 'lab', 'dns-server.js')).href);
  const dns = await startDnsServer(zone({ 'probe.bench.example': { A: ['127.0.0.1'] } }));
  const url = `redis://127.0.0.1:${redisPort}`;
  const redis = new Redis(url, { maxRetriesPerRequest: 3 });
  redis.on('error', () => {});
  const rows = [];
  let farm = null;
  const workers = [];
  try {
    for (let i = 0; i < 50 && (await redis.ping().catch(() => null)) !== 'PONG'; i++) await sleep(100);
    farm = await startFarm(Math.max(N, BIG ? 100_000 : 0), L);
    const tfile = join(work, 'targets.txt');
    writeFileSync(tfile, Array.from({ length: N }, (_, i) => addressAt(i)).join('\n') + '\n');
    const common = ['--port', String(farm.port), '--stop-after', 'ehlo', '--host-gap', '0', '--no-alignment', '--no-transcript', '--format', 'ndjson', '--quiet', '--timeout', '20000'];

    // The local engine, the anchor: one process, C sessions at once.
    const localOut = join(work, 'local.ndjson');
    const local = await timed([CLI, 'probe', '-f', tfile, ...common, '-o', localOut, '--concurrency', String(C), '--helo', 'probe.bench.example']);
    const lc = countSuccess(localOut);
    rows.push({ run: `local probe, C=${C}`, workers: 0, sessions: lc.hosts, ok: lc.ok, wallS: local.wallMs / 1000, rate: lc.hosts / (local.wallMs / 1000), cpuS: local.cpuS, coordRssMb: local.rssMb, redisCpuS: 0 });

    for (const W of [1, 2, 4]) {
      await redis.flushall();
      for (let i = 0; i < W; i++) {
        const w = spawn(process.execPath, [CLI, 'worker', '--queue', url, '--vantage', 'bench', '--helo', 'probe.bench.example', '--concurrency', String(C), '--resolver', dns.address, '--heartbeat', '1000', '--quiet'], { stdio: ['ignore', 'ignore', 'inherit'] });
        workers.push(w);
      }
      for (let i = 0; i < 300 && (await redis.keys('mxprobe:hb:bench:*')).length < W; i++) await sleep(100);
      const live = workers.filter((w) => w.exitCode === null);
      const wBefore = live.map((w) => procCpuS(w.pid) ?? 0);
      const rBefore = await redisCpuS(redis);
      const out = join(work, `fleet-${W}.ndjson`);
      const r = await timed([CLI, 'probe', '-f', tfile, ...common, '-o', out, '--queue', url, '--vantages', 'bench', '--wait', '1200']);
      const wCpu = live.map((w, i) => (procCpuS(w.pid) ?? 0) - (wBefore[i] ?? 0)).reduce((a, b) => a + b, 0);
      const rCpu = (await redisCpuS(redis)) - rBefore;
      const c = countSuccess(out);
      rows.push({ run: `fleet, ${W} worker(s) × C=${C}`, workers: W, sessions: c.hosts, ok: c.ok, wallS: r.wallMs / 1000, rate: c.hosts / (r.wallMs / 1000), cpuS: (r.cpuS ?? 0) + wCpu + rCpu, coordCpuS: r.cpuS, workerCpuS: wCpu, coordRssMb: r.rssMb, redisCpuS: rCpu, code: r.code, stderr: r.stderr.slice(0, 300) });
      for (const w of workers.splice(0)) await new Promise((res) => (w.exitCode !== null ? res() : (w.once('exit', res), w.kill('SIGTERM'))));
    }

    let big = null;
    if (BIG) {
      await redis.flushall();
      const bfile = join(work, 'big.txt');
      writeFileSync(bfile, Array.from({ length: 100_000 }, (_, i) => addressAt(i)).join('\n') + '\n');
      for (let i = 0; i < 4; i++) workers.push(spawn(process.execPath, [CLI, 'worker', '--queue', url, '--vantage', 'bench', '--helo', 'probe.bench.example', '--concurrency', String(C), '--resolver', dns.address, '--quiet'], { stdio: ['ignore', 'ignore', 'inherit'] }));
      for (let i = 0; i < 300 && (await redis.keys('mxprobe:hb:bench:*')).length < 4; i++) await sleep(100);
      const out = join(work, 'big.ndjson');
      const r = await timed([CLI, 'probe', '-f', bfile, ...common.map((a) => (a === 'ehlo' ? 'banner' : a)), '-o', out, '--queue', url, '--vantages', 'bench', '--wait', '3600'], 4_000_000);
      big = { jobs: countSuccess(out).hosts, wallS: r.wallMs / 1000, coordRssMb: r.rssMb, coordCpuS: r.cpuS };
      for (const w of workers.splice(0)) await new Promise((res) => (w.exitCode !== null ? res() : (w.once('exit', res), w.kill('SIGTERM'))));
    }

    const base = rows[0];
    const one = rows.find((x) => x.workers === 1);
    const two = rows.find((x) => x.workers === 2);
    const lines = [
      `## Fleet (${N} targets on distinct farm IPs, stop-after ehlo, L=${L} ms, load ${load0} at start, ${started})`,
      '',
      '| run | sessions ok | wall s | sessions/s | CPU s (all processes) | coordinator peak RSS MB | redis CPU s |',
      '|---|---|---|---|---|---|---|',
      ...rows.map((x) => `| ${x.run} | ${x.ok}/${x.sessions} | ${round(x.wallS)} | ${round(x.rate)} | ${round(x.cpuS, 2)} | ${round(x.coordRssMb)} | ${round(x.redisCpuS, 2)} |`),
      '',
      one ? `Redis/BullMQ overhead per job (1 worker vs local, CPU of every process): ${round(((one.cpuS - base.cpuS) / N) * 1000, 2)} ms CPU per job; redis-server alone ${round((one.redisCpuS / N) * 1000, 3)} ms per job; wall per job at C=${C}: fleet ${round((one.wallS / N) * 1000, 2)} ms vs local ${round((base.wallS / N) * 1000, 2)} ms.` : '',
      one && two ? `Scaling 2 workers / 1 worker: ${round(two.rate / one.rate, 2)}× (goal ≥ 1.8× on distinct IPs; this machine has ${(await import('node:os')).cpus().length} cores shared by every process in the table).` : '',
      big ? `Coordinator on ${big.jobs} jobs (4 workers, banner): peak RSS ${round(big.coordRssMb)} MB, ${round(big.wallS)} s.` : 'Coordinator memory on 100k jobs: run with BENCH_FLEET_BIG=1.',
    ];
    const text = lines.filter(Boolean).join('\n');
    process.stdout.write(`${text}\n`);
    const dir = join(here, 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'fleet-latest.json'), JSON.stringify({ started, N, L, C, rows, big, markdown: text }, null, 2) + '\n');
    return text;
  } finally {
    for (const w of workers) w.kill('SIGKILL');
    await farm?.close();
    await dns.close();
    redis.disconnect();
    redisProc.kill('SIGTERM');
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runFleetBench().catch((err) => {
    process.stderr.write(`bench fleet: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  });
}
