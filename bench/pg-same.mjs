#!/usr/bin/env node
// The same run through two builds' `probe --store postgres://…` write path, then every table compared.
//
//   node bench/pg-same.mjs --before /tmp/s12-before --after . --src run.ndjson --pg postgres://postgres@127.0.0.1:5432
//
// Each build's own StoreSink over beginRun, fed host by host with the strings serialiseHost/serialiseTarget make
// (as src/cli/store-hook-open.ts does), writes the NDJSON's hosts and targets into a fresh database of its own
// (dropped and created here, named pgsame_before/pgsame_after, or --db-prefix). The input is made awkward on the way,
// deterministically, so both builds get the same rows:
//   every 97th host: non-ASCII, astral (😀) and a lone surrogate in its banner (record column); an identity name with
//     é, ✓, 😀 (a small column); a cause with quotes, a backslash, a newline and a tab;
//   every 89th host: a 400 KB banner line (a record larger than RecordPack keeps off-heap);
//   every 53rd host: '' instead of null (verdict stage, TLS version) and '' as its target's domain;
//   with --multi (default on): each host gets three probes (primary, secondary, custom), as `--identities all`.
// Then per table md5 of `COPY (SELECT … ORDER BY id) TO STDOUT` (psql). Probe ids are compared apart: main's batch
// statement numbers a batch's probes in the order its hash join emits them, not necessarily host by host, so the
// probes are compared without id, ordered by (host_id, seq), plus a line saying whether the ids agree as well.
// Exit 0 when every compared table is equal (and neither build lost the store), 1 otherwise.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values: a } = parseArgs({
  options: {
    before: { type: 'string', default: '/tmp/s12-before' },
    after: { type: 'string', default: '.' },
    src: { type: 'string' },
    pg: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432' },
    'db-prefix': { type: 'string', default: 'pgsame' },
    multi: { type: 'boolean', default: true },
    'no-multi': { type: 'boolean', default: false },
    limit: { type: 'string' },
    psql: { type: 'string', default: '/usr/lib/postgresql/15/bin/psql' },
  },
});
if (!a.src) throw new Error('--src results.ndjson is required');
const multi = a.multi && !a['no-multi'];
const limit = a.limit ? Number(a.limit) : Infinity;
const psql = (db, sql) => execFileSync(a.psql, ['-X', '-At', '-v', 'ON_ERROR_STOP=1', `${a.pg}/${db}`, '-c', sql], { encoding: 'utf8', maxBuffer: 1 << 30, env: { ...process.env, PGOPTIONS: '-c client_min_messages=warning' } });
const md5 = (db, sql) => {
  const out = psql(db, `COPY (${sql}) TO STDOUT`);
  return `${createHash('md5').update(out).digest('hex')} rows=${out === '' ? 0 : out.split('\n').length - 1}`;
};

function awkward(host, target, i) {
  if (multi && host.probes.length === 1) {
    const p0 = host.probes[0];
    host.probes = [
      p0,
      { ...structuredClone(p0), identity: { ...p0.identity, kind: 'secondary', name: 'b.example' } },
      { ...structuredClone(p0), identity: { ...p0.identity, kind: 'custom', name: 'c.example', source: '127.0.0.2' }, status: 'failure' },
    ];
  }
  const p = host.probes[0];
  if (i % 97 === 0 && p) {
    if (p.banner) p.banner.lines = [`220 mx.exämple ✓ ESMTP 😀 ${i}`, 'lone \ud83d surrogate', 'end'];
    p.identity = { ...p.identity, name: `bäcker✓😀${i}.example` };
    p.verdict = { ...p.verdict, cause: 'a"b\\c\nd\te' };
  }
  if (i % 89 === 0 && p?.banner) p.banner.lines = [...p.banner.lines, `220 ${'ü'.repeat(1000)}${'x'.repeat(400_000)}`];
  if (i % 53 === 0 && p) {
    p.verdict = { ...p.verdict, stage: '' };
    if (p.tls) p.tls = { ...p.tls, protocol: '' };
    target = { ...target, domain: '' };
  }
  return target;
}

