/**
 * A small authoritative DNS server over UDP (node:dgram + dns-packet) that answers from an
 * in-memory Zone. It backs the embedded demo lab (`mxprobe demo`), the test suites and the
 * benchmarks, so it answers straight from precomputed maps and allocates little per query.
 *
 * What it does, in order, per datagram:
 *  1. decode; a datagram that does not parse gets FORMERR when it has a header to echo
 *     (RFC 1035 §4.1.1), otherwise it is ignored; responses sent to us are ignored;
 *  2. log the question (name lower-cased, type), count it;
 *  3. `drop` names: no answer at all (the client times out);
 *     `servfail` / `refused` names: that rcode, empty answer (entries may name one type:
 *     "host AAAA");
 *  4. otherwise walk the zone: a CNAME owner answers the CNAME and, when the target is in the
 *     zone, the target's records of the asked type (RFC 1034 §4.3.2 step 3a; chains followed,
 *     loops cut); an absent name is NXDOMAIN unless it is an empty non-terminal, which is
 *     NOERROR/NODATA (RFC 8020 §2); a present name without the type is NODATA (RFC 2308 §2.2);
 *  5. reply with AA set, the question echoed, RD copied, and an OPT record when the query had
 *     one (RFC 6891 §7). A reply larger than the client's UDP limit is sent truncated (TC) with no
 *     answers, and the client retries over TCP: the same port also listens on TCP (RFC 7766),
 *     two-octet length framing (RFC 1035 §4.2.2). Both transports count in queries()/queryLog().
 */
import { createSocket, type Socket } from 'node:dgram';
import { createServer, isIPv6, type Server as NetServer, type Socket as NetSocket } from 'node:net';
import dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, Packet, Question } from 'dns-packet';
import { normalizeName } from '../dns/cache.js';
import { normalizeFailureEntry, type Zone, type ZoneRecords } from './zone.js';

export type { Zone, ZoneRecords } from './zone.js';
export { zone, withPtr } from './zone.js';

export interface DnsServerHandle {
  host: string;
  port: number;
  /** "127.0.0.1:53535" (or "[::1]:53535") for --resolver. */
  address: string;
  /** Queries received (dropped ones included, undecodable datagrams not). */
  queries(): number;
  queryLog(): Array<{ name: string; type: string }>;
  /** Forget the query log and count (e.g. between test phases). */
  resetLog(): void;
  setZone(z: Zone): void;
  close(): Promise<void>;
}

const RCODE_NOERROR = 0;
const RCODE_FORMERR = 1;
const RCODE_SERVFAIL = 2;
const RCODE_NXDOMAIN = 3;
const RCODE_REFUSED = 5;
const TTL = 300;
/** RFC 1035 §4.2.1: without EDNS a UDP answer is at most 512 octets. */
const CLASSIC_UDP_LIMIT = 512;
const MAX_CNAME_HOPS = 16;

interface CompiledZone {
  records: Map<string, ZoneRecords>;
  emptyNonTerminals: Set<string>;
  servfail: Set<string>;
  refused: Set<string>;
  drop: Set<string>;
  latencyMs: number;
  secure: string[];
}

function compile(z: Zone): CompiledZone {
  const records = new Map<string, ZoneRecords>();
  for (const [name, recs] of Object.entries(z.records)) records.set(normalizeName(name), recs);
  const emptyNonTerminals = new Set<string>();
  for (const name of records.keys()) {
    let dot = name.indexOf('.');
    while (dot !== -1) {
      const parent = name.slice(dot + 1);
      if (parent !== '' && !records.has(parent)) emptyNonTerminals.add(parent);
      dot = name.indexOf('.', dot + 1);
    }
  }
  return {
    records,
    emptyNonTerminals,
    servfail: new Set((z.servfail ?? []).map(normalizeFailureEntry)),
    refused: new Set((z.refused ?? []).map(normalizeFailureEntry)),
    drop: new Set((z.drop ?? []).map(normalizeFailureEntry)),
    latencyMs: z.latencyMs ?? 0,
    secure: (z.secure ?? []).map(normalizeName),
  };
}

/** Split a TXT string into character-strings of at most 255 octets (RFC 1035 §3.3.14, RFC 7208 §3.3). */
function txtChunks(text: string): Buffer[] {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= 255) return [bytes];
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 255) chunks.push(bytes.subarray(i, i + 255));
  return chunks;
}

