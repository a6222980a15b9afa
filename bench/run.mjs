/**
 * `npm run bench`: mxprobe's speed and scale against a loopback farm of simulated Postfix
 * receivers (bench/farm.mjs, a separate process), side by side with swaks and nmap.
 *
 * Procedure:
 *  1. Fork the farm: N addresses in 127.64.0.0/10 on one port, a fixed latency L before each
 *     server flight (one round trip per reply), optionally STARTTLS with the lab certificate.
 *  2. For each scenario, write a targets file of distinct IPs, spawn the real CLI under
 *     /usr/bin/time (user+sys CPU and peak RSS of the mxprobe process), NDJSON to a file.
 *  3. Read the NDJSON: sessions, statuses, timings.total (p50/p99), the run window
 *     (run.startedAt → summary.finishedAt); ask the farm for its CPU time over the run.
 *  4. Compare with the latency bound C/(k·L) sessions/s, k counted per scenario (see K below).
 *  5. The same farm and targets through swaks (xargs -P C) and nmap (--script smtp-commands).
 *  6. Scale: RSS at 10k and 100k targets (--stop-after banner), RSS with 1000 sessions open.
 *  7. One extra CPU-profiled run (node --cpu-prof): top functions by self time.
 *  8. Print a markdown table; write bench/results/<timestamp>.json and latest.json.
 *  0. (first) Start-up: `node -e 0`, `--version` and `classify` of one reply, whole processes,
 *     median of interleaved runs (see startupBench).
 *
 * Env: BENCH_QUICK=1 (about a minute), BENCH_LATENCY_MS (default 50), BENCH_CLI (path to the
 * CLI entry, default bin/mxprobe.js), BENCH_ONLY=<comma list of scenario ids>, BENCH_PROFILE=0.
 * Everything stays on loopback; every child has a timeout; the farm dies with its parent.
 */
import { fork, spawn, spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { addressAt } from './addresses.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const QUICK = process.env.BENCH_QUICK === '1';
const L = Number(process.env.BENCH_LATENCY_MS ?? 50);
const CLI = process.env.BENCH_CLI ?? join(root, 'bin', 'mxprobe.js');
const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',')) : null;
const PROFILE = process.env.BENCH_PROFILE !== '0';
/** Extra node flags for every mxprobe run, e.g. "--max-old-space-size=64" to tell retained memory from lazy GC. */
const NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
const TIME = '/usr/bin/time';
/** Addresses one farm process listens on: under the 20k open-files limit with room for sessions. */
const SHARD = 15_000;
const q = (full, quick) => (QUICK ? quick : full);

/**
 * Round trips per session, each costing one L on the farm (TCP connect on loopback is ~0.1 ms,
 * and the banner leaves L after accept, so "connect+banner" is one):
 *  banner:   connect+banner, QUIT                                           = 2
 *  ehlo:     connect+banner, EHLO, QUIT                                     = 3
 *  starttls: connect+banner, EHLO, STARTTLS, TLS 1.3 handshake (1 RTT, RFC 8446 §2),
 *            EHLO again (RFC 3207 §4.2), QUIT                               = 6
 *  matrix:   connect+banner, EHLO, MAIL, RCPT, RSET, QUIT (plaintext farm)  = 6 per identity
 *  nmap smtp-commands: connect+banner, EHLO, HELP (502 → no QUIT)           = 3
 * mxprobe waits for the 221 to QUIT (RFC 5321 §3.8 SHOULD), so QUIT is a round trip.
 */
const K = { banner: 2, ehlo: 3, starttls: 6, matrix: 6, nmap: 3 };
const IDENTITIES_ALL = 8;

// ---------------------------------------------------------------- farm

function forkShard(config) {
  return new Promise((resolve, reject) => {
    const child = fork(join(here, 'farm.mjs'), [JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const pending = new Map();
    let seq = 0;
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error('farm did not start within 60 s'));
    }, 60_000);
    child.on('message', (m) => {
      if (m.type === 'ready') {
        clearTimeout(timer);
        resolve({
          port: m.port,
          listeners: m.listeners,
          request(msg) {
            const id = ++seq;
            return new Promise((res) => {
              pending.set(id, res);
              child.send({ ...msg, id });
            });
          },
          close() {
            return new Promise((res) => {
              if (child.exitCode !== null) return res();
              child.once('exit', () => res());
              child.send({ type: 'close' });
            });
          },
        });
      } else if (m.type === 'error') {
        clearTimeout(timer);
        reject(new Error(`farm: ${m.message}`));
      } else if (m.id !== undefined) {
        pending.get(m.id)?.(m);
        pending.delete(m.id);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`farm exited with ${code}`));
    });
  });
}

/** A farm of `count` addresses, sharded across processes; all shards share one port. */
async function startFarm({ count, latencyMs, tls }) {
  const shards = [];
  let port = 0;
  try {
    for (let offset = 0; offset < count; offset += SHARD) {
      const shard = await forkShard({ offset, count: Math.min(SHARD, count - offset), port, latencyMs, tls });
      port = shard.port;
      shards.push(shard);
    }
  } catch (err) {
    await Promise.all(shards.map((s) => s.close()));
    throw err;
  }
  return {
    port,
    count,
    tls,
    async stats() {
      const all = await Promise.all(shards.map((s) => s.request({ type: 'stats' })));
      const sum = (k) => all.reduce((a, s) => a + s[k], 0);
      return {
        cpuUs: sum('cpuUser') + sum('cpuSystem'),
        connections: sum('connections'),
        commands: sum('commands'),
        ehlos: sum('ehlos'),
        quits: sum('quits'),
        tlsSessions: sum('tlsSessions'),
        peakOpen: sum('peakOpen'),
        rss: sum('rss'),
      };
    },
    async setLatency(ms) {
      await Promise.all(shards.map((s) => s.request({ type: 'set', latencyMs: ms })));
    },
    close: () => Promise.all(shards.map((s) => s.close())),
  };
}

