/**
 * Store benchmarks (issue 16), whole processes under /usr/bin/time:
 *  1. probe-run slowdown with --store (SQLite, PostgreSQL) against without, on the bench farm
 *     (bench/farm.mjs, simulated Postfix on loopback, L ms per reply);
 *  2. 100k probes into SQLite and PostgreSQL via `mxprobe store import` of a synthetic NDJSON
 *     (rows/s), and the database size per 1k probes with and without transcripts;
 *  3. `mxprobe diff` of two stored runs of 100k hosts each: wall time and peak RSS.
 * PostgreSQL runs in a temp cluster (initdb + pg_ctl as user postgres when root); skipped with the
 * reason when not installed. BENCH_QUICK=1 uses 10k probes and a 2k farm. Writes bench/results/store-*.json.
 * BENCH_STORE_ONLY=probe runs only part 1 (BENCH_ROUNDS rounds, default 3).
 * BENCH_STORE_HOSTS=100000 sets part 1's farm size (default 10,000, quick 2,000): the issue's
 * "storing 100k probes from a farm run" is 100,000 hosts of one probe each, so 100k host rows and
 * 100k probe rows per run, as a real audit of 100k MX hosts writes them. Not 10k hosts x 10
 * identities: the scheduler keeps one connection per IP at a time, so ten identities per address
 * make the run wait on the farm's latency (2000 hosts x 10: 27 s wall for 9 s CPU), which hides the
 * store's CPU instead of measuring it. The farm is split over several processes (FARM_CHUNK
 * addresses each: one listening socket per address, under the default open-file limit).
 * Each part-1 row prints the median and the spread (min-max) of its rounds. BENCH_STORE_ONLY=diff runs only part 3 (plus the imports it needs); BENCH_STORE_DIR=DIR works in
 * DIR and keeps it, reusing the NDJSON files and databases already there (a full 100k build takes
 * minutes): e.g. the same stores diffed by two builds (BENCH_CLI) side by side. BENCH_STORE_PG=0
 * skips PostgreSQL.
 */
import { fork, spawn, spawnSync } from 'node:child_process';
import { chownSync, closeSync, openSync, readSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, createWriteStream, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addressAt } from './addresses.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const CLI = process.env.BENCH_CLI ?? join(root, 'bin', 'mxprobe.js');
const QUICK = process.env.BENCH_QUICK === '1';
const N = QUICK ? 10_000 : 100_000;
const FARM = Number(process.env.BENCH_STORE_HOSTS ?? (QUICK ? 2_000 : 10_000));
/** Addresses per farm process: each listens on one socket per address (bench/farm.mjs). */
const FARM_CHUNK = Number(process.env.BENCH_FARM_CHUNK ?? 15_000);
const L = Number(process.env.BENCH_LATENCY_MS ?? 50);
const KEEP = process.env.BENCH_STORE_DIR;
const ONLY_DIFF = process.env.BENCH_STORE_ONLY === 'diff';
const ONLY_PROBE = process.env.BENCH_STORE_ONLY === 'probe';
if (KEEP) mkdirSync(KEEP, { recursive: true });
const work = KEEP ?? mkdtempSync(join(tmpdir(), 'mxprobe-bench-store-'));
const PG_BIN = '/usr/lib/postgresql/15/bin';
/**
 * BENCH_STORE_WORKER=0 skips the in-thread rows (MXPROBE_STORE_WORKER=0: the rows written on the
 * prober's thread, the default on a 1-core machine; the default here is the store writer thread).
 */
const WITH_WORKER = process.env.BENCH_STORE_WORKER !== '0';
/** Extra node flags for the mxprobe processes (e.g. --cpu-prof --cpu-prof-dir=DIR), as in bench/run.mjs. */
const NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);

/**
 * BENCH_CLI_BEFORE=path/to/bin/mxprobe.js: part 1 also runs --store with that build in every round
 * (rows *-before), interleaved with this one, into its own stores, so two builds are compared on
 * the same load.
 */
const CLI_BEFORE = process.env.BENCH_CLI_BEFORE;

