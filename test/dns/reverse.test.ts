import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isIPv6 } from 'node:net';
import { canonicalIp, expandIPv6, forwardConfirm, reverseName } from '../../src/dns/reverse.js';
import { createResolver } from '../../src/dns/resolver.js';
import { startDnsServer, withPtr, zone, type DnsServerHandle } from '../helpers/dns-zone.js';

describe('reverseName', () => {
  it.each([
    ['127.0.0.10', '10.0.0.127.in-addr.arpa'],
    ['192.0.2.1', '1.2.0.192.in-addr.arpa'],
    ['0.0.0.0', '0.0.0.0.in-addr.arpa'],
    ['2001:db8::567:89ab', 'b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa'],
    ['::1', `1.${'0.'.repeat(31)}ip6.arpa`],
    ['::', `${'0.'.repeat(32)}ip6.arpa`],
    ['2001:DB8::1', `1.${'0.'.repeat(23)}8.b.d.0.1.0.0.2.ip6.arpa`],
    ['::ffff:192.0.2.1', `1.0.2.0.0.0.0.c.f.f.f.f.${'0.'.repeat(20)}ip6.arpa`],
    ['fe80::1%eth0', `1.${'0.'.repeat(27)}0.8.e.f.ip6.arpa`],
  ])('%s -> %s', (ip, expected) => {
    expect(reverseName(ip)).toBe(expected);
  });

  it.each(['', 'example.com', '256.1.1.1', '1.2.3', '2001:db8::1::2', '[::1]', '01.2.3.4'])('rejects %j', (bad) => {
    expect(() => reverseName(bad)).toThrow(expect.objectContaining({ code: 'E_INVALID_IP' }));
  });

  it('IPv6 nibble form always has 32 nibbles and round-trips through expandIPv6', () => {
    fc.assert(
      fc.property(fc.ipV6(), (ip) => {
        const name = reverseName(ip);
        const labels = name.split('.');
        expect(labels.slice(-2)).toEqual(['ip6', 'arpa']);
        const nibbles = labels.slice(0, -2);
        expect(nibbles).toHaveLength(32);
        // Rebuild the address from the nibbles and compare with the expanded original.
        const hex = nibbles.reverse().join('');
        const rebuilt = hex.match(/.{4}/g)?.join(':') ?? '';
        expect(isIPv6(rebuilt)).toBe(true);
        expect(rebuilt).toBe(expandIPv6(ip).join(':'));
      }),
    );
  });
});

describe('canonicalIp', () => {
  it('gives one spelling per address', () => {
    expect(canonicalIp('2001:DB8::1')).toBe(canonicalIp('2001:db8:0:0:0:0:0:1'));
    expect(canonicalIp('2001:db8::1')).not.toBe(canonicalIp('2001:db8::2'));
    expect(canonicalIp('192.0.2.1')).toBe('192.0.2.1');
  });
});

describe('forwardConfirm against the zone fixture', () => {
  let server: DnsServerHandle;
  beforeAll(async () => {
    let z = zone({
      'mail.example.test': { A: ['192.0.2.25'] },
      'other.example.test': { A: ['198.51.100.9'] },
      'v6.example.test': { AAAA: ['2001:db8:0:0::25'] },
    });
    z = withPtr(z, '192.0.2.25', 'mail.example.test', 'other.example.test', 'gone.example.test');
    z = withPtr(z, '2001:db8::25', 'V6.example.test.');
    z = withPtr(z, '192.0.2.26', ...Array.from({ length: 12 }, (_, i) => `n${i}.example.test`));
    server = await startDnsServer(z);
  });
  afterAll(async () => {
    await server.close();
  });

  it('confirms the names that lead back and says why the others do not', async () => {
    const r = createResolver({ servers: [server.address] });
    const out = await forwardConfirm('192.0.2.25', r);
    expect(out.status).toBe('ok');
    expect(out.confirmed).toEqual(['mail.example.test']);
    expect(out.unconfirmed).toEqual(
      expect.arrayContaining([
        { name: 'other.example.test', reason: 'no matching address (198.51.100.9)' },
        { name: 'gone.example.test', reason: 'nxdomain' },
      ]),
    );
    expect(out.unconfirmed).toHaveLength(2);
  });

  it('compares IPv6 addresses in canonical form', async () => {
    const r = createResolver({ servers: [server.address] });
    const out = await forwardConfirm('2001:DB8::25', r);
    expect(out.confirmed).toEqual(['V6.example.test']);
  });

  it('no PTR: the PTR status, nothing confirmed', async () => {
    const r = createResolver({ servers: [server.address] });
    expect(await forwardConfirm('192.0.2.99', r)).toEqual({ status: 'nxdomain', names: [], confirmed: [], unconfirmed: [] });
  });

  it('checks at most `limit` names', async () => {
    server.resetLog();
    const r = createResolver({ servers: [server.address], cnames: false });
    const out = await forwardConfirm('192.0.2.26', r, 10);
    expect(out.names).toHaveLength(12);
    expect(out.unconfirmed).toHaveLength(10);
    expect(out.detail).toMatch(/2 PTR name/);
    expect(server.queryLog().filter((q) => q.type === 'A')).toHaveLength(10);
  });
});