/**
 * The DNS server for align-c200 (bench/dns-farm.mjs, forked so its CPU is counted apart): PTR and
 * A for every farm address on a loopback UDP port, answered at once.
 */
function startDnsFarm() {
  return new Promise((resolve, reject) => {
    const child = fork(join(here, 'dns-farm.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const pending = new Map();
    let seq = 0;
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error('DNS server did not start within 30 s'));
    }, 30_000);
    child.on('message', (m) => {
      if (m.type === 'ready') {
        clearTimeout(timer);
        resolve({
          port: m.port,
          stats() {
            const id = ++seq;
            return new Promise((res) => {
              pending.set(id, (x) => res({ cpuUs: x.cpuUser + x.cpuSystem, queries: x.queries, byType: x.byType }));
              child.send({ type: 'stats', id });
            });
          },
          close() {
            return new Promise((res) => {
              if (child.exitCode !== null) return res();
              child.once('exit', () => res());
              child.send({ type: 'close' });
            });
          },
        });
      } else if (m.type === 'error') {
        clearTimeout(timer);
        reject(new Error(`DNS server: ${m.message}`));
      } else if (m.id !== undefined) {
        pending.get(m.id)?.(m);
        pending.delete(m.id);
      }
    });
  });
}

// ---------------------------------------------------------------- helpers

const work = mkdtempSync(join(tmpdir(), 'mxprobe-bench-'));

function targetsFile(name, n) {
  const file = join(work, `${name}.txt`);
  const lines = new Array(n);
  for (let i = 0; i < n; i++) lines[i] = addressAt(i);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/** Runs `cmd args` under /usr/bin/time; resolves with wall, CPU and peak RSS of the whole tree. */
function timed(cmd, args, { timeoutMs, stdinFile, env } = {}) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(TIME, ['-f', 'BENCHTIME %e %U %S %M', cmd, ...args], {
      stdio: [stdinFile ? 'pipe' : 'ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...env },
    });
    if (stdinFile) createReadStream(stdinFile).pipe(child.stdin);
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d.toString();
      if (stderr.length > 1_000_000) stderr = stderr.slice(-100_000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs ?? 600_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const wallMs = performance.now() - t0;
      const m = /BENCHTIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(stderr);
      resolve({
        code,
        signal,
        wallMs,
        cpuS: m ? Number(m[2]) + Number(m[3]) : null,
        userS: m ? Number(m[2]) : null,
        sysS: m ? Number(m[3]) : null,
        maxRssMb: m ? Number(m[4]) / 1024 : null,
        stderrTail: stderr.replace(/BENCHTIME.*\n?/, '').slice(-600),
      });
    });
  });
}

function quantile(sorted, p) {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[i];
}

/** Streams an NDJSON result file: session times, statuses, the run window. */
async function readNdjson(file) {
  const totals = [];
  const status = {};
  /** Sum and count per timing field, for the mean time each stage took (where the time goes). */
  const stageSum = {};
  const stageN = {};
  let startedAt = null;
  let finishedAt = null;
  let hosts = 0;
  /** Receiver-side alignment outcomes per check id (align-c200: proves the DNS work was real). */
  const alignment = {};
  if (!existsSync(file)) return { totals, status, hosts, windowMs: null };
  const rl = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of rl) {
    if (!line) continue;
    const rec = JSON.parse(line);
    if (rec.type === 'run') startedAt = Date.parse(rec.startedAt);
    else if (rec.type === 'summary') finishedAt = Date.parse(rec.finishedAt);
    else if (rec.type === 'host') {
      hosts++;
      for (const c of rec.alignment?.checks ?? []) {
        if (c.id !== 'ptr-exists' && c.id !== 'fcrdns') continue;
        alignment[c.id] ??= {};
        alignment[c.id][c.status] = (alignment[c.id][c.status] ?? 0) + 1;
      }
      for (const p of rec.probes) {
        status[p.status] = (status[p.status] ?? 0) + 1;
        if (p.status === 'not-tried') continue;
        totals.push(p.timings.total);
        for (const [k, v] of Object.entries(p.timings)) {
          if (typeof v !== 'number' || k === 'total') continue;
          stageSum[k] = (stageSum[k] ?? 0) + v;
          stageN[k] = (stageN[k] ?? 0) + 1;
        }
      }
    }
  }
  totals.sort((a, b) => a - b);
  const stageMeanMs = Object.fromEntries(Object.keys(stageSum).map((k) => [k, Math.round((stageSum[k] / stageN[k]) * 10) / 10]));
  return { totals, status, hosts, stageMeanMs, alignment, windowMs: startedAt !== null && finishedAt !== null ? finishedAt - startedAt : null };
}

const round = (x, d = 1) => (x === null || x === undefined || !Number.isFinite(x) ? null : Math.round(x * 10 ** d) / 10 ** d);

// ---------------------------------------------------------------- mxprobe scenarios

/** Peak RSS of `probe --format table` (the table is printed at the end, so results are held). */
async function runTableRss(farm, s) {
  const tfile = targetsFile(`${s.id}-targets`, s.targets);
  const out = join(work, `${s.id}.txt`);
  const args = [
    ...NODE_FLAGS, CLI, 'probe', '-f', tfile, '--port', String(farm.port), '--concurrency', String(s.concurrency),
    '--host-gap', '0', '--stop-after', 'banner', '--helo', 'probe.bench.example', '--format', 'table', '-o', out,
    '--quiet', '--no-alignment', '--no-transcript', '--timeout', String(Math.max(10_000, s.latencyMs * 20)),
  ];
  const r = await timed(process.execPath, args, { timeoutMs: 900_000 });
  rmSync(out, { force: true });
  return { skipTable: true, id: s.id, tool: 'mxprobe', label: `scale ${s.targets} targets, --format table`, concurrency: s.concurrency, targets: s.targets, exitCode: r.code, wallS: r.wallMs / 1000, cpuS: r.cpuS, peakRssMb: r.maxRssMb === null ? null : Math.round(r.maxRssMb) };
}

