/**
 * The logs ladder (issue 14, session 11): how fast can Node read a mail log with what `mxprobe logs`
 * must compute? Whole processes (spawn to exit, as a user runs them) on one generated classic-syslog
 * Postfix log (bench/logs-gen.mjs), each rung a small standalone script in bench/logs-ladder/ that
 * adds ONE piece of issue 14 to the rung below:
 *
 *   wc         wc -l: the floor of any reader
 *   r0         node -e 0: starting node (NODE_EXTRA_CA_CERTS included when the environment sets it)
 *   r1         read the file in 4 MiB blocks, count lines (native Buffer#indexOf)
 *   r2         + each line's classic header checked on its bytes, pflogsumm's six totals
 *   r3         + per destination domain, per MX host/IP, per relay (syslog host) counts
 *   r4         + the queue-id table: per message and recipient, "deferred" (first deferral) and
 *                "delivered after a deferral", forgotten at "removed"
 *   r5         + each refusal's reply parsed (code, enhanced code, stage from "(in reply to X command)"),
 *                normalised (addresses, IPs, tokens) and classified by mxprobe's classifier
 *                (dist/analysis/classify.js), cached per normalised text; causes per relay,
 *                destination and relay x domain, distinct replies
 *   r6         + inbound: NOQUEUE/QID reject lines by the check that fired, per service and relay;
 *                helo=<> names once per smtpd session, their form, the share failing each HELO rule
 *   r7         + time: the year inferred as mxprobe does, first/last, counts per hour
 *   r8         + the JSON document: every list sorted as mxprobe sorts it, rates, the HELO/PTR
 *                targets, printed with JSON.stringify(doc, null, 2)
 *   pflogsumm  /usr/sbin/pflogsumm FILE (the reference of the 10x goal)
 *   mxprobe    node bin/mxprobe.js logs FILE --format json (this build; LADDER_BASE adds another)
 *   mxprobe-1line  the same on the file's first line: mxprobe's fixed cost (start-up, modules)
 *
 * Every rung prints what it computed in the shape of mxprobe's JSON; the ladder checks each field it
 * printed against mxprobe's JSON on the same file (lists matched by their names, every entry
 * present, map-like objects such as `causes` with the same keys) and stops with the difference when
 * one differs: a rung that computes wrong numbers fast proves nothing. pflogsumm's Grand Totals
 * are checked against mxprobe's totals the same way.
 *
 *   node bench/logs-ladder.mjs                         # 1M lines, 3 rounds, order rotated per round
 *   LADDER_ROUNDS=5 LADDER_ONLY=r2,r8,mxprobe LADDER_BASE=/tmp/s11-before/bin/mxprobe.js node bench/logs-ladder.mjs
 *   LADDER_FILE=/path/mail.log (reuse a generated file), LADDER_LINES (default 1,000,000),
 *   LADDER_OUT=file.md (append the runs and the table)
 *
 * Measured: wall, user+sys CPU and peak RSS of each process under GNU time (/usr/bin/time), the
 * load average before each run. The machine is shared: prefer CPU, and compare only runs of the
 * same sitting.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const ROUNDS = Number(process.env.LADDER_ROUNDS ?? 3);
const LINES = Number(process.env.LADDER_LINES ?? 1_000_000);
const CLI = process.env.LADDER_CLI ?? join(root, 'bin', 'mxprobe.js');
const BASE = process.env.LADDER_BASE ?? null;
const OUT = process.env.LADDER_OUT ?? null;
// The goal in seconds on this machine when it is quiet: pflogsumm reads the 1M-line file in
// ~4.4 s there, so 10x is <= 0.44 s for the whole process. (Under load pflogsumm slows too: the
// same-sitting threshold, pflogsumm's median / 10, is its own column.)
const GOAL_S = Number(process.env.LADDER_GOAL_S ?? 0.44);
const PFLOGSUMM = '/usr/sbin/pflogsumm';

const work = mkdtempSync(join(tmpdir(), 'logs-ladder-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true })); // (also when a check fails)
const file = process.env.LADDER_FILE ?? join(work, 'mail.log');
if (!process.env.LADDER_FILE) spawnSync(process.execPath, [join(here, 'logs-gen.mjs'), String(LINES), file], { stdio: 'inherit' });
const one = join(work, 'one.log');
writeFileSync(one, readFileSync(file).subarray(0, 4096).toString('latin1').split('\n')[0] + '\n');

const RUNGS = [
  ['r1', 'r1-lines.mjs'],
  ['r2', 'r2-totals.mjs'],
  ['r3', 'r3-dest.mjs'],
  ['r4', 'r4-queue.mjs'],
  ['r5', 'r5-replies.mjs'],
  ['r6', 'r6-inbound.mjs'],
  ['r7', 'r7-time.mjs'],
  ['r8', 'r8-json.mjs'],
];
const ENTRIES = [
  { id: 'wc', argv: ['wc', '-l', file] },
  { id: 'r0', argv: [process.execPath, '-e', '0'] },
  ...RUNGS.map(([id, f]) => ({ id, argv: [process.execPath, join(here, 'logs-ladder', f), file], rung: true })),
  ...(existsSync(PFLOGSUMM) ? [{ id: 'pflogsumm', argv: [PFLOGSUMM, '-u', '0', '-h', '0', file], pf: true }] : []),
  { id: 'mxprobe', argv: [process.execPath, CLI, 'logs', file, '--format', 'json'], mx: true },
  // The fixed cost of an mxprobe logs run (start-up, its module graph, the JSON of a tiny document): one line.
  { id: 'mxprobe-1line', argv: [process.execPath, CLI, 'logs', one, '--format', 'json'], one: true },
  ...(BASE ? [{ id: 'mxprobe-base', argv: [process.execPath, BASE, 'logs', file, '--format', 'json'], mx: true }] : []),
].filter((e) => !process.env.LADDER_ONLY || process.env.LADDER_ONLY.split(',').includes(e.id));

function timed(argv) {
  const tf = join(work, 'time');
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', '-o', tf, ...argv], { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${(r.stderr ?? '').slice(-1500)}`);
  const t = readFileSync(tf, 'utf8').trim().split('\n').pop().split(' ').map(Number);
  return { stdout: r.stdout, wall: t[0], cpu: Math.round((t[1] + t[2]) * 100) / 100, rssMb: Math.round(t[3] / 1024) };
}

// ---- checking a rung's fields against mxprobe's document ----

/** Fields that name an entry of a list (a relay, a domain, an MX, a reply...): entries are matched by them. */
const ID_FIELDS = ['service', 'relay', 'domain', 'cause', 'check', 'host', 'ip', 'text', 'code', 'enhanced', 'name', 'start', 'rule'];
/** Objects that are maps (cause -> count, check -> count): the same keys on both sides, not a subset. */
const MAPS = new Set(['causes', 'rejects', 'symbols']);
const idOf = (o, fields) => fields.map((f) => JSON.stringify(o[f])).join('|');

