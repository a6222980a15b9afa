/**
 * The floor under `align-c200` (issue 13 part 3): what a bare Node client costs per session on this
 * machine, measured the same way as mxprobe (user+sys of the whole client process under
 * /usr/bin/time, spawn to exit). Per session: net.connect, read the banner, write EHLO, read the
 * reply, write QUIT, read the 221, destroy: 3 reads, 2 writes, one connect and one close, the
 * least any SMTP client at `--stop-after ehlo` does. No DNS, no parsing beyond "last line has a
 * space after the code", no results written.
 *
 *   node bench/floor.mjs            # 4000 sessions, C=200, L=50 ms, against bench/farm.mjs
 *
 * Env: FLOOR_TARGETS (4000), FLOOR_C (200), BENCH_LATENCY_MS (50). Loopback only.
 *
 * Rungs (issue 13 part 3, session 10; bench/ladder.mjs runs them): `client <port> <rung> <dnsPort>`
 * adds, per session and alongside it, the two queries an align run makes per probe (PTR of the
 * address, then A of the PTR name, RFC 1035), each raced against a 5 s timer as the resolver does:
 *  - bare:     nothing (the floor above);
 *  - cares:    node:dns Resolver channels (c-ares), up to 32 queries per channel, as
 *              src/dns/resolver.ts's lanes use them, without its cache and bookkeeping;
 *  - resolver: mxprobe's own createResolver (dist/dns/resolver.js, or FLOOR_RESOLVER): lanes,
 *              cache, in-flight joins;
 *  - dgram:    one connected node:dgram socket and a minimal hand-written query/answer codec, to
 *              tell c-ares's per-query cost from the syscalls' and the wake-ups'.
 *  - driver:   no DNS; the session through mxprobe's own SMTP client (dist/net/session-driver.js)
 *              instead of the bare one: what the client layers cost before probe results exist.
 *  - runner:   mxprobe's probe runner (dist/probe/run.js runProbes: planner, polite scheduler,
 *              identities, probe-host, results) with the CLI's settings for the ehlo-c200 command
 *              line, no alignment, no transcript, and a sink that drops the results;
 *  - runner-json: the same, and each host and target record serialised to NDJSON (report/json)
 *              and written to /dev/null, as the CLI's output does.
 */
import { fork, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addressAt } from './addresses.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const N = Number(process.env.FLOOR_TARGETS ?? 4000);
const C = Number(process.env.FLOOR_C ?? 200);