async function runMxprobe(farm, s, { nodeFlags = [], keepOutput = false } = {}) {
  const tfile = targetsFile(`${s.id}-targets`, s.targets);
  const out = join(work, `${s.id}.ndjson`);
  const args = [
    ...NODE_FLAGS,
    ...nodeFlags,
    CLI, 'probe', '-f', tfile,
    '--port', String(farm.port),
    '--concurrency', String(s.concurrency),
    '--host-gap', '0',
    '--stop-after', s.stopAfter,
    '--helo', 'probe.bench.example',
    '--format', 'ndjson', '-o', out,
    '--quiet',
    // align-c200 (issue 13): the defaults (alignment and transcripts on), DNS from the bench's server.
    ...(s.dns ? ['--resolver', `127.0.0.1:${s.dns.port}`] : ['--no-alignment', '--no-transcript']),
    '--timeout', String(Math.max(10_000, s.latencyMs * 20)),
    ...(s.matrix ? ['--identities', 'all', '--mismatch-name', 'mail.bench.example', '--rcpt', 'postmaster@bench.example'] : []),
    ...(s.starttls === false ? ['--no-starttls'] : []),
  ];
  const before = await farm.stats();
  const dnsBefore = s.dns ? await s.dns.stats() : null;
  const r = await timed(process.execPath, args, { timeoutMs: s.timeoutMs ?? 600_000 });
  const after = await farm.stats();
  const dnsAfter = s.dns ? await s.dns.stats() : null;
  const nd = await readNdjson(out);
  if (!keepOutput) rmSync(out, { force: true });
  const sessions = nd.totals.length;
  const success = nd.status['success'] ?? 0;
  // Whole-process scenarios count from spawn to exit (node start-up included), the others over
  // the run window the NDJSON records.
  const windowMs = s.wholeProcess ? r.wallMs : (nd.windowMs ?? r.wallMs);
  const rate = sessions / (windowMs / 1000);
  const bound = s.k && s.latencyMs > 0 ? s.concurrency / ((s.k * s.latencyMs) / 1000) : null;
  const farmCpuS = (after.cpuUs - before.cpuUs) / 1e6;
  return {
    id: s.id,
    tool: 'mxprobe',
    label: s.label,
    concurrency: s.concurrency,
    targets: s.targets,
    sessions,
    success,
    status: nd.status,
    latencyMs: s.latencyMs,
    k: s.k,
    exitCode: r.code,
    wallMs: round(r.wallMs),
    windowMs: round(windowMs),
    probesPerSec: round(rate),
    probesPerSecWall: round(sessions / (r.wallMs / 1000)),
    boundPerSec: round(bound),
    fractionOfBound: bound ? round(rate / bound, 3) : null,
    cpuS: r.cpuS,
    cpuSPer1000: r.cpuS !== null && sessions > 0 ? round((r.cpuS / sessions) * 1000, 3) : null,
    cpuPercent: r.cpuS !== null ? round((r.cpuS / (r.wallMs / 1000)) * 100) : null,
    peakRssMb: round(r.maxRssMb),
    p50Ms: quantile(nd.totals, 0.5),
    p99Ms: quantile(nd.totals, 0.99),
    stageMeanMs: nd.stageMeanMs,
    ...(s.wholeProcess ? { rateOver: 'wall (spawn to exit)', runWindowMs: nd.windowMs, probesPerSecWindow: nd.windowMs ? round(sessions / (nd.windowMs / 1000)) : null } : {}),
    ...(dnsAfter ? {
      alignment: nd.alignment,
      dns: {
        queries: dnsAfter.queries - dnsBefore.queries,
        queriesPerProbe: sessions > 0 ? round((dnsAfter.queries - dnsBefore.queries) / sessions, 2) : null,
        byType: Object.fromEntries(Object.entries(dnsAfter.byType).map(([k, v]) => [k, v - (dnsBefore.byType[k] ?? 0)])),
        cpuS: round((dnsAfter.cpuUs - dnsBefore.cpuUs) / 1e6, 3),
      },
    } : {}),
    farm: {
      cpuS: round(farmCpuS, 3),
      cpuPercent: round((farmCpuS / (r.wallMs / 1000)) * 100),
      connections: after.connections - before.connections,
      quits: after.quits - before.quits,
      tlsSessions: after.tlsSessions - before.tlsSessions,
      peakOpen: after.peakOpen,
    },
    ...(r.code !== 0 && r.code !== 1 ? { stderr: r.stderrTail } : {}),
  };
}

// ---------------------------------------------------------------- swaks and nmap

function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

async function runSwaks(farm, s) {
  const base = { id: s.id, tool: 'swaks', label: s.label, concurrency: s.concurrency, targets: s.targets, latencyMs: s.latencyMs, k: s.k };
  if (!which('swaks')) return { ...base, notInstalled: true };
  const tfile = targetsFile(`${s.id}-targets`, s.targets);
  // One swaks per target, C at once: the way people parallelise it. --quit-after EHLO stops after
  // the (post-TLS, with --tls) EHLO and sends QUIT, the same session shape as mxprobe's.
  const args = ['-P', String(s.concurrency), '-I', '{}', 'swaks', '--server', '{}', '--port', String(farm.port),
    '--ehlo', 'probe.bench.example', '--to', 'postmaster@bench.example', '--quit-after', 'EHLO',
    '--timeout', '30', ...(s.tls ? ['--tls'] : [])];
  const before = await farm.stats();
  const r = await timed('xargs', args, { stdinFile: tfile, timeoutMs: s.timeoutMs ?? 600_000 });
  const after = await farm.stats();
  const done = after.quits - before.quits;
  const rate = done / (r.wallMs / 1000);
  const bound = s.concurrency / ((s.k * s.latencyMs) / 1000);
  const farmCpuS = (after.cpuUs - before.cpuUs) / 1e6;
  return {
    ...base,
    sessions: done,
    success: done,
    exitCode: r.code,
    wallMs: round(r.wallMs),
    probesPerSec: round(rate),
    boundPerSec: round(bound),
    fractionOfBound: round(rate / bound, 3),
    cpuS: r.cpuS,
    cpuSPer1000: r.cpuS !== null && done > 0 ? round((r.cpuS / done) * 1000, 3) : null,
    peakRssMb: round(r.maxRssMb),
    peakRssNote: 'largest single process (one swaks), not the sum',
    p50Ms: null,
    p99Ms: null,
    farm: { cpuS: round(farmCpuS, 3), cpuPercent: round((farmCpuS / (r.wallMs / 1000)) * 100), connections: after.connections - before.connections, quits: done, peakOpen: after.peakOpen },
  };
}