function timed(args, env = {}, cli = CLI) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn('/usr/bin/time', ['-f', 'BENCHTIME %e %U %S %M', process.execPath, ...NODE_FLAGS, cli, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => {
      const m = /BENCHTIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(stderr);
      resolve({ code, wallS: m ? Number(m[1]) : (performance.now() - t0) / 1000, cpuS: m ? Number(m[2]) + Number(m[3]) : null, sysS: m ? Number(m[3]) : null, rssMb: m ? Math.round(Number(m[4]) / 1024) : null, stderr: stderr.replace(/BENCHTIME.*\n?/, '').slice(-400) });
    });
  });
}

function startFarm(count, offset = 0) {
  return new Promise((resolve, reject) => {
    const child = fork(join(here, 'farm.mjs'), [JSON.stringify({ offset, count, port: 0, latencyMs: L, tls: false })], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.on('message', (m) => {
      if (m.type === 'ready') resolve({ port: m.port, close: () => new Promise((r) => (child.once('exit', r), child.send({ type: 'close' }))) });
      if (m.type === 'error') reject(new Error(m.message));
    });
  });
}

/** `count` farm addresses over ceil(count / FARM_CHUNK) farm processes; target(i) is host i's "ip:port". */
async function startFarms(count) {
  const farms = [];
  for (let offset = 0; offset < count; offset += FARM_CHUNK) farms.push({ offset, farm: await startFarm(Math.min(FARM_CHUNK, count - offset), offset) });
  return {
    target: (i) => `${addressAt(i)}:${farms[Math.floor(i / FARM_CHUNK)].farm.port}`,
    close: () => Promise.all(farms.map((f) => f.farm.close())),
  };
}

async function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startPg() {
  if (!existsSync(join(PG_BIN, 'initdb'))) return { reason: 'postgresql 15 not installed' };
  const dir = mkdtempSync(join(tmpdir(), 'mxprobe-bench-pg-'));
  const asRoot = process.getuid?.() === 0;
  const as = (cmd, args) => spawnSync(asRoot ? 'runuser' : cmd, asRoot ? ['-u', 'postgres', '--', cmd, ...args] : args, { encoding: 'utf8' });
  if (asRoot) {
    const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout);
    const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout);
    chownSync(dir, uid, gid);
  }
  const init = as(join(PG_BIN, 'initdb'), ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8']);
  if (init.status !== 0) return { reason: `initdb: ${init.stderr}` };
  const port = await freePort();
  const st = as(join(PG_BIN, 'pg_ctl'), ['-D', join(dir, 'data'), '-l', join(dir, 'log'), '-w', '-o', `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir}`, 'start']);
  if (st.status !== 0) return { reason: `pg_ctl: ${st.stderr}` };
  let n = 0;
  const data = join(dir, 'data');
  return {
    /**
     * CPU seconds (user+sys) of the whole cluster so far: the postmaster with its reaped children
     * (backends that exited: cutime/cstime) plus the live children (walwriter, checkpointer, …).
     */
    cpuS() {
      const tick = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;
      const stat = (pid) => {
        try {
          const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
          return f.slice(f.lastIndexOf(')') + 2).split(' ');
        } catch {
          return null;
        }
      };
      const pm = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
      const p = stat(pm);
      // Fields after the comm: state=0 … utime=11 stime=12 cutime=13 cstime=14.
      let t = p ? Number(p[11]) + Number(p[12]) + Number(p[13]) + Number(p[14]) : 0;
      const kids = spawnSync('pgrep', ['-P', String(pm)], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);
      for (const k of kids) {
        const c = stat(k);
        if (c) t += Number(c[11]) + Number(c[12]);
      }
      return t / tick;
    },
    /**
     * CHECKPOINT: the dirty buffers and WAL of the runs so far written out now. Called before and after each
     * timed --store postgres run, so the cluster CPU of its window is its own: without it the writes a run
     * left behind were flushed in the next run's window (the rounds run pg-before, then pg, so the order favoured one build).
     */
    checkpoint() {
      spawnSync('runuser', ['-u', 'postgres', '--', join(PG_BIN, 'psql'), '-h', dir, '-p', String(port), '-U', 'postgres', '-Atq', '-c', 'CHECKPOINT'], { encoding: 'utf8' });
    },
    /** VACUUM (ANALYZE) of one database: what autovacuum would otherwise do after a run, in another run's window. */
    vacuum(url) {
      const db = url.slice(url.lastIndexOf('/') + 1);
      spawnSync('runuser', ['-u', 'postgres', '--', join(PG_BIN, 'psql'), '-h', dir, '-p', String(port), '-U', 'postgres', '-d', db, '-Atq', '-c', 'VACUUM (ANALYZE)'], { encoding: 'utf8' });
    },
    url() {
      const db = `b${++n}`;
      as(join(PG_BIN, 'createdb'), ['-h', dir, '-p', String(port), '-U', 'postgres', db]);
      return `postgres://postgres@127.0.0.1:${port}/${db}`;
    },
    size(url) {
      const db = url.slice(url.lastIndexOf('/') + 1);
      const r = spawnSync('runuser', ['-u', 'postgres', '--', join(PG_BIN, 'psql'), '-h', dir, '-p', String(port), '-U', 'postgres', '-At', '-c', `SELECT pg_database_size('${db}')`], { encoding: 'utf8' });
      return Number(r.stdout.trim());
    },
    stop() {
      as(join(PG_BIN, 'pg_ctl'), ['-D', join(dir, 'data'), '-m', 'fast', '-w', 'stop']);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An NDJSON run of n hosts of one probe each, from the sample fixture; `mutate(i, host)` varies it. */
async function writeRun(file, n, { transcript, mutate, json = false }) {
  const sample = JSON.parse(readFileSync(join(root, 'test', 'fixtures', 'results', 'sample-run.json'), 'utf8'));
  const host0 = sample.targets[0].hosts[0];
  const probe0 = { ...host0.probes[0], transcript: transcript ? host0.probes[0].transcript : [] };
  const out = createWriteStream(file);
  const w = (s) => (out.write(s) ? null : new Promise((r) => out.once('drain', r)));
  const startedAt = new Date().toISOString();
  // json: the -o json document (one object, "targets" one element at a time), for the streamed JSON reader.
  if (json) await w(`{"schemaVersion":1,"tool":{"name":"mxprobe","version":"bench"},"startedAt":"${startedAt}","options":{},"targets":[\n`);
  else await w(`${JSON.stringify({ type: 'run', schemaVersion: 1, tool: { name: 'mxprobe', version: 'bench' }, startedAt, options: {} })}\n`);
  for (let i = 0; i < n; i++) {
    const domain = `d${i}.bench.example`;
    const mx = [{ exchange: `mx.${domain}`, priority: 10, implicit: false }];
    const host = { ...host0, exchange: `mx.${domain}`, ip: addressAt(i), probes: [structuredClone(probe0)] };
    mutate?.(i, host);
    const target = { input: domain, origin: `t:${i + 1}`, kind: 'domain', domain, mx };
    if (json) {
      await w(`${i === 0 ? '' : ',\n'}${JSON.stringify({ ...target, port: 25, dns: { status: 'ok' }, hosts: [host] })}`);
      continue;
    }
    await w(`${JSON.stringify({ type: 'host', target, ...host })}\n`);
    await w(`${JSON.stringify({ type: 'target', ...target, port: 25, dns: { status: 'ok' } })}\n`);
  }
  if (json) await w(`\n],"finishedAt":"${new Date().toISOString()}","summary":{"targets":${n}}}\n`);
  else await w(`${JSON.stringify({ type: 'summary', finishedAt: new Date().toISOString(), summary: { targets: n } })}\n`);
  await new Promise((r) => out.end(r));
}

/** Lines of an NDJSON -o file that are host records, read in blocks (a 100k run's file is ~300 MB). */
function countHostLines(file) {
  if (!existsSync(file)) return 0;
  const needle = Buffer.from('\n{"type":"host"');
  const fd = openSync(file, 'r');
  const buf = Buffer.alloc(1 << 22);
  let n = 0;
  let carry = Buffer.from('\n');
  try {
    for (;;) {
      const got = readSync(fd, buf, 0, buf.length, null);
      if (got === 0) break;
      const chunk = Buffer.concat([carry, buf.subarray(0, got)]);
      for (let i = chunk.indexOf(needle); i !== -1; i = chunk.indexOf(needle, i + 1)) n++;
      // Keep the tail that could start a match split across blocks (never a whole match: shorter than the needle).
      carry = chunk.subarray(chunk.length - (needle.length - 1));
    }
  } finally {
    closeSync(fd);
  }
  return n;
}

/** Machine-wide busy share of the CPUs over `ms`, from /proc/stat (idle and iowait count as idle). */
async function busyShare(ms) {
  const read = () => {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = f[3] + (f[4] ?? 0);
    return { idle, total: f.reduce((a, b) => a + b, 0) };
  };
  const a = read();
  await new Promise((r) => setTimeout(r, ms));
  const b = read();
  return b.total === a.total ? 0 : 1 - (b.idle - a.idle) / (b.total - a.total);
}

/**
 * Wait until the machine is idle (under 10% busy over a second; at most 30 s) before a timed run,
 * so what the last run left running (writeback, PostgreSQL's background writers, the farm's
 * sockets closing) is not charged to the next one. Returns the seconds waited.
 */
async function settle() {
  const t0 = performance.now();
  while (performance.now() - t0 < 30_000 && (await busyShare(1000)) > 0.1);
  return round((performance.now() - t0) / 1000, 1);
}

const round = (x, d = 1) => (x === null || x === undefined ? null : Math.round(x * 10 ** d) / 10 ** d);

async function main() {
  const rows = [];
  // Each row is printed as it completes, so a run cut short still shows what it measured.
  const push = rows.push.bind(rows);
  rows.push = (...r) => {
    for (const x of r) process.stderr.write(`bench/store: ${JSON.stringify(x)}\n`);
    return push(...r);
  };
  const pg = process.env.BENCH_STORE_PG === '0' ? { reason: 'BENCH_STORE_PG=0' } : await startPg();
  // A bench cut short (timeout, Ctrl-C) must not leave its PostgreSQL cluster running.
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.once(sig, () => {
      if (!pg.reason) pg.stop();
      if (!KEEP) rmSync(work, { recursive: true, force: true });
      process.exit(130);
    });
  }
  try {
    // 1. Probe-run slowdown with --store, on the farm (ehlo sessions, plaintext).
    if (!ONLY_DIFF) {
    const farm = await startFarms(FARM);
    const targets = join(work, 'targets.txt');
    writeFileSync(targets, Array.from({ length: FARM }, (_, i) => farm.target(i)).join('\n') + '\n');
    const base = ['probe', '-f', targets, '--stop-after', 'ehlo', '--concurrency', '500', '--host-gap', '0', '--helo', 'probe.bench.example', '--quiet', '--no-alignment', '--format', 'ndjson'];
    // The stores exist before the timed runs (a cron audit writes to an existing store): the one-off
    // schema creation is not part of the per-run cost. Rounds are interleaved (none, sqlite, pg) so
    // load swings hit all three alike; medians are reported, with CPU of the probe process and of
    // the PostgreSQL cluster (it shares the 2 cores with the probe and the farm).
    const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
    const sqDb = join(work, 'probe.db');
    const pgUrl = pg.reason ? null : pg.url();
    await timed(['store', 'prune', '--keep', '1d', '--store', sqDb]);
    if (pgUrl) await timed(['store', 'prune', '--keep', '1d', '--store', pgUrl]);
    const runs = { plain: [], sq: [], sqI: [], pg: [], pgI: [], sqB: [], pgB: [] };
    const sqBDb = join(work, 'probe-before.db');
    const pgBUrl = pg.reason || !CLI_BEFORE ? null : pg.url();
    if (CLI_BEFORE) await timed(['store', 'prune', '--keep', '1d', '--store', sqBDb], {}, CLI_BEFORE);
    if (pgBUrl) await timed(['store', 'prune', '--keep', '1d', '--store', pgBUrl], {}, CLI_BEFORE);
    // The default writes through the store writer thread on a machine with 2+ cores (store/worker-sink.ts);
    // MXPROBE_STORE_WORKER=0 in the prober's thread: both measured, so the default can be checked.
    const sqIDb = join(work, 'probe-inthread.db');
    await timed(['store', 'prune', '--keep', '1d', '--store', sqIDb]);
    const I = { MXPROBE_STORE_WORKER: '0' };
    // Each round runs every configuration once. The order rotates from round to round (round r
    // starts at configuration r), so no configuration always runs first or last in its round: the
    // session-11 sitting drifted upward within and across rounds (plain CPU 47 → 59 s), and a fixed
    // order put that drift on whichever row came last. Between timed runs, outside any timing: the
    // previous run's -o file is removed (a 100k run writes ~300 MB; 25 of them filled the page
    // cache), `sync` writes the dirty pages out (else the kernel's writeback of one run's output and
    // SQLite file fell into the next run), and after a PostgreSQL run the cluster is checkpointed,
    // its new rows vacuumed and analysed (what autovacuum would do next, in some other run's window),
    // and that work's CPU is reported apart (serverAfterCpuS). Then the machine must be idle (settle).
    const configs = [
      { key: 'plain', args: [] },
      { key: 'sq', args: ['--store', sqDb] },
      ...(CLI_BEFORE && process.env.BENCH_BEFORE_SQLITE !== '0' ? [{ key: 'sqB', args: ['--store', sqBDb], cli: CLI_BEFORE }] : []),
      ...(pgBUrl ? [{ key: 'pgB', args: ['--store', pgBUrl], cli: CLI_BEFORE, pg: pgBUrl }] : []),
      ...(WITH_WORKER ? [{ key: 'sqI', args: ['--store', sqIDb], env: I }] : []),
      ...(pgUrl ? [{ key: 'pg', args: ['--store', pgUrl], pg: pgUrl }] : []),
      ...(pgUrl && WITH_WORKER ? [{ key: 'pgI', args: ['--store', pgUrl], env: I, pg: pgUrl }] : []),
    ];
    const orders = [];
    for (let r = 0; r < ROUNDS; r++) {
      const order = configs.map((_, i) => configs[(i + r) % configs.length]);
      orders.push(order.map((c) => c.key));
      for (const c of order) {
        if (c.pg) pg.checkpoint();
        const settledS = await settle();
        const out = join(work, `${c.key}-${r}.ndjson`);
        const c0 = c.pg ? pg.cpuS() : 0;
        const x = await timed([...base, '-o', out, ...c.args], c.env ?? {}, c.cli ?? CLI);
        x.round = r;
        x.settledS = settledS;
        if (c.pg) {
          pg.checkpoint();
          const c1 = pg.cpuS();
          x.serverCpuS = c1 - c0;
          pg.vacuum(c.pg);
          pg.checkpoint();
          x.serverAfterCpuS = pg.cpuS() - c1;
        }
        // The run's output must hold every host (a run that lost hosts is not a fair time): counted, then removed.
        x.hostLines = countHostLines(out);
        rmSync(out, { force: true });
        spawnSync('sync');
        runs[c.key].push(x);
      }
    }
    const med = (xs, f) => {
      const v = xs.map(f).filter((x) => x !== null && x !== undefined).sort((a, b) => a - b);
      if (v.length === 0) return null;
      const m = Math.floor(v.length / 2);
      return v.length % 2 === 1 ? v[m] : (v[m - 1] + v[m]) / 2;
    };
    /** min-max of the rounds, wall and CPU: a median alone hides how far the rounds moved. */
    const spread = (xs) => {
      const r = (f) => {
        const v = xs.map(f).filter((x) => x !== null && x !== undefined);
        return v.length === 0 ? null : `${round(Math.min(...v), 2)}-${round(Math.max(...v), 2)}`;
      };
      return { wallSpread: r((x) => x.wallS), cpuSpread: r((x) => x.cpuS) };
    };
    /** The end of a failing round's stderr: a non-zero exit (failed hosts, a store warning) says why. */
    const failed = (xs) => {
      const x = xs.find((y) => y.code !== 0);
      return x ? { failedStderr: x.stderr.trim().slice(-300) } : {};
    };
    /**
     * Each round's run against the same round's plain run, as a percentage; the median of those.
     * The rounds drift (load, the host's other tenants) by as much as the goal, so the headline
     * compares runs of the same round, not the medians of two sets of rounds.
     */
    const paired = (xs, f) => {
      const ratios = xs.map((x) => {
        const p = runs.plain.find((y) => y.round === x.round);
        return p && f(p) && f(x) !== null ? (f(x) / f(p) - 1) * 100 : null;
      });
      return { pct: round(med(ratios, (v) => v)), rounds: ratios.map((v) => round(v)) };
    };
    const plain = { wallS: med(runs.plain, (x) => x.wallS), cpuS: med(runs.plain, (x) => x.cpuS), rssMb: med(runs.plain, (x) => x.rssMb) };
    /** Hosts written to -o: every run of every configuration must have all of them. */
    const lost = (xs) => {
      const short = xs.filter((x) => x.hostLines !== FARM);
      return short.length === 0 ? {} : { hostLinesShort: short.map((x) => x.hostLines) };
    };
    const row = (id, what, key) => {
      const xs = runs[key];
      if (xs.length === 0) return;
      const m = { wallS: med(xs, (x) => x.wallS), cpuS: med(xs, (x) => x.cpuS), rssMb: med(xs, (x) => x.rssMb), serverCpuS: med(xs, (x) => x.serverCpuS), serverAfterCpuS: med(xs, (x) => x.serverAfterCpuS), code: xs.find((x) => x.code !== 0)?.code ?? 0 };
      const pw = paired(xs, (x) => x.wallS);
      const pc = paired(xs, (x) => x.cpuS);
      rows.push({
        id,
        what: `${what}, median of ${ROUNDS}`,
        wallS: m.wallS,
        baseS: plain.wallS,
        slowdownPct: round(((m.wallS - plain.wallS) / plain.wallS) * 100),
        pairedPct: pw.pct,
        pairedRounds: pw.rounds,
        cpuS: m.cpuS,
        baseCpuS: plain.cpuS,
        cpuPct: round(((m.cpuS - plain.cpuS) / plain.cpuS) * 100),
        pairedCpuPct: pc.pct,
        ...(m.serverCpuS !== null ? { serverCpuS: round(m.serverCpuS, 2), serverAfterCpuS: round(m.serverAfterCpuS, 2) } : {}),
        rssMb: m.rssMb,
        baseRssMb: plain.rssMb,
        code: m.code,
        load: loadavg()[0],
        ...spread(xs),
        ...(key === 'sq' ? { base: spread(runs.plain), ...lost(runs.plain) } : {}),
        ...lost(xs),
        ...failed(xs),
        ...(key === 'sq' && failed(runs.plain).failedStderr ? { plainFailedStderr: failed(runs.plain).failedStderr } : {}),
      });
    };
    row('probe-slowdown-sqlite', `probe ${FARM} hosts (ehlo, L=${L} ms), --store sqlite vs none`, 'sq');
    row('probe-slowdown-sqlite-before', `probe ${FARM} hosts, --store sqlite with ${CLI_BEFORE} vs none`, 'sqB');
    row('probe-slowdown-pg-before', `probe ${FARM} hosts, --store postgres with ${CLI_BEFORE} vs none`, 'pgB');
    // Every round, for the interleaving: CPU s of each configuration in order.
    const perRound = (f) => Object.fromEntries(Object.entries(runs).filter(([, xs]) => xs.length > 0).map(([k, xs]) => [k, xs.map((x) => round(f(x), 2))]));
    rows.push({ id: 'probe-rounds', what: 'CPU s per round (user+sys of the probe process)', rounds: perRound((x) => x.cpuS), wallRounds: perRound((x) => x.wallS), sysRounds: perRound((x) => x.sysS), serverRounds: Object.fromEntries(Object.entries(runs).filter(([, xs]) => xs.some((x) => x.serverCpuS !== undefined)).map(([k, xs]) => [k, xs.map((x) => round(x.serverCpuS, 2))])), settleRounds: perRound((x) => x.settledS), orders, load: loadavg()[0] });
    row('probe-slowdown-sqlite-inthread', `probe ${FARM} hosts, --store sqlite with MXPROBE_STORE_WORKER=0 (in the prober's thread) vs none`, 'sqI');
    row('probe-slowdown-pg', `probe ${FARM} hosts, --store postgres vs none`, 'pg');
    row('probe-slowdown-pg-inthread', `probe ${FARM} hosts, --store postgres with MXPROBE_STORE_WORKER=0 vs none`, 'pgI');
    await farm.close();
    }

    // BENCH_STORE_ONLY=probe: part 1 only (the --store slowdown), e.g. with more BENCH_ROUNDS.
    if (!ONLY_PROBE) {
    // 2. 100k probes stored via import; size per 1k probes with and without transcripts.
    const fa = join(work, 'a.ndjson');
    const fb = join(work, 'b.ndjson');
    const fnt = join(work, 'nt.ndjson');
    // Reused from BENCH_STORE_DIR when there.
    if (!existsSync(fa)) await writeRun(fa, N, { transcript: true });
    // Run B: 1% lose STARTTLS, 1% get a new certificate.
    if (!existsSync(fb)) await writeRun(fb, N, {
      transcript: true,
      mutate: (i, h) => {
        const p = h.probes[0];
        if (i % 100 === 7) {
          p.capabilities.plain = { ...p.capabilities.plain, starttls: false, keywords: { ...p.capabilities.plain.keywords } };
          delete p.capabilities.plain.keywords.STARTTLS;
          p.tls = null;
        } else if (i % 100 === 9 && p.tls) p.tls = { ...p.tls, certificate: { ...p.tls.certificate, fingerprint256: `NEW:${i}` } };
      },
    });
    if (!ONLY_DIFF && !existsSync(fnt)) await writeRun(fnt, N, { transcript: false });
    const db = join(work, 'store.db');
    const reuse = existsSync(db);
    if (!reuse) {
    const ia = await timed(['store', 'import', fa, '--store', db]);
    const sizeA = statSync(db).size + (existsSync(`${db}-wal`) ? statSync(`${db}-wal`).size : 0);
    rows.push({ id: 'import-sqlite', what: `store import ${N} probes (${Math.round(statSync(fa).size / 1048576)} MB NDJSON) → SQLite`, wallS: ia.wallS, rowsPerS: Math.round(N / ia.wallS), cpuS: ia.cpuS, rssMb: ia.rssMb, code: ia.code, kbPer1kProbes: Math.round(sizeA / (N / 1000) / 1024) });
    if (!ONLY_DIFF) {
    const dbnt = join(work, 'nt.db');
    const int = await timed(['store', 'import', fnt, '--store', dbnt]);
    const sizeNt = statSync(dbnt).size + (existsSync(`${dbnt}-wal`) ? statSync(`${dbnt}-wal`).size : 0);
    rows.push({ id: 'import-sqlite-no-transcript', what: `store import ${N} probes without transcripts → SQLite`, wallS: int.wallS, rowsPerS: Math.round(N / int.wallS), rssMb: int.rssMb, code: int.code, kbPer1kProbes: Math.round(sizeNt / (N / 1000) / 1024) });
    const fj = join(work, 'a.json');
    await writeRun(fj, N, { transcript: true, json: true });
    const ij = await timed(['store', 'import', fj, '--store', join(work, 'json.db')]);
    rows.push({ id: 'import-sqlite-json', what: `store import ${N} probes as one -o json document (${Math.round(statSync(fj).size / 1048576)} MB) → SQLite`, wallS: ij.wallS, rowsPerS: Math.round(N / ij.wallS), cpuS: ij.cpuS, rssMb: ij.rssMb, code: ij.code });
    rmSync(fj, { force: true });
    }
    const ib = await timed(['store', 'import', fb, '--store', db]);
    rows.push({ id: 'import-sqlite-b', what: `store import ${N} probes (run B) → SQLite`, wallS: ib.wallS, rowsPerS: Math.round(N / ib.wallS), rssMb: ib.rssMb, code: ib.code });
    }

    // 3. diff of the two stored runs.
    const d = await timed(['diff', '1', '2', '--store', db, '--format', 'json', '-o', join(work, 'diff.json')]);
    const changes = JSON.parse(readFileSync(join(work, 'diff.json'), 'utf8')).changes.length;
    rows.push({ id: 'diff-sqlite', what: `diff two stored runs of ${N} hosts (SQLite)`, wallS: d.wallS, cpuS: d.cpuS, rssMb: d.rssMb, code: d.code, changes, load: loadavg()[0] });

    if (!pg.reason) {
      const url = pg.url();
      const pa = await timed(['store', 'import', fa, '--store', url]);
      rows.push({ id: 'import-pg', what: `store import ${N} probes → PostgreSQL`, wallS: pa.wallS, rowsPerS: Math.round(N / pa.wallS), cpuS: pa.cpuS, rssMb: pa.rssMb, code: pa.code, kbPer1kProbes: Math.round(pg.size(url) / (N / 1000) / 1024) });
      const pb = await timed(['store', 'import', fb, '--store', url]);
      const dp = await timed(['diff', '1', '2', '--store', url, '--format', 'json', '-o', join(work, 'diffpg.json')]);
      rows.push({ id: 'import-pg-b', what: `store import ${N} probes (run B) → PostgreSQL`, wallS: pb.wallS, rowsPerS: Math.round(N / pb.wallS), code: pb.code });
      rows.push({ id: 'diff-pg', what: `diff two stored runs of ${N} hosts (PostgreSQL)`, wallS: dp.wallS, cpuS: dp.cpuS, rssMb: dp.rssMb, code: dp.code, load: loadavg()[0], changes: JSON.parse(readFileSync(join(work, 'diffpg.json'), 'utf8')).changes.length });
    } else rows.push({ id: 'pg', what: `PostgreSQL skipped: ${pg.reason}` });
    }
  } finally {
    if (!pg.reason) pg.stop();
    if (!KEEP) rmSync(work, { recursive: true, force: true });
  }
  const lines = [`## store bench (${QUICK ? 'quick' : 'full'}, ${N} probes, farm ${FARM}${process.env.BENCH_STORE_HOSTS ? ' (BENCH_STORE_HOSTS)' : ''}, L=${L} ms)`, '', '| id | what | wall s | rows/s | peak RSS MB | other |', '|---|---|--:|--:|--:|---|'];
  for (const r of rows) {
    const other = [r.baseS !== undefined ? `without --store ${r.baseS} s, slowdown ${r.slowdownPct}%` : '', r.cpuS !== undefined && r.cpuS !== null ? `CPU ${round(r.cpuS, 2)} s${r.baseCpuS !== undefined ? ` (without ${round(r.baseCpuS, 2)} s, +${r.cpuPct}%)` : ''}` : '', r.pairedPct !== undefined ? `paired per round: wall ${r.pairedPct}% (${(r.pairedRounds ?? []).join(', ')}), CPU ${r.pairedCpuPct}%` : '', r.serverCpuS !== undefined ? `PostgreSQL server CPU ${r.serverCpuS} s (+ ${r.serverAfterCpuS} s vacuum/checkpoint after)` : '', r.hostLinesShort ? `RUNS MISSING HOSTS in -o: ${r.hostLinesShort.join(', ')}` : '', r.wallSpread ? `rounds: wall ${r.wallSpread} s, CPU ${r.cpuSpread} s${r.base ? ` (without: wall ${r.base.wallSpread} s, CPU ${r.base.cpuSpread} s)` : ''}` : '', r.load !== undefined ? `load ${round(r.load, 1)}` : '', r.kbPer1kProbes !== undefined ? `${r.kbPer1kProbes} KB per 1k probes` : '', r.changes !== undefined ? `${r.changes} changes` : '', r.rounds ? `CPU s ${JSON.stringify(r.rounds)}; wall s ${JSON.stringify(r.wallRounds)}` : '', r.code ? `exit ${r.code}` : ''].filter(Boolean).join('; ');
    lines.push(`| ${r.id} | ${r.what} | ${r.wallS ?? ''} | ${r.rowsPerS ?? ''} | ${r.rssMb ?? ''} | ${other} |`);
  }
  const text = lines.join('\n');
  process.stdout.write(`${text}\n`);
  mkdirSync(join(here, 'results'), { recursive: true });
  // BENCH_LABEL (e.g. "before") and the CLI measured go into the file, so runs of two builds side by side are told apart.
  const label = process.env.BENCH_LABEL ? `-${process.env.BENCH_LABEL.replace(/[^\w-]/g, '')}` : '';
  writeFileSync(join(here, 'results', `store-${new Date().toISOString().replace(/[:.]/g, '-')}${QUICK ? '-quick' : ''}${process.env.BENCH_STORE_HOSTS ? `-hosts${FARM}` : ''}${label}.json`), `${JSON.stringify({ cli: CLI, label: process.env.BENCH_LABEL ?? null, rows, markdown: text }, null, 2)}\n`);
}

try {
  await main();
} catch (err) {
  process.stderr.write(`bench/store: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
}
