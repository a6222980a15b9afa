/**
 * The ladder under align-c200 (issue 13 part 3, session 10): CPU per probe of whole processes, each
 * rung adding one piece to a bare node:net session, run interleaved in one sitting against one farm
 * (bench/farm.mjs, 4000 addresses, L = 50 ms) and one DNS server (bench/dns-farm.mjs):
 *
 *   a bare      bench/floor.mjs: connect, banner, EHLO, QUIT, close
 *   b cares     + PTR and A per probe through node:dns Resolver channels (c-ares), as the lanes do
 *   b' resolver + the same through mxprobe's createResolver (dist/dns/resolver.js)
 *   c dgram     + the same through one node:dgram socket and a hand-written codec
 *   d notx      mxprobe probe --no-alignment --no-transcript (the ehlo-c200 command line)
 *   d noalign   mxprobe probe --no-alignment (sessions, parsing, results, transcripts, NDJSON)
 *   e align     mxprobe probe, alignment on: the align-c200 command line
 *   align1      the same on 1 target: the fixed cost of a run (start-up, modules, sender checks),
 *               shown divided by the ladder's target count like the others
 *
 *   node bench/ladder.mjs                       # 3 rounds, every rung once per round, order rotated
 *   LADDER_ROUNDS=5 LADDER_RUNGS=bare,align LADDER_CLI=/path/bin/mxprobe.js node bench/ladder.mjs
 *
 * CPU is user+sys of the measured process under /usr/bin/time, spawn to exit, as bench/run.mjs
 * measures mxprobe. Loopback only. Prints one line per run and a table (median, min, max).
 */
import { fork, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addressAt } from './addresses.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const N = Number(process.env.FLOOR_TARGETS ?? 4000);
const C = Number(process.env.FLOOR_C ?? 200);
const L = Number(process.env.BENCH_LATENCY_MS ?? 50);
const ROUNDS = Number(process.env.LADDER_ROUNDS ?? 3);
const CLI = process.env.LADDER_CLI ?? join(here, '..', 'bin', 'mxprobe.js');
const RUNGS = (process.env.LADDER_RUNGS ?? 'bare,cares,resolver,dgram,notx,noalign,align,align1').split(',');

function start(file, args) {
  return new Promise((resolve, reject) => {
    const c = fork(join(here, file), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    c.on('message', (m) => (m.type === 'ready' ? resolve({ c, port: m.port }) : m.type === 'error' ? reject(new Error(m.message)) : null));
  });
}
const farm = await start('farm.mjs', [JSON.stringify({ offset: 0, count: N, port: 0, latencyMs: L, tls: false })]);
const dns = await start('dns-farm.mjs', []);
const dnsQueries = () =>
  new Promise((resolve) => {
    dns.c.once('message', (m) => resolve(m.queries));
    dns.c.send({ type: 'stats' });
  });
const work = mkdtempSync(join(tmpdir(), 'ladder-'));
const targets = join(work, 'targets.txt');
writeFileSync(targets, Array.from({ length: N }, (_, i) => addressAt(i)).join('\n') + '\n');

const one = join(work, 'one.txt');
writeFileSync(one, addressAt(0) + '\n');
const isCli = (rung) => rung === 'notx' || rung === 'noalign' || rung === 'align' || rung === 'align1';

/**
 * A rung may name another build after '@' (LADDER_RUNGS=align,align@/tmp/before): mxprobe rungs
 * run <build>/bin/mxprobe.js, the resolver rung imports <build>/dist/dns/resolver.js.
 */
const base = (rung) => rung.split('@')[0];
const buildOf = (rung) => rung.split('@')[1];

function argsOf(rungName, out) {
  const rung = base(rungName);
  const build = buildOf(rungName);
  if (isCli(rung)) {
    return [
      build ? join(build, 'bin', 'mxprobe.js') : CLI, 'probe', '-f', rung === 'align1' ? one : targets, '--port', String(farm.port), '--concurrency', String(C), '--host-gap', '0',
      '--stop-after', 'ehlo', '--helo', 'probe.bench.example', '--format', 'ndjson', '-o', out, '--quiet',
      '--timeout', String(Math.max(10_000, L * 20)),
      ...(rung === 'align' || rung === 'align1' ? ['--resolver', `127.0.0.1:${dns.port}`] : ['--no-alignment']),
      ...(rung === 'notx' ? ['--no-transcript'] : []),
    ];
  }
  return [join(here, 'floor.mjs'), 'client', String(farm.port), rung, String(dns.port)];
}
const envOf = (rungName) => (buildOf(rungName) && base(rungName) === 'resolver' ? { ...process.env, FLOOR_RESOLVER: join(buildOf(rungName), 'dist', 'dns', 'resolver.js') } : process.env);

async function runOnce(rungName) {
  const rung = base(rungName);
  const out = join(work, `${rung}.ndjson`);
  const q0 = await dnsQueries();
  const load = loadavg()[0].toFixed(1);
  const child = spawn('/usr/bin/time', ['-f', 'BENCHTIME %e %U %S %M', process.execPath, ...argsOf(rungName, out)], { stdio: ['ignore', 'ignore', 'pipe'], env: envOf(rungName) });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  await new Promise((r) => child.on('close', r));
  const m = /BENCHTIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(err);
  if (!m) throw new Error(`${rung}: ${err.slice(-400)}`);
  const queries = (await dnsQueries()) - q0;
  let ok;
  if (isCli(rung)) {
    const text = readFileSync(out, 'utf8');
    ok = (text.match(/"status":"success"/g) ?? []).length;
    const temp = (text.match(/temporary DNS/g) ?? []).length;
    if (temp > 0) ok = `${ok} (${temp} temp DNS)`;
    rmSync(out, { force: true });
  } else {
    const s = /FLOOR sessions (\d+) wall [\d.]+ dnsok (\d+)/.exec(err);
    ok = s ? `${s[1]} sessions, ${s[2]} fcrdns` : '?';
  }
  const cpu = Number(m[2]) + Number(m[3]);
  return { rung: rungName, wall: Number(m[1]), cpu, msPerProbe: (cpu / N) * 1000, rssMb: Math.round(Number(m[4]) / 1024), queries, ok, load };
}

const all = [];
for (let round = 0; round < ROUNDS; round++) {
  // Rotate the order each round so no rung always runs first (the first run of a sitting is slow).
  const order = RUNGS.map((_, i) => RUNGS[(i + round) % RUNGS.length]);
  for (const rung of order) {
    const r = await runOnce(rung);
    all.push(r);
    process.stdout.write(`round ${round + 1} ${rung.padEnd(12)} ${r.msPerProbe.toFixed(3)} ms/probe  cpu ${r.cpu.toFixed(2)} s  wall ${r.wall} s  rss ${r.rssMb} MB  dns ${r.queries}  ${r.ok}  load ${r.load}\n`);
  }
}
const med = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
process.stdout.write(`\n| rung | runs | ms CPU per probe (median) | min | max | DNS queries per probe |\n|---|--:|--:|--:|--:|--:|\n`);
for (const rung of RUNGS) {
  const xs = all.filter((r) => r.rung === rung);
  const v = xs.map((r) => r.msPerProbe);
  process.stdout.write(`| ${rung} | ${xs.length} | ${med(v).toFixed(3)} | ${Math.min(...v).toFixed(3)} | ${Math.max(...v).toFixed(3)} | ${(med(xs.map((r) => r.queries)) / N).toFixed(2)} |\n`);
}
farm.c.send({ type: 'close' });
dns.c.send({ type: 'close' });
rmSync(work, { recursive: true, force: true });
setTimeout(() => process.exit(0), 500).unref();