async function runNmap(farm, s) {
  const base = { id: s.id, tool: 'nmap', label: s.label, concurrency: null, targets: s.targets, latencyMs: s.latencyMs, k: s.k };
  if (!which('nmap')) return { ...base, notInstalled: true };
  const tfile = targetsFile(`${s.id}-targets`, s.targets);
  // "+" runs the script whatever the port number (its portrule wants 25/465/587).
  const args = ['-n', '-Pn', '-p', String(farm.port), '--script', '+smtp-commands', '-iL', tfile, '-oN', '/dev/null'];
  const before = await farm.stats();
  const r = await timed('nmap', args, { timeoutMs: s.timeoutMs ?? 600_000 });
  const after = await farm.stats();
  const done = after.ehlos - before.ehlos;
  const rate = done / (r.wallMs / 1000);
  const farmCpuS = (after.cpuUs - before.cpuUs) / 1e6;
  return {
    ...base,
    concurrency: after.peakOpen,
    concurrencyNote: 'nmap chooses its own parallelism; shown: peak sessions open on the farm',
    sessions: done,
    success: done,
    exitCode: r.code,
    wallMs: round(r.wallMs),
    probesPerSec: round(rate),
    boundPerSec: null,
    fractionOfBound: null,
    cpuS: r.cpuS,
    cpuSPer1000: r.cpuS !== null && done > 0 ? round((r.cpuS / done) * 1000, 3) : null,
    peakRssMb: round(r.maxRssMb),
    p50Ms: null,
    p99Ms: null,
    farm: { cpuS: round(farmCpuS, 3), cpuPercent: round((farmCpuS / (r.wallMs / 1000)) * 100), connections: after.connections - before.connections, ehlos: done, peakOpen: after.peakOpen },
  };
}

// ---------------------------------------------------------------- CPU profile

/** Top functions by self time in a V8 .cpuprofile (samples × interval, attributed to the leaf). */
function topSelf(file, n = 10) {
  const prof = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(prof.nodes.map((node) => [node.id, node]));
  const self = new Map();
  const deltas = prof.timeDeltas ?? [];
  let total = 0;
  prof.samples.forEach((id, i) => {
    const node = byId.get(id);
    if (!node) return;
    const dt = deltas[i + 1] ?? deltas[i] ?? 0;
    total += dt;
    const f = node.callFrame;
    const url = (f.url || '').replace(`file://${root}/`, '').replace(/^node:/, 'node:');
    const key = `${f.functionName || '(anonymous)'} ${url ? `${url}:${f.lineNumber + 1}` : ''}`.trim();
    self.set(key, (self.get(key) ?? 0) + dt);
  });
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([fn, us]) => ({ function: fn, selfMs: round(us / 1000), percent: round((us / total) * 100) }));
}

async function profileRun(farm, s) {
  const dir = join(work, 'prof');
  mkdirSync(dir, { recursive: true });
  const r = await runMxprobe(farm, s, { nodeFlags: ['--cpu-prof', '--cpu-prof-dir', dir] });
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  if (files.length === 0) return { scenario: s.id, error: 'no profile written' };
  return { scenario: s.id, probesPerSec: r.probesPerSec, note: 'profiled run (slower than unprofiled)', top: topSelf(join(dir, files[0]), 12) };
}

// ---------------------------------------------------------------- report

function fmt(x, d = 1) {
  if (x === null || x === undefined) return '-';
  return typeof x === 'number' ? x.toFixed(d) : String(x);
}

function table(rows) {
  const head = '| scenario | tool | C | targets | sessions ok | k | probes/s | bound/s | % bound | CPU s/1k | peak RSS MB | p50 ms | p99 ms | farm CPU % |';
  const sep = '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|';
  const lines = rows.map((r) => {
    if (r.notInstalled) return `| ${r.label} | ${r.tool} | ${r.concurrency ?? '-'} | ${r.targets} | not installed (apt-get install ${r.tool}) | | | | | | | | | |`;
    return `| ${r.label} | ${r.tool} | ${r.concurrency ?? '-'} | ${r.targets} | ${r.success}/${r.sessions} | ${r.k ?? '-'} | ${fmt(r.probesPerSec)} | ${fmt(r.boundPerSec)} | ${r.fractionOfBound !== null && r.fractionOfBound !== undefined ? (r.fractionOfBound * 100).toFixed(0) + '%' : '-'} | ${fmt(r.cpuSPer1000, 2)} | ${fmt(r.peakRssMb, 0)} | ${fmt(r.p50Ms)} | ${fmt(r.p99Ms)} | ${fmt(r.farm?.cpuPercent, 0)} |`;
  });
  return [head, sep, ...lines].join('\n');
}

// ---------------------------------------------------------------- start-up (issue 13)

/**
 * Whole-process start-up: wall time of `node -e 0`, `mxprobe --version`, and `mxprobe classify` of
 * one reply (one decided by a specific rule, one that falls through to the model), each spawned
 * STARTUP_RUNS times, interleaved so machine load hits all alike. Reported: median and the median
 * overhead over `node -e 0` measured in the same round.
 */
