/**
 * The zone fixture, checked at the wire level with a raw dgram client and dns-packet, so the
 * resolver tests above it stand on a server whose answers are themselves verified.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSocket } from 'node:dgram';
import dnsPacket from 'dns-packet';
import type { DecodedPacket, Question } from 'dns-packet';
import { startDnsServer, withPtr, zone, type DnsServerHandle } from '../helpers/dns-zone.js';

const LONG_TXT = `v=spf1 ${'include:spf.example.test '.repeat(15)}-all`; // > 255 octets

const fixture = withPtr(
  zone(
    {
      'Example.TEST.': {
        MX: [
          { exchange: 'mx1.example.test', priority: 10 },
          { exchange: 'mx2.example.test', priority: 20 },
        ],
        TXT: [LONG_TXT],
        NS: ['ns.example.test'],
      },
      'mx1.example.test': { A: ['192.0.2.10'], AAAA: ['2001:db8::10'] },
      'alias.example.test': { CNAME: 'alias2.example.test' },
      'alias2.example.test': { CNAME: 'mx1.example.test' },
      'outside.example.test': { CNAME: 'target.elsewhere.invalid' },
      'loop1.example.test': { CNAME: 'loop2.example.test' },
      'loop2.example.test': { CNAME: 'loop1.example.test' },
      'deep.sub.example.test': { A: ['192.0.2.20'] },
      'null.example.test': { MX: [{ exchange: '.', priority: 0 }] },
    },
    { servfail: ['broken.example.test'], refused: ['refused.example.test'], drop: ['black.hole.test'] },
  ),
  '192.0.2.10',
  'mx1.example.test',
);

let server: DnsServerHandle;
beforeAll(async () => {
  server = await startDnsServer(fixture);
});
afterAll(async () => {
  await server.close();
});

let nextId = 1;
function rawExchange(payload: Buffer, waitMs = 1000): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const sock = createSocket('udp4');
    const timer = setTimeout(() => {
      sock.close();
      resolve(null);
    }, waitMs);
    sock.on('message', (msg) => {
      clearTimeout(timer);
      sock.close();
      resolve(msg);
    });
    sock.on('error', (err) => {
      clearTimeout(timer);
      sock.close();
      reject(err);
    });
    sock.send(payload, server.port, server.host);
  });
}

async function ask(q: Question, opts: { edns?: boolean } = {}): Promise<DecodedPacket & { rcode?: string }> {
  const id = nextId++;
  const packet: Parameters<typeof dnsPacket.encode>[0] = {
    type: 'query',
    id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [q],
  };
  if (opts.edns === true) {
    packet.additionals = [{ type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }];
  }
  const reply = await rawExchange(dnsPacket.encode(packet));
  if (reply === null) throw new Error('no reply');
  const decoded = dnsPacket.decode(reply) as DecodedPacket & { rcode?: string };
  expect(decoded.id).toBe(id);
  return decoded;
}

describe('DNS zone fixture over UDP', () => {
  it('answers authoritatively, echoes the question and copies RD', async () => {
    const r = await ask({ type: 'A', name: 'MX1.example.test' });
    expect(r.type).toBe('response');
    expect(r.flag_aa).toBe(true);
    expect(r.flag_rd).toBe(true);
    expect(r.rcode).toBe('NOERROR');
    expect(r.questions).toEqual([{ type: 'A', name: 'MX1.example.test', class: 'IN' }]);
    expect(r.answers?.map((a) => [a.type, a.name, 'data' in a ? a.data : null])).toEqual([['A', 'MX1.example.test', '192.0.2.10']]);
  });

  it('MX, AAAA, NS and PTR records', async () => {
    const mx = await ask({ type: 'MX', name: 'example.test' });
    expect(mx.answers?.map((a) => ('data' in a ? a.data : null))).toEqual([
      { preference: 10, exchange: 'mx1.example.test' },
      { preference: 20, exchange: 'mx2.example.test' },
    ]);
    const aaaa = await ask({ type: 'AAAA', name: 'mx1.example.test' });
    expect(aaaa.answers?.map((a) => ('data' in a ? a.data : null))).toEqual(['2001:db8::10']);
    const ns = await ask({ type: 'NS', name: 'example.test' });
    expect(ns.answers?.map((a) => ('data' in a ? a.data : null))).toEqual(['ns.example.test']);
    const ptr = await ask({ type: 'PTR', name: '10.2.0.192.in-addr.arpa' });
    expect(ptr.answers?.map((a) => ('data' in a ? a.data : null))).toEqual(['mx1.example.test']);
  });

  it('null MX goes on the wire as the root name', async () => {
    const r = await ask({ type: 'MX', name: 'null.example.test' });
    expect(r.answers?.map((a) => ('data' in a ? a.data : null))).toEqual([{ preference: 0, exchange: '.' }]);
  });

  it('splits a TXT string longer than 255 octets into character-strings', async () => {
    const r = await ask({ type: 'TXT', name: 'example.test' }, { edns: true });
    const data = r.answers?.[0] && 'data' in r.answers[0] ? (r.answers[0].data as Buffer[]) : [];
    expect(data.length).toBe(Math.ceil(Buffer.byteLength(LONG_TXT) / 255));
    for (const chunk of data) expect(chunk.length).toBeLessThanOrEqual(255);
    expect(Buffer.concat(data).toString()).toBe(LONG_TXT);
  });

  it('NXDOMAIN for an absent name, NODATA for a present name without the type', async () => {
    const nx = await ask({ type: 'A', name: 'nope.example.test' });
    expect(nx.rcode).toBe('NXDOMAIN');
    expect(nx.flag_aa).toBe(true);
    expect(nx.answers).toEqual([]);
    const nodata = await ask({ type: 'A', name: 'example.test' });
    expect(nodata.rcode).toBe('NOERROR');
    expect(nodata.answers).toEqual([]);
  });

  it('an empty non-terminal is NODATA, not NXDOMAIN (RFC 8020)', async () => {
    const ent = await ask({ type: 'A', name: 'sub.example.test' });
    expect(ent.rcode).toBe('NOERROR');
    expect(ent.answers).toEqual([]);
    const nx = await ask({ type: 'A', name: 'other.sub.example.test' });
    expect(nx.rcode).toBe('NXDOMAIN');
  });

  it('follows a CNAME chain inside the zone and answers the CNAMEs then the target records', async () => {
    const r = await ask({ type: 'A', name: 'alias.example.test' });
    expect(r.rcode).toBe('NOERROR');
    expect(r.answers?.map((a) => [a.type, a.name, 'data' in a ? a.data : null])).toEqual([
      ['CNAME', 'alias.example.test', 'alias2.example.test'],
      ['CNAME', 'alias2.example.test', 'mx1.example.test'],
      ['A', 'mx1.example.test', '192.0.2.10'],
    ]);
    const cname = await ask({ type: 'CNAME', name: 'alias.example.test' });
    expect(cname.answers?.map((a) => ('data' in a ? a.data : null))).toEqual(['alias2.example.test']);
  });

  it('a CNAME out of the zone answers just the CNAME; a CNAME loop terminates', async () => {
    const out = await ask({ type: 'A', name: 'outside.example.test' });
    expect(out.rcode).toBe('NOERROR');
    expect(out.answers?.map((a) => a.type)).toEqual(['CNAME']);
    const loop = await ask({ type: 'A', name: 'loop1.example.test' });
    expect(loop.answers?.map((a) => a.type)).toEqual(['CNAME', 'CNAME']);
  });

  it('SERVFAIL and REFUSED names', async () => {
    expect((await ask({ type: 'A', name: 'broken.example.test' })).rcode).toBe('SERVFAIL');
    expect((await ask({ type: 'MX', name: 'REFUSED.example.test' })).rcode).toBe('REFUSED');
  });

  it('drops queries for drop names and logs them', async () => {
    server.resetLog();
    const reply = await rawExchange(dnsPacket.encode({ type: 'query', id: 77, questions: [{ type: 'A', name: 'black.hole.test' }] }), 300);
    expect(reply).toBeNull();
    expect(server.queryLog()).toEqual([{ name: 'black.hole.test', type: 'A' }]);
    expect(server.queries()).toBe(1);
  });

  it('survives malformed datagrams: FORMERR when a header can be echoed, silence otherwise', async () => {
    const short = await rawExchange(Buffer.from([1, 2, 3]), 200);
    expect(short).toBeNull();
    // A header claiming one question, then garbage.
    const garbage = Buffer.from([0xab, 0xcd, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff]);
    const formerr = await rawExchange(garbage);
    expect(formerr).not.toBeNull();
    const decoded = dnsPacket.decode(formerr as Buffer) as DecodedPacket & { rcode?: string };
    expect(decoded.id).toBe(0xabcd);
    expect(decoded.rcode).toBe('FORMERR');
    // Zero questions is also a format error.
    const empty = await rawExchange(dnsPacket.encode({ type: 'query', id: 9, questions: [] }));
    expect((dnsPacket.decode(empty as Buffer) as { rcode?: string }).rcode).toBe('FORMERR');
    // And the server still answers normally.
    expect((await ask({ type: 'A', name: 'mx1.example.test' })).rcode).toBe('NOERROR');
  });

  it('sets TC instead of sending an answer larger than a classic 512-octet UDP reply', async () => {
    const many = Array.from({ length: 30 }, (_, i) => `192.0.2.${i + 1}`);
    server.setZone(zone({ 'big.example.test': { A: many } }));
    try {
      const noEdns = await ask({ type: 'A', name: 'big.example.test' });
      expect(noEdns.flag_tc).toBe(true);
      expect(noEdns.answers).toEqual([]);
      const withEdns = await ask({ type: 'A', name: 'big.example.test' }, { edns: true });
      expect(withEdns.flag_tc).toBe(false);
      expect(withEdns.answers).toHaveLength(30);
    } finally {
      server.setZone(fixture);
    }
  });

  it('setZone swaps the data live; latency delays the answer without blocking others', async () => {
    const slow = await startDnsServer(zone({ 'a.test': { A: ['192.0.2.1'] } }, { latencyMs: 150 }));
    try {
      const sock = createSocket('udp4');
      const got: number[] = [];
      const done = new Promise<void>((resolve) => {
        sock.on('message', (msg) => {
          got.push(dnsPacket.decode(msg).id ?? -1);
          if (got.length === 2) resolve();
        });
      });
      for (const id of [1, 2]) sock.send(dnsPacket.encode({ type: 'query', id, questions: [{ type: 'A', name: 'a.test' }] }), slow.port, slow.host);
      await done;
      sock.close();
      expect(got.sort()).toEqual([1, 2]);
      expect(slow.queries()).toBe(2);
      slow.setZone(zone({}));
      expect(slow.address).toBe(`127.0.0.1:${slow.port}`);
    } finally {
      await slow.close();
    }
  });

  it('serves on ::1 too', async () => {
    const v6 = await startDnsServer(zone({ 'v6.test': { AAAA: ['::1'] } }), { host: '::1' });
    try {
      expect(v6.address).toBe(`[::1]:${v6.port}`);
      const reply = await new Promise<Buffer>((resolve, reject) => {
        const sock = createSocket('udp6');
        sock.on('message', (m) => {
          sock.close();
          resolve(m);
        });
        sock.on('error', reject);
        sock.send(dnsPacket.encode({ type: 'query', id: 5, questions: [{ type: 'AAAA', name: 'v6.test' }] }), v6.port, '::1');
      });
      const d = dnsPacket.decode(reply);
      expect(d.answers?.map((a) => ('data' in a ? a.data : null))).toEqual(['::1']);
    } finally {
      await v6.close();
    }
  });
});

describe('per-type failure entries', () => {
  it('"name TYPE" fails only that type', async () => {
    const s = await startDnsServer(zone({ 'h.test': { A: ['192.0.2.1'], AAAA: ['2001:db8::1'] } }, { servfail: ['H.test. aaaa'] }));
    try {
      const send = (type: 'A' | 'AAAA') =>
        new Promise<DecodedPacket & { rcode?: string }>((resolve) => {
          const sock = createSocket('udp4');
          sock.on('message', (m) => {
            sock.close();
            resolve(dnsPacket.decode(m) as DecodedPacket & { rcode?: string });
          });
          sock.send(dnsPacket.encode({ type: 'query', id: 3, questions: [{ type, name: 'h.test' }] }), s.port, s.host);
        });
      expect((await send('AAAA')).rcode).toBe('SERVFAIL');
      const a = await send('A');
      expect(a.rcode).toBe('NOERROR');
      expect(a.answers?.map((x) => ('data' in x ? x.data : null))).toEqual(['192.0.2.1']);
    } finally {
      await s.close();
    }
  });
});

describe('TCP transport (RFC 7766)', () => {
  it('answers length-prefixed messages, two in one write and one split across writes', async () => {
    const { connect } = await import('node:net');
    const frame = (id: number, name: string): Buffer => {
      const msg = dnsPacket.encode({ type: 'query', id, questions: [{ type: 'A', name }] });
      const out = Buffer.alloc(2 + msg.length);
      out.writeUInt16BE(msg.length, 0);
      msg.copy(out, 2);
      return out;
    };
    const replies = await new Promise<Array<DecodedPacket & { rcode?: string }>>((resolve, reject) => {
      const sock = connect(server.port, server.host);
      let buf = Buffer.alloc(0);
      const got: Array<DecodedPacket & { rcode?: string }> = [];
      sock.on('data', (chunk) => {
        buf = Buffer.concat([buf, chunk]);
        while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          got.push(dnsPacket.decode(buf.subarray(2, 2 + buf.readUInt16BE(0))) as DecodedPacket & { rcode?: string });
          buf = buf.subarray(2 + buf.readUInt16BE(0));
        }
        if (got.length === 3) {
          sock.destroy();
          resolve(got);
        }
      });
      sock.on('error', reject);
      sock.write(Buffer.concat([frame(1, 'mx1.example.test'), frame(2, 'nope.example.test')]));
      const third = frame(3, 'mx1.example.test');
      sock.write(third.subarray(0, 5));
      setTimeout(() => sock.write(third.subarray(5)), 20);
    });
    expect(replies.map((r) => [r.id, r.rcode])).toEqual([
      [1, 'NOERROR'],
      [2, 'NXDOMAIN'],
      [3, 'NOERROR'],
    ]);
    expect(replies[0]?.answers?.map((a) => ('data' in a ? a.data : null))).toEqual(['192.0.2.10']);
  });
});