if (process.argv[2] === 'client') {
  const port = Number(process.argv[3]);
  const rung = process.argv[4] ?? 'bare';
  const dnsPort = Number(process.argv[5] ?? 0);
  if (rung === 'runner' || rung === 'runner-json') {
    await runnerRung(rung, port, dnsPort);
    process.exit(0);
  }
  const align = rung === 'bare' || rung === 'driver' ? null : await dnsRung(rung, dnsPort);
  // driver: mxprobe's own SMTP client (dist/net/session-driver.js: connector, reply parser,
  // capabilities, timers) instead of the bare session, nothing else of a probe run.
  const runSession = rung === 'driver' ? (await import('../dist/net/session-driver.js')).runSession : null;
  const config = { helo: 'probe.bench.example', stopAfter: 'ehlo', starttls: true, implicitTls: false, mailFrom: '', rcpt: 'postmaster@bench.example' };
  let next = 0;
  let done = 0;
  let dnsOk = 0;
  const session = (ip) =>
    new Promise((resolve) => {
      const s = connect({ host: ip, port });
      let stage = 0;
      s.setEncoding('latin1');
      s.on('data', (d) => {
        if (!/(^|\n)\d{3} [^\n]*\r\n$/.test(d)) return;
        if (stage === 0) s.write('EHLO probe.bench.example\r\n');
        else if (stage === 1) s.write('QUIT\r\n');
        else {
          s.destroy();
          resolve();
        }
        stage++;
      });
      s.on('error', () => resolve());
    });
  const one = (ip) =>
    runSession !== null
      ? runSession(config, { ip, port, servername: null, source: null, timeoutMs: 10_000, deadlineMs: 60_000, transcript: false }).then((r) => { if (r.status !== 'success') throw new Error(`${ip}: ${r.status}`); })
      : align === null
      ? session(ip)
      : Promise.all([session(ip), align(ip).then((ok) => { if (ok) dnsOk++; })]);
  const lane = async () => {
    while (next < N) {
      await one(addressAt(next++));
      done++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: C }, lane));
  process.stderr.write(`FLOOR sessions ${done} wall ${((performance.now() - t0) / 1000).toFixed(2)} dnsok ${dnsOk}\n`);
  process.exit(0);
} else {
  const farm = fork(join(here, 'farm.mjs'), [JSON.stringify({ offset: 0, count: N, port: 0, latencyMs: Number(process.env.BENCH_LATENCY_MS ?? 50), tls: false })], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise((resolve, reject) => {
    farm.on('message', (m) => (m.type === 'ready' ? resolve(m.port) : m.type === 'error' ? reject(new Error(m.message)) : null));
  });
  const child = spawn('/usr/bin/time', ['-f', 'BENCHTIME %e %U %S %M', process.execPath, fileURLToPath(import.meta.url), 'client', String(port)], { stdio: ['ignore', 'inherit', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  await new Promise((r) => child.on('close', r));
  farm.send({ type: 'close' });
  const m = /BENCHTIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(err);
  const s = /FLOOR sessions (\d+)/.exec(err);
  if (!m || !s) {
    process.stderr.write(err);
    process.exit(1);
  }
  const cpu = Number(m[2]) + Number(m[3]);
  process.stdout.write(`floor: ${s[1]} bare sessions (connect, 3 reads, 2 writes, close), C=${C}: wall ${m[1]} s, CPU ${cpu.toFixed(2)} s (user ${m[2]} + sys ${m[3]}) = ${((cpu / Number(s[1])) * 1000).toFixed(3)} ms per session, peak RSS ${Math.round(Number(m[4]) / 1024)} MB\n`);
}

/** ip → 'd.c.b.a.in-addr.arpa' (RFC 1035 §3.5). */
function reverse4(ip) {
  const p = ip.split('.');
  return `${p[3]}.${p[2]}.${p[1]}.${p[0]}.in-addr.arpa`;
}

/**
 * The per-probe DNS work of a rung: (ip) => Promise<boolean>, true when the PTR name's A includes
 * the address (forward-confirmed, as the fcrdns check asks). Every query has a 5 s deadline timer.
 */
async function dnsRung(rung, dnsPort) {
  const server = `127.0.0.1:${dnsPort}`;
  const DEADLINE = 5000;
  if (rung === 'resolver') {
    // FLOOR_RESOLVER: another build's dist/dns/resolver.js, to compare two resolvers.
    const { createResolver } = await import(process.env.FLOOR_RESOLVER ?? '../dist/dns/resolver.js');
    const r = createResolver({ servers: [server], timeoutMs: DEADLINE });
    return async (ip) => {
      const ptr = await r.ptr(ip);
      if (ptr.status !== 'ok') return false;
      const a = await r.a(ptr.records[0], { cnames: false });
      return a.status === 'ok' && a.records.includes(ip);
    };
  }
  if (rung === 'cares') {
    const dns = await import('node:dns');
    // Lanes as src/dns/resolver.ts has them: a channel carries up to 32 queries, `tries: 1`.
    const lanes = [];
    const lane = () => {
      let best;
      for (const l of lanes) if (best === undefined || l.live < best.live) best = l;
      if (best !== undefined && (best.live < 32 || lanes.length >= 32)) return best;
      const c = new dns.promises.Resolver({ timeout: DEADLINE, tries: 1 });
      c.setServers([server]);
      const l = { c, live: 0 };
      lanes.push(l);
      return l;
    };
    const q = (type, name) =>
      new Promise((resolve) => {
        const l = lane();
        l.live++;
        const timer = setTimeout(() => resolve(null), DEADLINE);
        (type === 'PTR' ? l.c.resolvePtr(name) : l.c.resolve4(name)).then(
          (r) => { l.live--; clearTimeout(timer); resolve(r); },
          () => { l.live--; clearTimeout(timer); resolve(null); },
        );
      });
    return async (ip) => {
      const ptr = await q('PTR', reverse4(ip));
      if (ptr === null || ptr.length === 0) return false;
      const a = await q('A', ptr[0]);
      return a !== null && a.includes(ip);
    };
  }
  if (rung === 'dgram') {
    const { createSocket } = await import('node:dgram');
    // One socket takes every answer: 200 answers in flight overflow the default 208 KB receive
    // buffer (seen as RcvbufErrors in /proc/net/snmp), c-ares spreads them over one socket per lane.
    const sock = createSocket({ type: 'udp4', recvBufferSize: 1 << 20 });
    await new Promise((r) => sock.connect(dnsPort, '127.0.0.1', r));
    sock.unref();
    const pending = new Map();
    let nextId = 1;
    sock.on('message', (msg) => {
      if (msg.length < 12) return;
      const p = pending.get(msg.readUInt16BE(0));
      if (p === undefined) return;
      pending.delete(msg.readUInt16BE(0));
      clearTimeout(p.timer);
      p.resolve(decode(msg, p.type));
    });
    const q = (type, name) =>
      new Promise((resolve) => {
        let id = nextId;
        nextId = (nextId + 1) & 0xffff || 1;
        while (pending.has(id)) id = (id + 1) & 0xffff || 1;
        const timer = setTimeout(() => { pending.delete(id); resolve(null); }, DEADLINE);
        pending.set(id, { type, resolve, timer });
        sock.send(encode(id, name, type === 'PTR' ? 12 : 1));
      });
    return async (ip) => {
      const ptr = await q('PTR', reverse4(ip));
      if (ptr === null || ptr.length === 0) return false;
      const a = await q('A', ptr[0]);
      return a !== null && a.includes(ip);
    };
  }
  throw new Error(`unknown rung ${rung}`);
}

/** A standard query, RD set, one question of class IN (RFC 1035 §4.1). */
function encode(id, name, qtype) {
  const buf = Buffer.allocUnsafe(12 + name.length + 2 + 4);
  buf.writeUInt16BE(id, 0);
  buf.writeUInt16BE(0x0100, 2);
  buf.writeUInt16BE(1, 4);
  buf.writeUInt32BE(0, 6);
  buf.writeUInt16BE(0, 10);
  let o = 12;
  for (const label of name.split('.')) {
    buf[o++] = label.length;
    o += buf.latin1Write(label, o);
  }
  buf[o++] = 0;
  buf.writeUInt16BE(qtype, o);
  buf.writeUInt16BE(1, o + 2);
  return buf;
}

/** A name at `o` with compression pointers (RFC 1035 §4.1.4): [name, offset after it]. */
function readName(msg, o) {
  const labels = [];
  let end = -1;
  for (let hops = 0; hops < 64; hops++) {
    const len = msg[o];
    if (len === undefined) return null;
    if (len === 0) return [labels.join('.'), end === -1 ? o + 1 : end];
    if ((len & 0xc0) === 0xc0) {
      if (end === -1) end = o + 2;
      o = ((len & 0x3f) << 8) | msg[o + 1];
      continue;
    }
    labels.push(msg.latin1Slice(o + 1, o + 1 + len));
    o += len + 1;
  }
  return null;
}

/** The records of the asked type (PTR names or A addresses), [] for NXDOMAIN/NODATA, null on error. */
function decode(msg, type) {
  if ((msg[2] & 0x80) === 0 || (msg[2] & 0x02) !== 0) return null; // not a response, or TC
  const rcode = msg[3] & 0x0f;
  if (rcode === 3) return [];
  if (rcode !== 0) return null;
  const an = msg.readUInt16BE(6);
  let o = 12;
  for (let i = msg.readUInt16BE(4); i > 0; i--) {
    const n = readName(msg, o);
    if (n === null) return null;
    o = n[1] + 4;
  }
  const out = [];
  const want = type === 'PTR' ? 12 : 1;
  for (let i = 0; i < an; i++) {
    const n = readName(msg, o);
    if (n === null) return null;
    o = n[1];
    const rtype = msg.readUInt16BE(o);
    const rdlen = msg.readUInt16BE(o + 8);
    const rd = o + 10;
    if (rtype === want) {
      if (want === 1 && rdlen === 4) out.push(`${msg[rd]}.${msg[rd + 1]}.${msg[rd + 2]}.${msg[rd + 3]}`);
      else if (want === 12) {
        const t = readName(msg, rd);
        if (t === null) return null;
        out.push(t[0]);
      }
    }
    o = rd + rdlen;
  }
  return out;
}

/** The runner rungs: runProbes on the farm's addresses as IP targets, no DNS, results dropped. */
async function runnerRung(rung, port, dnsPort) {
  const { runProbes } = await import('../dist/probe/run.js');
  const { createResolver } = await import('../dist/dns/resolver.js');
  const json = rung === 'runner-json' ? await import('../dist/report/json.js') : null;
  const { openSync, writeSync } = await import('node:fs');
  const fd = json ? openSync('/dev/null', 'w') : -1;
  let hosts = 0;
  let success = 0;
  async function* targets() {
    for (let i = 0; i < N; i++) {
      const ip = addressAt(i);
      yield { input: ip, origin: `ladder:${i + 1}`, kind: 'ip', name: ip, display: ip, port: null, family: 4 };
    }
  }
  const options = {
    port, concurrency: C, hostGapMs: 0, helo: 'probe.bench.example', identityKinds: ['primary'], customIdentities: [],
    sources: [null], mailFrom: null, rcpt: null, mismatchName: null, family: 'any', shareHosts: true,
    stopAfter: 'ehlo', starttls: true, starttlsFallback: true, implicitTls: false, timeoutMs: 10_000, deadlineMs: 60_000,
    retries: 0, retryGreylistSec: null, transcript: false,
  };
  // Written in ~64 KB pieces, as the CLI's output batches its records.
  let pending = [];
  let size = 0;
  const put = (line) => {
    pending.push(line);
    size += line.length;
    if (size >= 65536) {
      writeSync(fd, Buffer.from(pending.join('')));
      pending = [];
      size = 0;
    }
  };
  const sink = {
    host(host, target) {
      hosts++;
      for (const p of host.probes) if (p.status === 'success') success++;
      if (json) put(json.ndjsonHost(host, target));
    },
    target(t) {
      if (json) put(json.ndjsonTarget(t));
    },
  };
  const t0 = performance.now();
  await runProbes(targets(), options, { resolver: createResolver({ servers: [`127.0.0.1:${dnsPort || 53}`] }) }, sink);
  if (json && size > 0) writeSync(fd, Buffer.from(pending.join('')));
  if (success !== N) throw new Error(`runner: ${success} successes of ${N} (${hosts} hosts)`);
  process.stderr.write(`FLOOR sessions ${success} wall ${((performance.now() - t0) / 1000).toFixed(2)} dnsok 0\n`);
}