export function compare(ours, ref, path = '', key = '') {
  if (Array.isArray(ours)) {
    if (!Array.isArray(ref)) return [`${path}: a list here, ${JSON.stringify(ref)} in mxprobe's`];
    if (ours.length !== ref.length) return [`${path}: ${ours.length} entries, mxprobe ${ref.length}`];
    if (ours.length === 0) return [];
    if (typeof ours[0] !== 'object' || ours[0] === null) return JSON.stringify(ours) === JSON.stringify(ref) ? [] : [`${path}: ${JSON.stringify(ours).slice(0, 200)} != ${JSON.stringify(ref).slice(0, 200)}`];
    const fields = ID_FIELDS.filter((f) => f in ours[0] && (typeof ours[0][f] !== 'object' || ours[0][f] === null));
    const byId = new Map(ref.map((o) => [idOf(o, fields), o]));
    // (Names that do not tell mxprobe's entries apart would match the wrong one: say so instead.)
    if (byId.size !== ref.length) return [`${path}: the fields ${fields.join(',')} do not name mxprobe's entries apart`];
    const out = [];
    for (const o of ours) {
      const id = idOf(o, fields);
      const r = byId.get(id);
      if (r === undefined) out.push(`${path}[${id}]: not in mxprobe's list`);
      else out.push(...compare(o, r, `${path}[${id}]`));
      if (out.length > 10) break;
    }
    return out;
  }
  if (ours !== null && typeof ours === 'object') {
    if (ref === null || typeof ref !== 'object') return [`${path}: an object here, ${JSON.stringify(ref)} in mxprobe's`];
    const out = [];
    if (MAPS.has(key)) {
      const a = Object.keys(ours).sort().join(',');
      const b = Object.keys(ref).sort().join(',');
      if (a !== b) out.push(`${path}: keys ${a} != mxprobe's ${b}`);
    }
    for (const k of Object.keys(ours)) {
      if (!(k in ref)) out.push(`${path}.${k}: not in mxprobe's document`);
      else out.push(...compare(ours[k], ref[k], `${path}.${k}`, k));
    }
    return out;
  }
  return ours === ref ? [] : [`${path}: ${JSON.stringify(ours)} != mxprobe ${JSON.stringify(ref)}`];
}
/** How many leaf values a rung's output holds (so the report says what was checked). */
const leaves = (v) => (Array.isArray(v) ? v.reduce((n, x) => n + leaves(x), 0) : v !== null && typeof v === 'object' ? Object.values(v).reduce((n, x) => n + leaves(x), 0) : 1);