const STARTUP_RUNS = q(21, 9);
function startupBench(env = process.env) {
  const cmds = {
    node: [process.execPath, ['-e', '0']],
    version: [process.execPath, [CLI, '--version']],
    'classify-rule': [process.execPath, [CLI, 'classify', '--stage', 'rcpt', '504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname']],
    'classify-model': [process.execPath, [CLI, 'classify', '--stage', 'rcpt', '550 rejecting spoofed message']],
  };
  const times = Object.fromEntries(Object.keys(cmds).map((k) => [k, []]));
  const over = Object.fromEntries(Object.keys(cmds).map((k) => [k, []]));
  for (let i = 0; i < STARTUP_RUNS; i++) {
    const round = {};
    for (const [k, [cmd, args]] of Object.entries(cmds)) {
      const t = process.hrtime.bigint();
      const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: 30_000, env });
      if (r.status !== 0) throw new Error(`start-up: ${k} exited ${r.status}`);
      round[k] = Number(process.hrtime.bigint() - t) / 1e6;
      times[k].push(round[k]);
    }
    for (const k of Object.keys(cmds)) over[k].push(round[k] - round.node);
  }
  const med = (a) => quantile([...a].sort((x, y) => x - y), 0.5);
  return Object.fromEntries(Object.keys(cmds).map((k) => [k, { medianMs: round(med(times[k])), overheadMs: round(med(over[k])) }]));
}

// ---------------------------------------------------------------- main

const want = (id) => !ONLY || ONLY.has(id) || [...ONLY].some((o) => o.endsWith('*') && id.startsWith(o.slice(0, -1)));
const results = [];
const checks = [];
const log = (s) => process.stderr.write(`${s}\n`);