async function store(root, db) {
  try {
    psql('postgres', `DROP DATABASE IF EXISTS ${db}`);
  } catch {}
  psql('postgres', `CREATE DATABASE ${db}`);
  const { openStore } = await import(`${root}/dist/store/open.js`);
  const { StoreSink } = await import(`${root}/dist/store/sink.js`);
  const ser = await import(`${root}/dist/store/serialise.js`);
  const s = await openStore(`${a.pg}/${db}`, { cwd: '/tmp', env: {} });
  const warnings = [];
  const sink = await StoreSink.start(s, { startedAt: '2026-12-01T00:00:00.000Z', toolVersion: 'pg-same', options: { multi }, vantage: 'vantage-ä', source: null }, { warn: (m) => warnings.push(m) });
  let i = 0;
  for (const l of readFileSync(a.src, 'utf8').split('\n')) {
    if (!l) continue;
    const o = JSON.parse(l);
    if (o.type === 'host') {
      if (++i > limit) break;
      const { type: _t, target: t0, ...host } = o;
      const target = awkward(host, t0, i);
      await sink.host(host, target, ser.serialiseHost(host, target));
    } else if (o.type === 'target' && i < limit) {
      const { type: _t, ...t } = o;
      const tt = { ...t, hosts: [] };
      await sink.target(tt, ser.serialiseTarget(tt)?.record);
    }
  }
  await sink.finish('2026-12-01T00:01:00.000Z', 'complete');
  await s.close();
  return { lost: sink.lost, warnings };
}

const PROBE_COLS = 'host_id, run_id, seq, vantage, domain, exchange, ip, port, identity_kind, identity_name, source, status, outcome, stage, code, cause, tls_version, cert_fingerprint, cert_not_after, starttls_offered, record';
const res = {};
for (const [name, root] of [
  ['before', resolve(a.before)],
  ['after', resolve(a.after)],
]) {
  const db = `${a['db-prefix']}_${name}`;
  const w = await store(root, db);
  res[name] = {
    ...w,
    runs: md5(db, 'SELECT * FROM runs ORDER BY id'),
    targets: md5(db, 'SELECT * FROM targets ORDER BY id'),
    hosts: md5(db, 'SELECT * FROM hosts ORDER BY id'),
    probes: md5(db, `SELECT ${PROBE_COLS} FROM probes ORDER BY host_id, seq`),
    probeIds: md5(db, 'SELECT id, host_id, seq FROM probes ORDER BY id'),
    astral: psql(db, "SELECT count(*) FROM probes WHERE record LIKE '%😀%' AND identity_name LIKE '%😀%'").trim(),
    big: psql(db, 'SELECT count(*) FROM probes WHERE length(record) > 400000').trim(),
    empty: psql(db, "SELECT count(*) FROM probes WHERE stage = ''").trim(),
  };
}
let same = !res.before.lost && !res.after.lost;
for (const k of ['runs', 'targets', 'hosts', 'probes', 'astral', 'big', 'empty']) {
  const eq = res.before[k] === res.after[k];
  same &&= eq;
  console.log(`${eq ? 'same ' : 'DIFF '} ${k.padEnd(8)} before ${res.before[k]}  after ${res.after[k]}`);
}
console.log(`${res.before.probeIds === res.after.probeIds ? 'same ' : 'other'} probe ids (informational) before ${res.before.probeIds}  after ${res.after.probeIds}`);
for (const n of ['before', 'after']) if (res[n].lost || res[n].warnings.length) console.log(`${n}: store lost=${res[n].lost} ${res[n].warnings.join(' | ')}`);
console.log(same ? 'IDENTICAL' : 'DIFFERENT');
process.exit(same ? 0 : 1);