function pflogsummTotals(text) {
  const grab = (re) => {
    const m = re.exec(text);
    return m ? Number(m[1]) * (m[2] === 'k' ? 1000 : m[2] === 'm' ? 1_000_000 : 1) : null;
  };
  return {
    received: grab(/^\s*(\d+)([km]?)\s+received$/m),
    delivered: grab(/^\s*(\d+)([km]?)\s+delivered$/m),
    deferred: grab(/^\s*(\d+)([km]?)\s+deferred/m),
    deferrals: grab(/deferred\s+\((\d+)([km]?)\s+deferrals\)/m) ?? 0,
    bounced: grab(/^\s*(\d+)([km]?)\s+bounced$/m),
    rejected: grab(/^\s*(\d+)([km]?)\s+rejected \(/m),
  };
}

// The reference: mxprobe's document on this file (untimed run; each timed mxprobe run must print the same).
const refText = timed([process.execPath, CLI, 'logs', file, '--format', 'json']).stdout;
const ref = JSON.parse(refText);
const lines = ref.lines.total;
const say = (s) => {
  process.stdout.write(`${s}\n`);
  if (OUT) appendFileSync(OUT, `${s}\n`);
};
say(`logs ladder: ${lines.toLocaleString('en-US')} lines (${file}), ${ROUNDS} rounds, ${cpus().length} CPUs, ${process.version}, NODE_EXTRA_CA_CERTS ${process.env.NODE_EXTRA_CA_CERTS ? 'set' : 'unset'}, ${new Date().toISOString()}`);

const all = [];
const checked = new Map();
for (let round = 0; round < ROUNDS; round++) {
  // Rotate the order each round so no entry always runs first (or always after the same one).
  const order = ENTRIES.map((_, i) => ENTRIES[(i + round) % ENTRIES.length]);
  for (const e of order) {
    const load = loadavg()[0].toFixed(1);
    const r = timed(e.argv);
    let note = '';
    if (e.rung) {
      const ours = JSON.parse(r.stdout);
      const diff = compare(ours, ref);
      if (diff.length > 0) throw new Error(`${e.id} differs from mxprobe's JSON on the same file:\n  ${diff.slice(0, 10).join('\n  ')}`);
      checked.set(e.id, leaves(ours));
      note = `${leaves(ours)} values = mxprobe's`;
      if (e.id === 'r8') {
        // The document itself: byte for byte mxprobe's, without the members the rung does not compute.
        const want = Object.fromEntries(Object.entries(ref).filter(([k]) => k in ours));
        if (`${JSON.stringify(want, null, 2)}\n` !== r.stdout) throw new Error(`r8: its document is not byte-identical to mxprobe's (without ${Object.keys(ref).filter((k) => !(k in ours)).join(', ')})`);
        checked.set(e.id, `${leaves(ours)} values, byte-identical`);
        note += ', byte-identical';
      }
    } else if (e.mx) {
      const same = JSON.stringify(JSON.parse(r.stdout)) === JSON.stringify(ref);
      if (!same) throw new Error(`${e.id}: its JSON differs from the reference run's`);
      note = 'JSON = reference';
    } else if (e.one) {
      if (JSON.parse(r.stdout).lines.total !== 1) throw new Error(`${e.id}: not one line read`);
      note = 'fixed cost (1 line)';
    } else if (e.pf) {
      const pf = pflogsummTotals(r.stdout);
      const diff = compare(pf, ref.totals, 'totals');
      if (diff.length > 0) throw new Error(`pflogsumm's Grand Totals differ from mxprobe's: ${diff.join('; ')}`);
      note = 'totals = mxprobe';
    }
    all.push({ id: e.id, round, load, ...r });
    say(`round ${round + 1} ${e.id.padEnd(13)} wall ${r.wall.toFixed(2)} s  cpu ${r.cpu.toFixed(2)} s  rss ${String(r.rssMb).padStart(4)} MB  load ${load}  ${note}`);
  }
}

const med = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const stat = (id, f) => {
  const xs = all.filter((r) => r.id === id).map(f);
  return { med: med(xs), min: Math.min(...xs), max: Math.max(...xs) };
};
const pf = ENTRIES.some((e) => e.pf) ? { wall: stat('pflogsumm', (r) => r.wall).med, cpu: stat('pflogsumm', (r) => r.cpu).med } : null;
const rows = [
  `| entry | runs | wall s (median) | min-max | CPU s (median) | min-max | peak RSS MB | lines/s (wall) | x pflogsumm wall | x pflogsumm CPU | under pflogsumm/10 (wall, CPU) | under ${GOAL_S} s (wall, CPU) | checked |`,
  '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|---|---|',
];
for (const e of ENTRIES) {
  const w = stat(e.id, (r) => r.wall);
  const c = stat(e.id, (r) => r.cpu);
  const m = stat(e.id, (r) => r.rssMb);
  const n = all.filter((r) => r.id === e.id).length;
  const xw = pf ? `x${(pf.wall / w.med).toFixed(1)}` : '-';
  const xc = pf ? `x${(pf.cpu / Math.max(c.med, 0.005)).toFixed(1)}` : '-';
  const under = pf ? `${w.med <= pf.wall / 10 ? 'yes' : 'no'}, ${c.med <= pf.cpu / 10 ? 'yes' : 'no'}` : '-';
  const chk = e.rung ? (typeof checked.get(e.id) === 'number' ? `${checked.get(e.id)} values` : checked.get(e.id)) : e.pf ? 'totals' : e.mx ? 'whole JSON' : e.one ? '1 line' : '-';
  rows.push(`| ${e.id} | ${n} | ${w.med.toFixed(2)} | ${w.min.toFixed(2)}-${w.max.toFixed(2)} | ${c.med.toFixed(2)} | ${c.min.toFixed(2)}-${c.max.toFixed(2)} | ${m.med} | ${Math.round(lines / w.med).toLocaleString('en-US')} | ${xw} | ${xc} | ${under} | ${w.med <= GOAL_S ? 'yes' : 'no'}, ${c.med <= GOAL_S ? 'yes' : 'no'} | ${chk} |`);
}
say('');
say(rows.join('\n'));
if (pf) say(`\n10x pflogsumm in this sitting: wall <= ${(pf.wall / 10).toFixed(3)} s, CPU <= ${(pf.cpu / 10).toFixed(3)} s (pflogsumm medians ${pf.wall} s wall, ${pf.cpu} s CPU); load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} at the end`);
rmSync(work, { recursive: true, force: true });
