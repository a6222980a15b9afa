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

const sock = createSocket('udp4');
sock.on('message', (msg, rinfo) => {
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
