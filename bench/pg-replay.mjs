#!/usr/bin/env node
// A/B of `probe --store postgres://…`'s write path without the prober: a stored NDJSON run replayed host by host
// through a build's real StoreSink and PostgreSQL writer (the strings serialiseHost/serialiseTarget make, as
// src/cli/store-hook-open.ts does), COPIES times with the addresses rewritten (COPIES × the file's hosts, distinct).
//
//   node bench/pg-replay.mjs ROOT SRC.ndjson postgres://postgres@127.0.0.1:PORT/DB PGDATA
//
// Prints one JSON line: this process's CPU (user+sys, s; JSON.parse of the input left out, serialising and the
// sink in: both builds do the same there), the server's CPU (the whole cluster: postmaster, live children, reaped children,
// from /proc of PGDATA's postmaster, with a CHECKPOINT before and after so each run pays for its own writes), the
// writer's backends' CPU alone (backendS: the statements, without checkpointer and WAL writer), the WAL it wrote (walMB,
// the cluster's; nothing else writes there during a run),
// and whether the store was lost. Run two builds alternately in one sitting; one run says nothing.
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

const [rootArg, src, url, pgdata] = process.argv.slice(2);
const root = resolve(rootArg);
const COPIES = Number(process.env.COPIES ?? 1);
const req = createRequire(`${root}/dist/store/pg.js`);
const pg = req('pg');
const ser = await import(`${root}/dist/store/serialise.js`);
const { StoreSink } = await import(`${root}/dist/store/sink.js`);
const { openStore } = await import(`${root}/dist/store/open.js`);

const TCK = 100;
function stat(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return f.slice(f.lastIndexOf(')') + 2).split(' ').map(Number);
}
/** Cluster CPU seconds so far: the postmaster (with its reaped children) and its live children. */
function serverCpu() {
  const pm = Number(readFileSync(`${pgdata}/postmaster.pid`, 'utf8').split('\n')[0]);
  const x = stat(pm);
  let t = x[11] + x[12] + x[13] + x[14];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const y = stat(d);
      if (y[1] === pm) t += y[11] + y[12];
    } catch {}
  }
  return t / TCK;
}
async function checkpoint() {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query('CHECKPOINT');
  await c.end();
}
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const lines0 = readFileSync(src, 'utf8')
  .split('\n')
  .filter((l) => l.startsWith('{"type":"host"') || l.startsWith('{"type":"target"'));
const store = await openStore(url, { cwd: '/tmp', env: {} });
const warn = [];
const sink = await StoreSink.start(store, { startedAt: new Date().toISOString(), toolVersion: 'pg-replay', options: {}, vantage: null, source: null }, { warn: (m) => warn.push(m) });
await checkpoint();
const lsn = async () => {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const r = (await c.query('SELECT pg_current_wal_lsn()::text AS l')).rows[0].l;
  await c.end();
  const [hi, lo] = r.split('/').map((x) => parseInt(x, 16));
  return hi * 2 ** 32 + lo;
};
const w0 = await lsn();
const s0 = serverCpu();
const c0 = cpu();
const t0 = performance.now();
let parse = 0;
for (let k = 0; k < COPIES; k++) {
  for (let off = 0; off < lines0.length; off += 200) {
    const p0 = cpu();
    const objs = lines0.slice(off, off + 200).map((l) => JSON.parse(k === 0 ? l : l.replaceAll('"127.', `"1${k}7.`).replaceAll(':127.', `:1${k}7.`)));
    parse += cpu() - p0;
    for (const o of objs) {
      if (o.type === 'host') {
        const { type: _t, target, ...host } = o;
        await sink.host(host, target, ser.serialiseHost(host, target));
      } else {
        const { type: _t, ...t0 } = o;
        const t = { ...t0, hosts: [] };
        await sink.target(t, ser.serialiseTarget(t)?.record);
      }
    }
    // The prober's event loop turns between hosts: queued writes proceed.
    await new Promise((r) => setImmediate(r));
  }
}
await sink.finish(new Date().toISOString(), 'complete');
const procMs = cpu() - c0 - parse;
const wallMs = performance.now() - t0;
// The writer's own backends (application_name mxprobe): the statements' CPU without the cluster's background writers.
const probe = new pg.Client({ connectionString: url });
await probe.connect();
const pids = (await probe.query("SELECT pid FROM pg_stat_activity WHERE application_name = 'mxprobe' AND datname = current_database()")).rows.map((r) => r.pid);
await probe.end();
const backendS = pids.reduce((n, p) => {
  try {
    const y = stat(p);
    return n + (y[11] + y[12]) / TCK;
  } catch {
    return n;
  }
}, 0);
const walMB = ((await lsn()) - w0) / 1e6;
await checkpoint();
const srvS = serverCpu() - s0;
await store.close();
console.log(
  JSON.stringify({
    root,
    packed: process.env.MXPROBE_PG_PACKED ?? null,
    hosts: lines0.filter((l) => l.startsWith('{"type":"host"')).length * COPIES,
    procS: Math.round(procMs) / 1000,
    srvS: Math.round(srvS * 100) / 100,
    backendS: Math.round(backendS * 100) / 100,
    sumS: Math.round((procMs / 1000 + srvS) * 100) / 100,
    wallS: Math.round(wallMs) / 1000,
    walMB: Math.round(walMB * 10) / 10,
    lost: sink.lost,
    warn,
    load: readFileSync('/proc/loadavg', 'utf8').split(' ')[0],
  }),
);