function recordsOfType(owner: string, recs: ZoneRecords, type: string): Answer[] {
  const base = { name: owner, ttl: TTL, class: 'IN' as const };
  switch (type) {
    case 'A':
      return (recs.A ?? []).map((data) => ({ ...base, type: 'A' as const, data }));
    case 'AAAA':
      return (recs.AAAA ?? []).map((data) => ({ ...base, type: 'AAAA' as const, data }));
    case 'MX':
      return (recs.MX ?? []).map((mx) => ({
        ...base,
        type: 'MX' as const,
        // dns-packet writes "" as the root label: that is the RFC 7505 null MX ".".
        data: { preference: mx.priority, exchange: mx.exchange === '.' ? '' : mx.exchange },
      }));
    case 'TXT':
      return (recs.TXT ?? []).map((t) => ({ ...base, type: 'TXT' as const, data: txtChunks(t) }));
    case 'PTR':
      return (recs.PTR ?? []).map((data) => ({ ...base, type: 'PTR' as const, data }));
    case 'NS':
      return (recs.NS ?? []).map((data) => ({ ...base, type: 'NS' as const, data }));
    case 'CNAME':
      return recs.CNAME === undefined ? [] : [{ ...base, type: 'CNAME' as const, data: recs.CNAME }];
    case 'TLSA':
      return (recs.TLSA ?? []).map((t) => ({ ...base, type: 'TLSA' as const, data: { usage: t.usage, selector: t.selector, matchingType: t.matchingType, certificate: Buffer.from(t.data, 'hex') } }));
    default:
      return [];
  }
}

/** Steps 3-4 of the header comment: the rcode and answer section for one question. */
function answerQuestion(z: CompiledZone, q: Question): { rcode: number; answers: Answer[] } | 'drop' {
  const qname = normalizeName(q.name);
  const typed = `${qname} ${q.type}`;
  if (z.drop.has(qname) || z.drop.has(typed)) return 'drop';
  if (z.servfail.has(qname) || z.servfail.has(typed)) return { rcode: RCODE_SERVFAIL, answers: [] };
  if (z.refused.has(qname) || z.refused.has(typed)) return { rcode: RCODE_REFUSED, answers: [] };
  const answers: Answer[] = [];
  // The first owner keeps the spelling of the question (a client may use 0x20 case randomisation).
  let owner = q.name.replace(/\.$/, '');
  let current = qname;
  const seen = new Set<string>();
  for (let hop = 0; hop <= MAX_CNAME_HOPS; hop++) {
    const recs = z.records.get(current);
    if (recs === undefined) {
      if (hop > 0 && !z.emptyNonTerminals.has(current)) {
        // A CNAME target we hold nothing for: treat it as out of zone (an authoritative server
        // answers just the CNAME and lets the recursive resolver chase it).
        return { rcode: RCODE_NOERROR, answers };
      }
      return { rcode: z.emptyNonTerminals.has(current) ? RCODE_NOERROR : RCODE_NXDOMAIN, answers };
    }
    if (recs.CNAME !== undefined && q.type !== 'CNAME') {
      answers.push({ name: owner, ttl: TTL, class: 'IN', type: 'CNAME', data: recs.CNAME });
      seen.add(current);
      const target = normalizeName(recs.CNAME);
      if (seen.has(target)) return { rcode: RCODE_NOERROR, answers };
      owner = recs.CNAME.replace(/\.$/, '');
      current = target;
      continue;
    }
    answers.push(...recordsOfType(owner, recs, q.type));
    return { rcode: RCODE_NOERROR, answers };
  }
  return { rcode: RCODE_NOERROR, answers };
}

function formErr(msg: Buffer): Buffer | null {
  if (msg.length < 12) return null;
  const out = Buffer.alloc(12);
  msg.copy(out, 0, 0, 2); // id
  const rd = msg.readUInt16BE(2) & 0x0100;
  out.writeUInt16BE(0x8000 | rd | RCODE_FORMERR, 2);
  return out;
}

function isSecure(z: CompiledZone, name: string): boolean {
  const n = normalizeName(name);
  return z.secure.some((s) => n === s || n.endsWith(`.${s}`));
}

function buildReply(query: DecodedPacket, rcode: number, answers: Answer[], transport: 'udp' | 'tcp', secure = false): Buffer {
  const q = query.questions?.[0];
  const opt = query.additionals?.find((a) => a.type === 'OPT');
  const udpLimit = opt !== undefined && 'udpPayloadSize' in opt ? Math.max(CLASSIC_UDP_LIMIT, opt.udpPayloadSize) : CLASSIC_UDP_LIMIT;
  const limit = transport === 'tcp' ? 65_535 : udpLimit;
  // RFC 6840 §5.7-5.8: AD only to a client that asked for it (DO or AD), for a `secure` name.
  const wantsAd = query.flag_ad === true || (opt !== undefined && 'flags' in opt && ((opt.flags ?? 0) & dnsPacket.DNSSEC_OK) !== 0);
  const flags = dnsPacket.AUTHORITATIVE_ANSWER | (query.flag_rd ? dnsPacket.RECURSION_DESIRED : 0) | (secure && wantsAd && rcode !== RCODE_SERVFAIL ? dnsPacket.AUTHENTIC_DATA : 0) | rcode;
  const reply: Packet = {
    type: 'response',
    id: query.id ?? 0,
    flags,
    questions: q === undefined ? [] : [q],
    answers,
  };
  if (opt !== undefined) {
    reply.additionals = [{ type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }];
  }
  const buf = dnsPacket.encode(reply);
  if (buf.length <= limit) return buf;
  // RFC 2181 §9: too big for UDP -> TC set; the client would retry over TCP. (dns-packet does
  // not compress names, so answers are larger than a real server's.)
  return dnsPacket.encode({ ...reply, flags: flags | dnsPacket.TRUNCATED_RESPONSE, answers: [] });
}

