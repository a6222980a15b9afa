/**
 * `npm run bench` (logs part; also `node bench/logs.mjs` after a build): `mxprobe logs` against
 * pflogsumm on the same generated classic-syslog Postfix log, in the same run.
 *
 * Procedure:
 *  1. Generate N lines (default 1,000,000; bench/logs-gen.mjs: outbound sent/deferred/bounced with
 *     per-message tokens, deferred-then-delivered, inbound HELO-check rejects, qmgr, cleanup) to a file.
 *  2. Floors: `wc -l` and `grep -c status=` on that file.
 *  3. pflogsumm FILE and mxprobe logs FILE --format json, each under /usr/bin/time (wall, user+sys CPU,
 *     peak RSS of that process); lines/s = N / wall. mxprobe three ways: as the CLI runs (a file this
 *     large is read in two ranges, the second in a worker thread: src/logs/range.ts), the same
 *     without NODE_EXTRA_CA_CERTS when it is set, and on one thread (MXPROBE_LOGS_THREADS=1); with
 *     each thread's CPU time (MXPROBE_LOGS_DEBUG), since wall time on a shared machine says little.
 *     The ratio check uses the first (the environment as it is).
 *  4. Cross-check: pflogsumm's Grand Totals (received, delivered, deferred, deferrals, bounced,
 *     rejected) must equal mxprobe's `totals`.
 *  5. Flat memory: the generator piped into `mxprobe logs -` at N and at BIG lines (default 10M,
 *     never written to disk); peak RSS of mxprobe at both.
 * Env: BENCH_LOGS_LINES, BENCH_LOGS_BIG (0 skips step 5), BENCH_CLI, BENCH_QUICK=1 (200k / 2M),
 * BENCH_LOGS_BASE=/path/to/other/bin/mxprobe.js: also time that build (e.g. main before a change) on
 * the same file in the same run, one thread, and check that its JSON is byte-identical.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const QUICK = process.env.BENCH_QUICK === '1';
const N = Number(process.env.BENCH_LOGS_LINES ?? (QUICK ? 200_000 : 1_000_000));
const BIG = Number(process.env.BENCH_LOGS_BIG ?? (QUICK ? 2_000_000 : 10_000_000));
const CLI = process.env.BENCH_CLI ?? join(root, 'bin', 'mxprobe.js');
const BASE = process.env.BENCH_LOGS_BASE ?? null;
const GEN = join(here, 'logs-gen.mjs');
const TIME = '/usr/bin/time';
const FMT = '%e %U %S %M';

/** Run argv under GNU time; stdout to a file (or discarded). Returns wall/cpu/rss and the exit code. */
function timed(argv, { stdout = null, pipeFrom = null, env = process.env } = {}) {
  // With pipeFrom, GNU time wraps only the reader: "GEN | time mxprobe ...".
  const cmd = pipeFrom ? ['sh', '-c', `${pipeFrom} | ${TIME} -f '${FMT}' -o ${stdout}.time ${argv.join(' ')}`] : [TIME, '-f', FMT, '-o', `${stdout}.time`, ...argv];
  const r = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'], timeout: 1_800_000, env });
  if (stdout) writeFileSync(stdout, r.stdout ?? '');
  const t = readFileSync(`${stdout}.time`, 'utf8').trim().split('\n').pop().split(' ').map(Number);
  return { code: r.status, stderr: (r.stderr ?? '').slice(-2000), wallS: t[0], cpuS: Math.round((t[1] + t[2]) * 100) / 100, peakRssMb: Math.round((t[3] / 1024) * 10) / 10 };
}

