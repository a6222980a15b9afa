/**
 * The bench's DNS server for the farm (issue 13 part 3): a UDP responder on a loopback port, in its
 * own process (forked by bench/run.mjs) so its CPU is counted apart from the prober's, as the
 * SMTP farm's is. It answers at once (the latency bound is about SMTP replies, not DNS).
 *
 * Zone (all synthetic, nothing leaves loopback):
 *  - PTR of every farm address 127.a.b.c (a ≥ 64, see addresses.mjs) → h-a-b-c.farm.bench.example
 *  - A of h-a-b-c.farm.bench.example → 127.a.b.c, so forward-confirmed reverse DNS passes; for one
 *    address in MISMATCH_EVERY the A points elsewhere (127.a.b.(c+1)), so FCrDNS fails there and
 *    the alignment code has both outcomes to judge
 *  - the prober's side: PTR of 127.0.0.1 → probe.bench.example, whose A is 127.0.0.1 and whose
 *    TXT is an SPF record passing 127.0.0.0/8 (RFC 7208)
 *  - everything else under those names: NODATA (NOERROR, no answer); any other name: NXDOMAIN.
 *
 * IPC: parent → {type:'stats'} | {type:'close'}; server → {type:'ready', port} | {type:'stats', …}.
 */
import { createSocket } from 'node:dgram';
import dnsPacket from 'dns-packet';

export const MISMATCH_EVERY = 20;
const PROBE_NAME = 'probe.bench.example';
const stats = { queries: 0, byType: {}, errors: 0 };

function farmPtrName(a, b, c) {
  return `h-${a}-${b}-${c}.farm.bench.example`;
}

/** The answers for one question: { rcode, answers }. */
function answer(q) {
  const name = q.name.toLowerCase().replace(/\.$/, '');
  const type = q.type;
  let m = /^(\d+)\.(\d+)\.(\d+)\.127\.in-addr\.arpa$/.exec(name);
  if (m) {
    const [c, b, a] = [Number(m[1]), Number(m[2]), Number(m[3])];
    if (a === 0 && b === 0 && c === 1) {
      return type === 'PTR' ? { rcode: 'NOERROR', answers: [{ name: q.name, type: 'PTR', ttl: 300, data: PROBE_NAME }] } : { rcode: 'NOERROR', answers: [] };
    }
    if (a >= 64 && a <= 127 && b <= 255 && c <= 255) {
      return type === 'PTR' ? { rcode: 'NOERROR', answers: [{ name: q.name, type: 'PTR', ttl: 300, data: farmPtrName(a, b, c) }] } : { rcode: 'NOERROR', answers: [] };
    }
    return { rcode: 'NXDOMAIN', answers: [] };
  }
  m = /^h-(\d+)-(\d+)-(\d+)\.farm\.bench\.example$/.exec(name);
  if (m) {
    const [a, b, c] = [Number(m[1]), Number(m[2]), Number(m[3])];
    if (type !== 'A') return { rcode: 'NOERROR', answers: [] };
    const last = c % MISMATCH_EVERY === 0 ? c + 1 : c;
    return { rcode: 'NOERROR', answers: [{ name: q.name, type: 'A', ttl: 300, data: `127.${a}.${b}.${last}` }] };
  }
  if (name === PROBE_NAME) {
    if (type === 'A') return { rcode: 'NOERROR', answers: [{ name: q.name, type: 'A', ttl: 300, data: '127.0.0.1' }] };
    if (type === 'TXT') return { rcode: 'NOERROR', answers: [{ name: q.name, type: 'TXT', ttl: 300, data: ['v=spf1 ip4:127.0.0.0/8 -all'] }] };
    return { rcode: 'NOERROR', answers: [] };
  }
  if (name === 'bench.example' || name === 'farm.bench.example') return { rcode: 'NOERROR', answers: [] };
  return { rcode: 'NXDOMAIN', answers: [] };
}

/**
 * The hot path without dns-packet: the farm's questions are plain (one question, class IN, no
 * compression in a query), so the reply is the query's header and question copied, the flags set,
 * and at most one answer whose owner is a pointer to the question (0xC00C, RFC 1035 §4.1.4).
 * dns-packet's decode + encode cost about 0.13 ms of this process's CPU per query, as much as the
 * prober's whole DNS work per query, on the same two cores (issue 13 part 3, session 6). Anything
 * else (EDNS, several questions, a malformed datagram) still goes through dns-packet.
 */
