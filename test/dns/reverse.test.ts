import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isIPv6 } from 'node:net';
import { expandIPv6, reverseName } from '../../src/dns/reverse.js';

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