function pflogsummTotals(text) {
  const grab = (re) => {
    const m = re.exec(text);
    return m ? Number(m[1]) * (m[2] === 'k' ? 1000 : m[2] === 'm' ? 1_000_000 : 1) : null;
  };
  // pflogsumm abbreviates large counts ("1234k") unless given --no-... ; we pass -u 0? no: see below.
  return {
    received: grab(/^\s*(\d+)([km]?)\s+received$/m),
    delivered: grab(/^\s*(\d+)([km]?)\s+delivered$/m),
    deferred: grab(/^\s*(\d+)([km]?)\s+deferred/m),
    deferrals: grab(/deferred\s+\((\d+)([km]?)\s+deferrals\)/m) ?? 0,
    bounced: grab(/^\s*(\d+)([km]?)\s+bounced$/m),
    rejected: grab(/^\s*(\d+)([km]?)\s+rejected \(/m),
  };
}

export async function runLogsBench() {
  const work = mkdtempSync(join(tmpdir(), 'mxprobe-logs-bench-'));
  const rows = [];
  const checks = [];
  try {
    const file = join(work, 'mail.log');
    spawnSync(process.execPath, [GEN, String(N), file], { stdio: 'inherit' });
    const lines = Number(spawnSync('wc', ['-l', file], { encoding: 'utf8' }).stdout.trim().split(' ')[0]);
    const row = (tool, r) => rows.push({ tool, lines, ...r, linesPerSec: Math.round(lines / Math.max(r.wallS, 0.01)) });
    row('wc -l', timed(['wc', '-l', file], { stdout: join(work, 'wc') }));
    row('grep -c status=', timed(['grep', '-c', 'status=', file], { stdout: join(work, 'grep') }));
    const havePf = existsSync('/usr/sbin/pflogsumm');
    let pfOut = '';
    if (havePf) {
      // -u 0 -h 0 etc. keep the per-user/host tables short; the totals are what we compare.
      const r = timed(['/usr/sbin/pflogsumm', '-u', '0', '-h', '0', file], { stdout: join(work, 'pf') });
      pfOut = readFileSync(join(work, 'pf'), 'utf8');
      row('pflogsumm', r);
    }
    // NODE_EXTRA_CA_CERTS (set on some machines) costs every node process a certificate load
    // (~90 ms here): mxprobe is timed with the environment as it is (the ratio below) and without it.
    const withCa = process.env.NODE_EXTRA_CA_CERTS !== undefined && process.env.NODE_EXTRA_CA_CERTS !== '';
    const noCa = { ...process.env };
    delete noCa.NODE_EXTRA_CA_CERTS;
    /** Per-thread CPU (MXPROBE_LOGS_DEBUG): wall time on a shared 2-core machine says little. */
    const threads = (stderr) => {
      const w = /worker thread CPU (\d+) ms/.exec(stderr);
      const m2 = /main thread CPU (\d+) ms/.exec(stderr);
      // How long the main thread sat idle waiting for the worker after its own range (the cut's balance).
      const wt = /waited for it (\d+) ms/.exec(stderr);
      return `${m2 ? m2[1] : '?'} ms main${w ? ` + ${w[1]} ms worker` : ''}${wt ? ` (main waited ${wt[1]} ms)` : ''}`;
    };
    const variants = [
      // The default is one thread (measured quiet, session 4: 1 thread 1.73 s wall / 1.98 s CPU against
      // 2 threads 2.06 s / 3.6 s on 1M lines); MXPROBE_LOGS_THREADS=2 opts in to the two-range read.
      ['mxprobe logs (1 thread, default)', { ...process.env, MXPROBE_LOGS_DEBUG: '1' }, 'mx'],
      ...(withCa ? [['mxprobe logs (1 thread, no NODE_EXTRA_CA_CERTS)', { ...noCa, MXPROBE_LOGS_DEBUG: '1' }, 'mx-noca']] : []),
      ['mxprobe logs (2 threads, MXPROBE_LOGS_THREADS=2)', { ...process.env, MXPROBE_LOGS_THREADS: '2', MXPROBE_LOGS_DEBUG: '1' }, 'mx-2'],
      ...(BASE ? [['mxprobe logs (BENCH_LOGS_BASE build, 1 thread)', { ...process.env, MXPROBE_LOGS_DEBUG: '1' }, 'mx-base', BASE], ...(withCa ? [['mxprobe logs (BENCH_LOGS_BASE build, 1 thread, no NODE_EXTRA_CA_CERTS)', { ...noCa, MXPROBE_LOGS_DEBUG: '1' }, 'mx-base-noca', BASE]] : [])] : []),
    ];
    let m = null;
    let mNoCa = null;
    for (const [name, env, out, cli = CLI] of variants) {
      const r = timed([process.execPath, cli, 'logs', file, '--format', 'json'], { stdout: join(work, out), env });
      const { stderr, ...rest } = r;
      row(name, { ...rest, threadCpu: threads(stderr) });
      if (out === 'mx') m = r;
      if (out === 'mx-noca') mNoCa = r;
      const same = readFileSync(join(work, out), 'utf8') === readFileSync(join(work, 'mx'), 'utf8');
      if (out !== 'mx') checks.push({ id: `same-output-${out}`, detail: `${name}: JSON output byte-identical to the default run`, pass: same });
    }
    const doc = JSON.parse(readFileSync(join(work, 'mx'), 'utf8'));
    if (havePf) {
      const pf = pflogsummTotals(pfOut);
      const ours = Object.fromEntries(Object.keys(pf).map((k) => [k, doc.totals[k]]));
      const same = Object.keys(pf).every((k) => pf[k] === ours[k]);
      checks.push({ id: 'totals-equal-pflogsumm', detail: `totals on ${lines} lines: pflogsumm ${JSON.stringify(pf)} / mxprobe ${JSON.stringify(ours)}`, pass: same });
      const p = rows.find((r) => r.tool === 'pflogsumm');
      const x = m.wallS > 0 && p ? p.wallS / m.wallS : null;
      const xc = m.cpuS > 0 && p ? p.cpuS / m.cpuS : null;
      checks.push({ id: 'vs-pflogsumm-10x', detail: `mxprobe/pflogsumm lines/s: x${x?.toFixed(1)} wall, x${xc?.toFixed(1)} CPU (goal >= 10x; environment as is${withCa ? ', NODE_EXTRA_CA_CERTS set' : ''})`, pass: x !== null && x >= 10 });
      if (mNoCa && p) checks.push({ id: 'vs-pflogsumm-noca', detail: `without NODE_EXTRA_CA_CERTS: x${(p.wallS / mNoCa.wallS).toFixed(1)} wall, x${(p.cpuS / mNoCa.cpuS).toFixed(1)} CPU (information)`, pass: true });
    }
    checks.push({ id: 'rss-1m', detail: `peak RSS ${m.peakRssMb} MB at ${lines} lines (goal <= 150)`, pass: m.peakRssMb <= 150 });
    if (BIG > 0) {
      for (const n of [N, BIG]) {
        const out = join(work, `pipe-${n}`);
        const r = timed([process.execPath, CLI, 'logs', '-', '--format', 'json'], { stdout: out, pipeFrom: `${process.execPath} ${GEN} ${n}` });
        rows.push({ tool: `gen | mxprobe logs - (${n.toLocaleString('en-US')} lines, RSS only)`, lines: n, ...r, linesPerSec: null });
        const d = JSON.parse(readFileSync(out, 'utf8'));
        checks.push({ id: `rss-${n}`, detail: `peak RSS ${r.peakRssMb} MB reading ${d.lines.total} lines from a pipe (goal <= 150)`, pass: r.peakRssMb <= 150 });
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const md = [
    `## mxprobe logs bench (${N.toLocaleString('en-US')} lines, ${cpus().length} CPUs, load ${loadavg()[0].toFixed(1)}, ${process.version})`,
    '',
    '| tool | lines | wall s | CPU s | peak RSS MB | lines/s | ratio to pflogsumm (wall) | thread CPU |',
    '|---|--:|--:|--:|--:|--:|--:|---|',
    ...rows.map((r) => {
      const pf = rows.find((x) => x.tool === 'pflogsumm');
      const ratio = pf && r.linesPerSec && r.tool.startsWith('mxprobe') ? `x${(r.linesPerSec / pf.linesPerSec).toFixed(1)}` : '-';
      return `| ${r.tool} | ${r.lines} | ${r.wallS} | ${r.cpuS} | ${r.peakRssMb} | ${r.linesPerSec ?? '-'} | ${ratio} | ${r.threadCpu ?? '-'} |`;
    }),
    '',
    ...checks.map((c) => `- ${c.pass ? 'met' : 'MISSED'}: ${c.detail}`),
  ].join('\n');
  process.stdout.write(`${md}\n`);
  const dir = join(here, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'logs-latest.json'), JSON.stringify({ rows, checks, markdown: md, at: new Date().toISOString() }, null, 2) + '\n');
  return { rows, checks };
}

if (import.meta.url === `file://${process.argv[1]}`) await runLogsBench();
