/**
 * The DNSSEC-aware lookup (I/O): one question to the configured resolver with dns-packet over UDP,
 * again over TCP when the reply is truncated (RFC 7766 §5), with EDNS0 and the DO bit
 * (RFC 3225) and AD set in the query (RFC 6840 §5.7) so the resolver reports validation. A
 * SERVFAIL is asked once more with CD set, to tell a validation failure from a broken server.
 * Answers are cached for the run (bounded LRU).
 */
import { createSocket } from 'node:dgram';
import { connect, isIPv6 } from 'node:net';
import { getServers } from 'node:dns';
import { randomInt } from 'node:crypto';
import dnsPacket from 'dns-packet';
import type { DecodedPacket } from 'dns-packet';
import { LruCache, normalizeName } from '../dns/cache.js';
import { splitResolverAddress, type ResolverAddress } from '../dns/servers.js';
import { judgeReply, type Judged, type RawRecord, type RawReply } from './dnssec.js';
import type { TlsaRdata } from './tlsa.js';

export interface SecureResolver {
  tlsa(name: string): Promise<Judged<TlsaRdata>>;
  mx(name: string): Promise<Judged<string>>;
  txt(name: string): Promise<Judged<string>>;
  /** The resolver asked ("127.0.0.1:53"), for the record. */
  readonly server: string;
}

function toRaw(p: DecodedPacket): RawReply {
  const rec = (a: { type?: string; name?: string; data?: unknown }): RawRecord => ({ type: String(a.type), name: String(a.name), data: a.data });
  return {
    kind: 'reply',
    rcode: String((p as { rcode?: string }).rcode ?? 'NOERROR'),
    ad: p.flag_ad === true,
    edns: (p.additionals ?? []).some((a) => a.type === 'OPT'),
    answers: (p.answers ?? []).map(rec),
    authorities: (p.authorities ?? []).map(rec),
  };
}

function encodeQuery(name: string, type: string, cd: boolean): { id: number; buf: Buffer } {
  const id = randomInt(0, 65536);
  const buf = dnsPacket.encode({
    type: 'query',
    id,
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.AUTHENTIC_DATA | (cd ? dnsPacket.CHECKING_DISABLED : 0),
    questions: [{ type: type as 'TLSA', class: 'IN', name }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: dnsPacket.DNSSEC_OK } as never],
  });
  return { id, buf };
}

function decodeFor(msg: Buffer, id: number, name: string): DecodedPacket | null {
  try {
    const p = dnsPacket.decode(msg);
    // RFC 5452 §9.1: accept only the reply to our question.
    if (p.id !== id || p.type !== 'response' || normalizeName(String(p.questions?.[0]?.name ?? '')) !== normalizeName(name)) return null;
    return p;
  } catch {
    return null;
  }
}

function udpQuery(server: ResolverAddress, name: string, type: string, cd: boolean, timeoutMs: number): Promise<RawReply | 'truncated'> {
  const { id, buf } = encodeQuery(name, type, cd);
  return new Promise((resolve) => {
    const sock = createSocket(server.family === 6 ? 'udp6' : 'udp4');
    let done = false;
    const finish = (r: RawReply | 'truncated') => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.close();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ kind: 'error', detail: `timeout after ${timeoutMs} ms` }), timeoutMs);
    sock.on('error', (e) => finish({ kind: 'error', detail: e.message }));
    sock.on('message', (msg, rinfo) => {
      if (rinfo.port !== server.port) return;
      let p: DecodedPacket | null = null;
      p = decodeFor(msg, id, name);
      if (p === null) {
        // A reply to our id that does not decode (e.g. a malformed TLSA RDATA): say so, do not crash.
        if (msg.length >= 2 && msg.readUInt16BE(0) === id) finish({ kind: 'error', detail: 'malformed reply' });
        return;
      }
      if (p.flag_tc) finish('truncated');
      else finish(toRaw(p));
    });
    sock.send(buf, server.port, server.ip, (err) => {
      if (err) finish({ kind: 'error', detail: err.message });
    });
  });
}