export function startDnsServer(initial: Zone, options?: { host?: string; port?: number }): Promise<DnsServerHandle> {
  const host = options?.host ?? '127.0.0.1';
  let compiled = compile(initial);
  let count = 0;
  let log: Array<{ name: string; type: string }> = [];
  const pending = new Set<NodeJS.Timeout>();
  const tcpClients = new Set<NetSocket>();
  let closed = false;

  /** Steps 1-5 for one message, whichever transport it came on; `reply` sends the answer. */
  const handle = (msg: Buffer, transport: 'udp' | 'tcp', reply: (buf: Buffer) => void): void => {
    let query: DecodedPacket;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      const err = formErr(msg);
      if (err !== null) reply(err);
      return;
    }
    if (query.type === 'response') return;
    const q = query.questions?.[0];
    if (q === undefined || typeof q.name !== 'string') {
      const err = formErr(msg);
      if (err !== null) reply(err);
      return;
    }
    count++;
    log.push({ name: normalizeName(q.name), type: String(q.type) });
    const z = compiled;
    let out: Buffer;
    try {
      const result = answerQuestion(z, q);
      if (result === 'drop') return;
      out = buildReply(query, result.rcode, result.answers, transport, isSecure(z, q.name));
    } catch {
      // A zone entry dns-packet cannot encode (say, a malformed address) is a SERVFAIL, not a crash.
      try {
        out = buildReply(query, RCODE_SERVFAIL, [], transport);
      } catch {
        return;
      }
    }
    if (z.latencyMs > 0) {
      const t = setTimeout(() => {
        pending.delete(t);
        if (!closed) reply(out);
      }, z.latencyMs);
      pending.add(t);
    } else {
      reply(out);
    }
  };

  const onTcpConnection = (conn: NetSocket): void => {
    // RFC 1035 §4.2.2 / RFC 7766 §8: each message is prefixed with its two-octet length.
    tcpClients.add(conn);
    let buffered: Buffer = Buffer.alloc(0);
    conn.on('data', (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2) {
        const len = buffered.readUInt16BE(0);
        if (buffered.length < 2 + len) break;
        const msg = buffered.subarray(2, 2 + len);
        buffered = buffered.subarray(2 + len);
        handle(msg, 'tcp', (out) => {
          if (conn.destroyed) return;
          const frame = Buffer.allocUnsafe(2 + out.length);
          frame.writeUInt16BE(out.length, 0);
          out.copy(frame, 2);
          conn.write(frame);
        });
      }
    });
    conn.on('error', () => undefined);
    conn.on('close', () => tcpClients.delete(conn));
  };

  const bindBoth = (attempt: number): Promise<{ udp: Socket; tcp: NetServer }> =>
    new Promise((resolve, reject) => {
      const udp: Socket = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4' });
      udp.once('error', reject);
      udp.bind(options?.port ?? 0, host, () => {
        udp.off('error', reject);
        const tcp = createServer(onTcpConnection);
        tcp.once('error', (err: NodeJS.ErrnoException) => {
          udp.close();
          // Port 0 picked a UDP port whose TCP twin is taken: pick again.
          if (err.code === 'EADDRINUSE' && (options?.port ?? 0) === 0 && attempt < 5) {
            bindBoth(attempt + 1).then(resolve, reject);
          } else {
            reject(err);
          }
        });
        tcp.listen(udp.address().port, host, () => resolve({ udp, tcp }));
      });
    });

  return bindBoth(0).then(({ udp, tcp }) => {
    // After startup a socket error (ICMP unreachable reported on some platforms) is not fatal.
    udp.on('error', () => undefined);
    tcp.on('error', () => undefined);
    udp.on('message', (msg, rinfo) => {
      handle(msg, 'udp', (out) => {
        // Errors (e.g. the client went away) must not take the server down.
        if (!closed) udp.send(out, rinfo.port, rinfo.address, () => undefined);
      });
    });
    const port = udp.address().port;
    return {
      host,
      port,
      address: isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`,
      queries: () => count,
      queryLog: () => log.slice(),
      resetLog: () => {
        count = 0;
        log = [];
      },
      setZone: (z: Zone) => {
        compiled = compile(z);
      },
      close: () => {
        if (closed) return Promise.resolve();
        closed = true;
        for (const t of pending) clearTimeout(t);
        pending.clear();
        for (const c of tcpClients) c.destroy();
        return Promise.all([
          new Promise<void>((done) => udp.close(() => done())),
          new Promise<void>((done) => tcp.close(() => done())),
        ]).then(() => undefined);
      },
    };
  });
}