async function main() {
  if (!existsSync(CLI)) throw new Error(`${CLI} not found: run npm run build`);
  const probe = spawnSync(process.execPath, [CLI, 'probe', '--help'], { encoding: 'utf8', timeout: 30_000 });
  if (probe.status !== 0) throw new Error(`the CLI does not start (npm run build?):\n${(probe.stderr || '').slice(0, 800)}`);

  if (want('startup')) {
    // NODE_EXTRA_CA_CERTS makes every node process read and parse that CA bundle before any user
    // code runs (about 90 ms on these machines, for `node -e 0` too). The goals were set against a
    // node that starts in about 40 ms, so when the variable is set the start-up is measured twice:
    // as given, and without it; the goals are judged on the latter, the former is shown beside it.
    const extraCa = Boolean(process.env.NODE_EXTRA_CA_CERTS);
    const stGiven = extraCa ? startupBench() : null;
    const cleanEnv = { ...process.env };
    delete cleanEnv.NODE_EXTRA_CA_CERTS;
    const st = startupBench(cleanEnv);
    results.push({ id: 'startup', tool: 'startup', skipTable: true, runs: STARTUP_RUNS, ...st, ...(stGiven ? { withExtraCaCerts: stGiven } : {}) });
    if (stGiven) log(`startup with NODE_EXTRA_CA_CERTS as set: node -e 0 ${stGiven.node.medianMs} ms; --version ${stGiven.version.medianMs} ms (+${stGiven.version.overheadMs}); classify ${stGiven['classify-rule'].medianMs} ms (+${stGiven['classify-rule'].overheadMs}), via model ${stGiven['classify-model'].medianMs} ms (+${stGiven['classify-model'].overheadMs})`);
    log(`startup (median of ${STARTUP_RUNS}, without NODE_EXTRA_CA_CERTS): node -e 0 ${st.node.medianMs} ms; --version ${st.version.medianMs} ms (+${st.version.overheadMs}); classify ${st['classify-rule'].medianMs} ms (+${st['classify-rule'].overheadMs}), via model ${st['classify-model'].medianMs} ms (+${st['classify-model'].overheadMs})`);
    checks.push({ id: 'startup-version', detail: `--version ${st.version.medianMs} ms, ${st.version.overheadMs} ms over node -e 0 (${st.node.medianMs} ms) (goal <= 120 ms)`, pass: st.version.medianMs <= 120 });
    checks.push({ id: 'startup-classify', detail: `classify of one reply ${st['classify-rule'].medianMs} ms (rule) / ${st['classify-model'].medianMs} ms (model), ${st['classify-rule'].overheadMs} / ${st['classify-model'].overheadMs} ms over node -e 0 (goal <= 200 ms)`, pass: Math.max(st['classify-rule'].medianMs, st['classify-model'].medianMs) <= 200 });
  }

  const Cs = [1, 50, 200, 1000];
  const plainT = { 1: q(40, 10), 50: q(2000, 400), 200: q(8000, 1600), 1000: q(10_000, 3000) };
  const tlsT = { 1: q(20, 6), 50: q(1000, 250), 200: q(4000, 1000), 1000: q(8000, 2000) };
  const farmSize = 10_000;

  // ---- plaintext farm: EHLO, matrix, swaks, nmap, zero-latency farm check
  let farm = await startFarm({ count: farmSize, latencyMs: L, tls: false });
  log(`farm: ${farm.count} addresses on port ${farm.port}, L=${L} ms, plaintext`);
  try {
    for (const C of Cs) {
      const id = `ehlo-c${C}`;
      if (!want(id)) continue;
      const r = await runMxprobe(farm, { id, label: 'plain, stop-after ehlo', concurrency: C, targets: plainT[C], stopAfter: 'ehlo', k: K.ehlo, latencyMs: L });
      results.push(r);
      log(`${id}: ${r.probesPerSec}/s (${fmt(r.fractionOfBound * 100, 0)}% of bound), cpu ${r.cpuSPer1000} s/1k, rss ${r.peakRssMb} MB, stages ${JSON.stringify(r.stageMeanMs)}`);
    }
    if (want('align-c200') || (PROFILE && want('profile-align'))) {
      // Issue 13 part 3: the whole process (spawn to exit) with the defaults: alignment and
      // transcripts on, every probe's PTR and the A of its name answered by a real DNS server on
      // loopback (FCrDNS passes for 19 addresses in 20, fails for the rest).
      const dns = await startDnsFarm();
      try {
        const spec = { label: 'whole process, alignment on, stop-after ehlo', concurrency: 200, targets: 4000, stopAfter: 'ehlo', k: K.ehlo, latencyMs: L, dns, wholeProcess: true };
        if (want('align-c200')) {
          const r = await runMxprobe(farm, { id: 'align-c200', ...spec });
          r.loadavg = round(loadavg()[0], 2);
          results.push(r);
          checks.push({ id: 'align-c200-85pct', detail: `whole process, alignment on, C=200 L=${L}: ${fmt(r.fractionOfBound * 100, 0)}% of bound over spawn→exit (goal >= 85%; load average ${r.loadavg})`, pass: r.fractionOfBound >= 0.85 });
          checks.push({ id: 'align-c200-cpu', detail: `whole process, alignment on: ${fmt(r.cpuSPer1000, 3)} ms CPU per probe (user+sys of mxprobe; DNS server ${r.dns.cpuS} s, farm ${r.farm.cpuS} s apart) (goal <= 0.5 ms)`, pass: r.cpuSPer1000 !== null && r.cpuSPer1000 <= 0.5 });
          log(`align-c200: ${r.probesPerSec}/s over wall (${fmt(r.fractionOfBound * 100, 0)}% of bound; run window ${r.probesPerSecWindow}/s), cpu ${r.cpuSPer1000} ms/probe, dns ${r.dns.queriesPerProbe} queries/probe ${JSON.stringify(r.dns.byType)}, alignment ${JSON.stringify(r.alignment)}, load ${r.loadavg}`);
          // Session 6: the same command on ONE target is the fixed cost of a run (node start-up,
          // module graph, mailauth for the one SPF check, the sender's DNS): what is left over 4000
          // probes is the cost per probe. Printed beside the DNS server's CPU per query.
          const one = await runMxprobe(farm, { ...spec, id: 'align-c200-fixed', targets: 1 });
          const perProbe = r.cpuS !== null && one.cpuS !== null ? round(((r.cpuS - one.cpuS) / (r.sessions - 1)) * 1000, 3) : null;
          results.push({ id: 'align-c200-fixed', tool: 'mxprobe', skipTable: true, cpuS: round(one.cpuS, 2), wallMs: one.wallMs, marginalMsPerProbe: perProbe, dnsServerUsPerQuery: r.dns.queries > 0 ? round((r.dns.cpuS / r.dns.queries) * 1e6, 1) : null });
          checks.push({ id: 'align-c200-split', detail: `whole process, alignment on: fixed cost (1 target) ${round(one.cpuS, 2)} s CPU, ${round(one.wallMs)} ms wall; per probe beyond it ${perProbe} ms; DNS server ${r.dns.queries > 0 ? round((r.dns.cpuS / r.dns.queries) * 1e6, 1) : '?'} µs CPU per query`, pass: null });
          log(`align-c200 fixed cost: 1 target ${round(one.cpuS, 2)} s CPU; per probe beyond it ${perProbe} ms`);
        }
        if (PROFILE && want('profile-align')) {
          const p = await profileRun(farm, { id: 'profile-align-c200', ...spec });
          results.push({ id: 'profile-align', tool: 'profile', skipTable: true, ...p });
          log(`profile-align: top self time ${p.top?.slice(0, 3).map((t) => `${t.function} ${t.percent}%`).join('; ')}`);
        }
      } finally {
        await dns.close();
      }
    }
    if (want('floor') || want('align-c200')) {
      // The floor (bench/floor.mjs, its own farm): a bare Node client, same 4000 addresses and C.
      const f = spawnSync(process.execPath, [join(here, 'floor.mjs')], { encoding: 'utf8', timeout: 300_000, env: { ...process.env, BENCH_LATENCY_MS: String(L) } });
      const m = /CPU ([\d.]+) s .*= ([\d.]+) ms per session/.exec(f.stdout ?? '');
      results.push({ id: 'floor', tool: 'floor', skipTable: true, cpuS: m ? Number(m[1]) : null, msPerSession: m ? Number(m[2]) : null, line: (f.stdout ?? '').trim() });
      checks.push({ id: 'floor', detail: `floor (bare net.connect, 3 reads, 2 writes, close; same C and L): ${m ? `${m[2]} ms CPU per session` : `failed: ${(f.stderr ?? '').slice(-200)}`}`, pass: null });
      log((f.stdout ?? '').trim() || `floor failed: ${(f.stderr ?? '').slice(-200)}`);
    }
    for (const C of [50, 200]) {
      const id = `matrix-c${C}`;
      if (!want(id)) continue;
      const T = C === 50 ? q(250, 60) : q(1000, 250);
      const r = await runMxprobe(farm, { id, label: `plain, identities all (${IDENTITIES_ALL}), stop-after rcpt`, concurrency: C, targets: T, stopAfter: 'rcpt', matrix: true, k: K.matrix, latencyMs: L });
      results.push(r);
      log(`${id}: ${r.probesPerSec}/s (${fmt(r.fractionOfBound * 100, 0)}% of bound)`);
    }
    for (const C of [1, 50, 200]) {
      const id = `swaks-ehlo-c${C}`;
      if (!want(id)) continue;
      const T = { 1: q(10, 4), 50: q(300, 100), 200: q(600, 200) }[C];
      const r = await runSwaks(farm, { id, label: 'plain, quit-after EHLO', concurrency: C, targets: T, tls: false, k: K.ehlo, latencyMs: L });
      results.push(r);
      log(`${id}: ${r.notInstalled ? 'not installed' : `${r.probesPerSec}/s`}`);
    }
    if (want('nmap')) {
      const r = await runNmap(farm, { id: 'nmap', label: 'plain, --script smtp-commands', targets: q(500, 100), k: K.nmap, latencyMs: L });
      results.push(r);
      log(`nmap: ${r.notInstalled ? 'not installed' : `${r.probesPerSec}/s`}`);
    }
    if (want('farm-l0')) {
      // The farm must never be the bottleneck: with no latency the client runs flat out, and the
      // farm's CPU share shows how much headroom it has.
      await farm.setLatency(0);
      const r = await runMxprobe(farm, { id: 'farm-l0', label: 'L=0 (farm headroom check), stop-after ehlo', concurrency: 200, targets: q(10_000, 3000), stopAfter: 'ehlo', k: K.ehlo, latencyMs: 0 });
      results.push(r);
      checks.push({ id: 'farm-not-bottleneck', detail: `at L=0 the farm used ${r.farm.cpuPercent}% of one core while mxprobe used ${r.cpuPercent}%`, pass: r.farm.cpuPercent !== null && r.farm.cpuPercent < 50 });
      log(`farm-l0: mxprobe ${r.probesPerSec}/s at ${r.cpuPercent}% CPU; farm ${r.farm.cpuPercent}% CPU`);
      await farm.setLatency(L);
    }
    if (PROFILE && want('profile')) {
      const p = await profileRun(farm, { id: 'profile-ehlo-c1000', label: 'profile', concurrency: 1000, targets: q(10_000, 3000), stopAfter: 'ehlo', k: K.ehlo, latencyMs: L });
      results.push({ id: 'profile', tool: 'profile', skipTable: true, ...p });
      log(`profile: top self time ${p.top?.slice(0, 3).map((t) => `${t.function} ${t.percent}%`).join('; ')}`);
    }
    if (want('open1000')) {
      // 1000 sessions open at once: a long latency (3 s sessions) makes them overlap.
      await farm.setLatency(1000);
      const r = await runMxprobe(farm, { id: 'open1000', label: '1000 sessions open (L=1000 ms)', concurrency: 1000, targets: q(3000, 2000), stopAfter: 'ehlo', k: K.ehlo, latencyMs: 1000 });
      results.push(r);
      checks.push({ id: 'rss-1000-open', detail: `peak RSS ${r.peakRssMb} MB with ${r.farm.peakOpen} sessions open on the farm (goal <= 200 MB)`, pass: r.peakRssMb !== null && r.peakRssMb <= 200 && r.farm.peakOpen >= 1000 });
      log(`open1000: peak RSS ${r.peakRssMb} MB, farm peak open ${r.farm.peakOpen}`);
      await farm.setLatency(L);
    }
  } finally {
    await farm.close();
  }

  // ---- STARTTLS farm (only when a row on it is wanted: BENCH_ONLY=align-c200 does not start it)
  const tlsRows = [...Cs.map((C) => `starttls-c${C}`), 'swaks-starttls-c1', 'swaks-starttls-c50'];
  if (tlsRows.some(want)) {
  farm = await startFarm({ count: farmSize, latencyMs: L, tls: true });
  log(`farm: ${farm.count} addresses on port ${farm.port}, L=${L} ms, STARTTLS`);
  try {
    for (const C of Cs) {
      const id = `starttls-c${C}`;
      if (!want(id)) continue;
      const r = await runMxprobe(farm, { id, label: 'STARTTLS, stop-after starttls', concurrency: C, targets: tlsT[C], stopAfter: 'starttls', k: K.starttls, latencyMs: L });
      results.push(r);
      log(`${id}: ${r.probesPerSec}/s (${fmt(r.fractionOfBound * 100, 0)}% of bound), cpu ${r.cpuSPer1000} s/1k, tls ${r.farm.tlsSessions}`);
    }
    for (const C of [1, 50]) {
      const id = `swaks-starttls-c${C}`;
      if (!want(id)) continue;
      const T = { 1: q(6, 3), 50: q(200, 60) }[C];
      const r = await runSwaks(farm, { id, label: 'STARTTLS, --tls quit-after EHLO', concurrency: C, targets: T, tls: true, k: K.starttls, latencyMs: L });
      results.push(r);
      log(`${id}: ${r.notInstalled ? 'not installed' : `${r.probesPerSec}/s`}`);
    }
  } finally {
    await farm.close();
  }
  }

  // ---- scale: memory at 10k vs 100k targets
  const small = q(10_000, 2000);
  const big = q(100_000, 20_000);
  if (want('scale')) {
    const scaleL = 20;
    farm = await startFarm({ count: big, latencyMs: scaleL, tls: false });
    log(`farm: ${farm.count} addresses on port ${farm.port}, L=${scaleL} ms (scale)`);
    try {
      const a = await runMxprobe(farm, { id: `scale-${small}`, label: `scale ${small} targets, stop-after banner`, concurrency: 1000, targets: small, stopAfter: 'banner', k: K.banner, latencyMs: scaleL });
      results.push(a);
      log(`scale ${small}: rss ${a.peakRssMb} MB, ${a.probesPerSec}/s`);
      const b = await runMxprobe(farm, { id: `scale-${big}`, label: `scale ${big} targets, stop-after banner`, concurrency: 1000, targets: big, stopAfter: 'banner', k: K.banner, latencyMs: scaleL });
      results.push(b);
      log(`scale ${big}: rss ${b.peakRssMb} MB, ${b.probesPerSec}/s`);
      const ratio = a.peakRssMb && b.peakRssMb ? b.peakRssMb / a.peakRssMb : null;
      // B12: the table must hold the run to the end; compare its peak RSS with NDJSON's (streams).
      const tbl = await runTableRss(farm, { id: `scale-table-${big}`, targets: big, concurrency: 1000, latencyMs: scaleL });
      results.push(tbl);
      log(`scale ${big} --format table: rss ${tbl.peakRssMb} MB (ndjson ${b.peakRssMb} MB), exit ${tbl.exitCode}`);
      checks.push({ id: 'rss-table-vs-ndjson', detail: `peak RSS with --format table ${tbl.peakRssMb} MB vs ndjson ${b.peakRssMb} MB at ${big} targets (goal <= 2x)`, pass: tbl.peakRssMb !== null && b.peakRssMb ? tbl.peakRssMb <= 2 * b.peakRssMb : null });
      checks.push({ id: 'rss-scale', detail: `peak RSS ${b.peakRssMb} MB at ${big} targets vs ${a.peakRssMb} MB at ${small}: x${fmt(ratio, 2)} (goal <= 1.2)`, pass: ratio !== null && ratio <= 1.2 });
    } finally {
      await farm.close();
    }
  }

  // ---- goals (measured, not enforced)
  const get = (id) => results.find((r) => r.id === id);
  const e200 = get('ehlo-c200');
  const t200 = get('starttls-c200');
  if (e200) checks.push({ id: 'plain-c200-85pct', detail: `plain C=200 L=${L}: ${fmt(e200.fractionOfBound * 100, 0)}% of bound (goal >= 85%)`, pass: e200.fractionOfBound >= 0.85 });
  if (t200) checks.push({ id: 'starttls-c200-70pct', detail: `STARTTLS C=200 L=${L}: ${fmt(t200.fractionOfBound * 100, 0)}% of bound (goal >= 70%)`, pass: t200.fractionOfBound >= 0.7 });
  for (const C of [1, 50, 200]) {
    const m = get(`ehlo-c${C}`);
    const s = get(`swaks-ehlo-c${C}`);
    if (m && s && !s.notInstalled && s.probesPerSec > 0) {
      const x = m.probesPerSec / s.probesPerSec;
      checks.push({ id: `vs-swaks-c${C}`, detail: `mxprobe/swaks throughput at parallelism ${C}: x${fmt(x, 1)}${C >= 50 ? ' (goal >= 20x)' : ''}`, pass: C >= 50 ? x >= 20 : null });
    }
  }

  const meta = {
    startedAt: new Date(t0).toISOString(),
    finishedAt: new Date().toISOString(),
    durationS: round((Date.now() - t0) / 1000),
    quick: QUICK,
    latencyMs: L,
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? null,
    memoryGb: round(totalmem() / 2 ** 30),
    /** Other work on the machine skews results: the 1-minute load average before and after. */
    loadavgBefore: load0,
    loadavgAfter: round(loadavg()[0], 2),
    cli: CLI.replace(`${root}/`, ''),
    swaks: which('swaks') ? spawnSync('swaks', ['--version'], { encoding: 'utf8' }).stdout.trim().split('\n')[0] : null,
    nmap: which('nmap') ? spawnSync('nmap', ['--version'], { encoding: 'utf8' }).stdout.trim().split('\n')[0] : null,
    k: K,
  };
  const md = table(results.filter((r) => !r.skipTable));
  const su = results.find((r) => r.id === 'startup');
  const prof = results.find((r) => r.id === 'profile');
  const profAlign = results.find((r) => r.id === 'profile-align');
  const lines = [
    `## mxprobe bench (${QUICK ? 'quick' : 'full'}, L=${L} ms, ${meta.cpus} CPUs, ${meta.node})`,
    '',
    md,
    '',
    ...(su
      ? [
          `### Start-up (whole process, median of ${su.runs} interleaved runs, load average ${load0})`,
          '| command | median ms | over node -e 0 |',
          '|---|--:|--:|',
          `| node -e 0 | ${su.node.medianMs} | 0 |`,
          `| mxprobe --version | ${su.version.medianMs} | +${su.version.overheadMs} |`,
          `| mxprobe classify (specific rule) | ${su['classify-rule'].medianMs} | +${su['classify-rule'].overheadMs} |`,
          `| mxprobe classify (model) | ${su['classify-model'].medianMs} | +${su['classify-model'].overheadMs} |`,
          ...(su.withExtraCaCerts
            ? [
                '',
                `The rows above run without NODE_EXTRA_CA_CERTS. This machine sets it, which costs every node process the same fixed parse; with it as set:`,
                '',
                '| command (NODE_EXTRA_CA_CERTS set) | median ms | over node -e 0 |',
                '|---|--:|--:|',
                ...['node', 'version', 'classify-rule', 'classify-model'].map((k) => `| ${k === 'node' ? 'node -e 0' : k} | ${su.withExtraCaCerts[k].medianMs} | +${su.withExtraCaCerts[k].overheadMs} |`),
              ]
            : []),
          '',
        ]
      : []),
    '### Goals (measured, not enforced)',
    ...checks.map((c) => `- ${c.pass === null ? 'info' : c.pass ? 'met' : 'MISSED'}: ${c.detail}`),
  ];
  if (prof?.top) {
    lines.push('', `### CPU profile (${prof.scenario}, self time)`, '| function | self ms | % |', '|---|--:|--:|');
    for (const t of prof.top) lines.push(`| ${t.function.replace(/\|/g, '\\|')} | ${t.selfMs} | ${t.percent} |`);
  }
  if (profAlign?.top) {
    lines.push('', `### CPU profile (${profAlign.scenario}, whole process, self time)`, '| function | self ms | % |', '|---|--:|--:|');
    for (const t of profAlign.top) lines.push(`| ${t.function.replace(/\|/g, '\\|')} | ${t.selfMs} | ${t.percent} |`);
  }
  const text = lines.join('\n');
  process.stdout.write(`${text}\n`);

  const dir = join(here, 'results');
  mkdirSync(dir, { recursive: true });
  const doc = { meta, results, checks, markdown: text };
  const stamp = meta.startedAt.replace(/[:.]/g, '-');
  writeFileSync(join(dir, `${stamp}${QUICK ? '-quick' : ''}.json`), JSON.stringify(doc, null, 2) + '\n');
  writeFileSync(join(dir, 'latest.json'), JSON.stringify(doc, null, 2) + '\n');

  // The store benchmarks (issue 16) run as their own script: BENCH_ONLY=store runs only them.
  if (want('store')) {
    const r = spawnSync(process.execPath, [join(here, 'store.mjs')], { stdio: 'inherit', env: process.env });
    if (r.status !== 0) process.exitCode = 1;
  }
}

const t0 = Date.now();
const load0 = round(loadavg()[0], 2);
try {
  await main();
  // mxprobe logs vs pflogsumm (bench/logs.mjs): its own table and bench/results/logs-latest.json.
  if (ONLY === null || ONLY.has('logs')) await (await import('./logs.mjs')).runLogsBench();
  // The fleet rows (bench/fleet.mjs): 1, 2, 4 workers on Redis + BullMQ vs the local engine.
  if (process.env.BENCH_FLEET !== '0' && (!ONLY || ONLY.has('fleet'))) await (await import('./fleet.mjs')).runFleetBench();
} catch (err) {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