function tcpQuery(server: ResolverAddress, name: string, type: string, cd: boolean, timeoutMs: number): Promise<RawReply> {
  const { id, buf } = encodeQuery(name, type, cd);
  return new Promise((resolve) => {
    const sock = connect({ host: server.ip, port: server.port });
    let done = false;
    let data = Buffer.alloc(0);
    const finish = (r: RawReply) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ kind: 'error', detail: `timeout after ${timeoutMs} ms (TCP)` }), timeoutMs);
    sock.on('error', (e) => finish({ kind: 'error', detail: e.message }));
    sock.on('close', () => finish({ kind: 'error', detail: 'connection closed (TCP)' }));
    sock.on('connect', () => {
      const frame = Buffer.alloc(2 + buf.length);
      frame.writeUInt16BE(buf.length, 0);
      buf.copy(frame, 2);
      sock.write(frame);
    });
    sock.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      if (data.length < 2) return;
      const len = data.readUInt16BE(0);
      if (data.length < 2 + len) return;
      const p = decodeFor(data.subarray(2, 2 + len), id, name);
      finish(p ? toRaw(p) : { kind: 'error', detail: 'malformed reply (TCP)' });
    });
  });
}

export async function rawQuery(server: ResolverAddress, name: string, type: string, cd: boolean, timeoutMs: number): Promise<RawReply> {
  const r = await udpQuery(server, name, type, cd, timeoutMs);
  return r === 'truncated' ? tcpQuery(server, name, type, cd, timeoutMs) : r;
}

/** The first --resolver, else the first system resolver (the one node:dns would ask). */
export function pickServer(servers: readonly string[]): ResolverAddress {
  const list = servers.length > 0 ? servers : getServers();
  const first = list[0];
  if (first === undefined) return { ip: '127.0.0.1', family: 4, port: 53 };
  // Both lists are in node:dns's form (a --resolver was parsed and formatted already): a bare IPv6
  // is an address on port 53, never "address:port". The ambiguity rule is for what users type; a
  // system resolver such as 2001:db8::1:53 in resolv.conf must not become a usage error.
  if (isIPv6(first)) return { ip: first.toLowerCase(), family: 6, port: 53 };
  return splitResolverAddress(first);
}

function pickTlsa(r: RawRecord): TlsaRdata | null {
  const d = r.data as { usage?: number; selector?: number; matchingType?: number; certificate?: Uint8Array } | undefined;
  if (!d || typeof d.usage !== 'number' || typeof d.selector !== 'number' || typeof d.matchingType !== 'number') return null;
  return { usage: d.usage, selector: d.selector, matchingType: d.matchingType, data: d.certificate ?? new Uint8Array() };
}

function pickMx(r: RawRecord): string | null {
  const d = r.data as { exchange?: string } | undefined;
  return typeof d?.exchange === 'string' ? normalizeName(d.exchange) : null;
}

function pickTxt(r: RawRecord): string | null {
  // RFC 7208 §3.3 / RFC 8461 §3.1: a TXT record's character-strings are joined without spaces.
  const d = r.data;
  const parts = Array.isArray(d) ? d : [d];
  return parts.map((p) => (Buffer.isBuffer(p) ? p.toString('utf8') : String(p))).join('');
}

export function createSecureResolver(opts: { server: ResolverAddress; timeoutMs: number; cacheSize?: number }): SecureResolver {
  const cache = new LruCache<string, Promise<Judged<unknown>>>(opts.cacheSize ?? 10_000);
  const ask = <T>(type: string, name: string, pick: (r: RawRecord) => T | null): Promise<Judged<T>> => {
    const key = `${type} ${normalizeName(name)}`;
    const hit = cache.get(key);
    if (hit) return hit as Promise<Judged<T>>;
    const p = (async () => {
      const primary = await rawQuery(opts.server, name, type, false, opts.timeoutMs);
      const cd = primary.kind === 'reply' && primary.rcode === 'SERVFAIL' ? await rawQuery(opts.server, name, type, true, opts.timeoutMs) : null;
      return judgeReply(type, primary, cd, pick);
    })();
    cache.set(key, p);
    return p;
  };
  const s = opts.server;
  return {
    server: s.family === 6 ? `[${s.ip}]:${s.port}` : `${s.ip}:${s.port}`,
    tlsa: (name) => ask('TLSA', name, pickTlsa),
    mx: (name) => ask('MX', name, pickMx),
    txt: (name) => ask('TXT', name, pickTxt),
  };
}