const FAST = process.env.BENCH_DNS_FAST !== '0';
const TYPES = { 1: 'A', 28: 'AAAA', 12: 'PTR', 16: 'TXT', 15: 'MX', 5: 'CNAME', 2: 'NS', 6: 'SOA' };
function fastReply(msg) {
  // One question, no answer/authority; an OPT record (EDNS, RFC 6891) may follow and is ignored,
  // as the dns-packet path ignores it (neither echoes OPT).
  if (!FAST || msg.length < 17 || (msg[2] & 0x80) !== 0 || msg.readUInt16BE(4) !== 1 || msg.readUInt32BE(6) !== 0 || msg.readUInt16BE(10) > 1) return null;
  let pos = 12;
  const labels = [];
  for (;;) {
    const len = msg[pos];
    if (len === undefined || len > 63) return null;
    if (len === 0) break;
    if (pos + 1 + len > msg.length) return null;
    labels.push(msg.latin1Slice(pos + 1, pos + 1 + len));
    pos += len + 1;
  }
  const qend = pos + 5;
  if (qend > msg.length || msg.readUInt16BE(pos + 3) !== 1) return null;
  const type = TYPES[msg.readUInt16BE(pos + 1)] ?? String(msg.readUInt16BE(pos + 1));
  const q = { name: labels.join('.'), type };
  stats.queries++;
  stats.byType[type] = (stats.byType[type] ?? 0) + 1;
  const { rcode, answers } = answer(q);
  const a = answers[0];
  let rdata = null;
  if (a) {
    if (a.type === 'A') rdata = Buffer.from(a.data.split('.').map(Number));
    else if (a.type === 'PTR') {
      const parts = a.data.split('.');
      rdata = Buffer.alloc(a.data.length + 2);
      let o = 0;
      for (const l of parts) {
        rdata[o++] = l.length;
        rdata.write(l, o, 'latin1');
        o += l.length;
      }
      rdata[o] = 0;
    } else if (a.type === 'TXT') {
      const t = Buffer.from(a.data[0], 'latin1');
      rdata = Buffer.concat([Buffer.from([t.length]), t]);
    } else return { fallback: q };
  }
  const out = Buffer.alloc(qend + (rdata ? 12 + rdata.length : 0));
  msg.copy(out, 0, 0, qend);
  // QR, opcode 0, AA, RD copied, RA, rcode (as the dns-packet path sets them).
  out[2] = 0x84 | (msg[2] & 0x01);
  out[3] = 0x80 | (rcode === 'NXDOMAIN' ? 3 : 0);
  out.writeUInt16BE(rdata ? 1 : 0, 6);
  out.writeUInt32BE(0, 8); // no authority, no additional
  if (rdata) {
    let o = qend;
    out.writeUInt16BE(0xc00c, o);
    out.writeUInt16BE(msg.readUInt16BE(pos + 1), o + 2);
    out.writeUInt16BE(1, o + 4);
    out.writeUInt32BE(a.ttl, o + 6);
    out.writeUInt16BE(rdata.length, o + 10);
    rdata.copy(out, o + 12);
  }
  return { reply: out };
}

// A burst of 200 queries must not overflow the socket while this process is busy (the kernel caps
// the size at net.core.rmem_max).
const sock = createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
sock.on('message', (msg, rinfo) => {
  const fast = fastReply(msg);
  if (fast?.reply) {
    sock.send(fast.reply, rinfo.port, rinfo.address);
    return;
  }
  if (fast?.fallback) {
    // Counted already by fastReply; answered below through dns-packet.
    stats.queries--;
    stats.byType[fast.fallback.type]--;
  }
  let query;
  try {
    query = dnsPacket.decode(msg);
  } catch {
    stats.errors++;
    return;
  }
  const q = query.questions?.[0];
  if (!q) return;
  stats.queries++;
  stats.byType[q.type] = (stats.byType[q.type] ?? 0) + 1;
  const { rcode, answers } = answer(q);
  const reply = dnsPacket.encode({
    id: query.id,
    type: 'response',
    // AA, RD copied, RA; dns-packet encodes the rcode only as the low 4 bits of the flags.
    flags: dnsPacket.AUTHORITATIVE_ANSWER | (query.flags & dnsPacket.RECURSION_DESIRED) | dnsPacket.RECURSION_AVAILABLE | (rcode === 'NXDOMAIN' ? 3 : 0),
    questions: [q],
    answers,
  });
  sock.send(reply, rinfo.port, rinfo.address);
});
sock.on('error', (err) => {
  process.send?.({ type: 'error', message: String(err?.message ?? err) });
  process.exit(1);
});
sock.bind(0, '127.0.0.1', () => {
  process.send?.({ type: 'ready', port: sock.address().port });
});

process.on('message', (msg) => {
  if (msg?.type === 'stats') {
    const cpu = process.cpuUsage();
    process.send?.({ type: 'stats', id: msg.id, cpuUser: cpu.user, cpuSystem: cpu.system, queries: stats.queries, byType: { ...stats.byType }, errors: stats.errors });
  } else if (msg?.type === 'close') {
    sock.close();
    process.exit(0);
  }
});
// Never outlives its parent.
process.on('disconnect', () => process.exit(0));
