import { describe, expect, it } from 'vitest';
import { canonicalIp, ipFromReverseOwner, isPrivateIp, parseHelo, reverseOwner } from '../../src/analysis/helo-name.js';

describe('parseHelo', () => {
  it.each([
    ['mail.example.org', { form: 'domain', name: 'mail.example.org', fqdn: true }],
    ['MX-1.Example.ORG', { form: 'domain', name: 'MX-1.Example.ORG', fqdn: true }],
    ['localhost', { form: 'domain', name: 'localhost', fqdn: false }],
    ['xn--bcher-kva.example', { form: 'domain', name: 'xn--bcher-kva.example', fqdn: true }],
    ['3com.example', { form: 'domain', name: '3com.example', fqdn: true }],
    ['[192.0.2.1]', { form: 'address-literal', ip: '192.0.2.1', family: 4 }],
    ['[IPv6:2001:db8::1]', { form: 'address-literal', ip: '2001:db8::1', family: 6 }],
    ['[ipv6:2001:DB8::1]', { form: 'address-literal', ip: '2001:db8::1', family: 6 }],
    ['[IPv6:::1]', { form: 'address-literal', ip: '::1', family: 6 }],
    ['[IPv6:::ffff:192.0.2.1]', { form: 'address-literal', ip: '::ffff:192.0.2.1', family: 6 }],
    ['192.0.2.1', { form: 'bare-ip', ip: '192.0.2.1', family: 4 }],
    ['2001:db8::1', { form: 'bare-ip', ip: '2001:db8::1', family: 6 }],
  ])('%s', (input, expected) => {
    expect(parseHelo(input)).toEqual(expected);
  });

  it.each([
    ['', /empty/],
    ['mail.example.org.', /trailing dot/],
    ['-bad.example', /let-dig/],
    ['bad-.example', /let-dig/],
    ['under_score.example', /let-dig/],
    ['a..example', /empty label/],
    ['.example', /empty label/],
    ['mail example', /whitespace/],
    ['mail.example\r\nRCPT', /CR, LF or NUL/],
    ['mail\0.example', /CR, LF or NUL/],
    ['bücher.example', /non-ASCII/],
    ['[192.0.2.256]', /not an IPv4 or IPv6/],
    ['[192.0.2.1', /unbalanced/],
    ['[2001:db8::1]', /lacks the "IPv6:" tag/],
    ['[IPv6:2001:db8::g]', /not a valid IPv6/],
    ['[X-foo:bar]', /general address literal/],
    ['192.0.2', /all-numeric top-level label/],
    ['mail.123', /all-numeric top-level label/],
  ])('rejects %j', (input, reason) => {
    const r = parseHelo(input);
    expect(r.form).toBe('invalid');
    if (r.form === 'invalid') expect(r.reason).toMatch(reason);
  });

  it('enforces the 63-octet label limit (RFC 1035 §2.3.4)', () => {
    expect(parseHelo(`${'a'.repeat(63)}.example`).form).toBe('domain');
    const r = parseHelo(`${'a'.repeat(64)}.example`);
    expect(r.form).toBe('invalid');
    if (r.form === 'invalid') expect(r.reason).toMatch(/64 octets; the limit is 63/);
  });

  it('enforces the DNS name limit: 253 characters (RFC 1035 §2.3.4 wire form; RFC 5321 §4.5.3.1.2 says 255 octets)', () => {
    const label = 'a'.repeat(63);
    const ok = [label, label, label, 'b'.repeat(61)].join('.'); // 253
    expect(ok.length).toBe(253);
    expect(parseHelo(ok).form).toBe('domain');
    const r = parseHelo(`${ok}x`);
    expect(r.form).toBe('invalid');
    if (r.form === 'invalid') expect(r.reason).toMatch(/254 octets; a name longer than 253 cannot exist in DNS/);
  });
});

describe('IP helpers', () => {
  it('canonicalises IPv6', () => {
    expect(canonicalIp('2001:db8::1')).toBe('2001:0db8:0000:0000:0000:0000:0000:0001');
    expect(canonicalIp('::1')).toBe('0000:0000:0000:0000:0000:0000:0000:0001');
    expect(canonicalIp('::ffff:192.0.2.1')).toBe('0000:0000:0000:0000:0000:ffff:c000:0201');
    expect(canonicalIp('not-an-ip')).toBeNull();
  });
  it.each([
    ['10.1.2.3', true], ['172.16.0.1', true], ['172.32.0.1', false], ['192.168.1.1', true], ['100.64.0.1', true],
    ['100.128.0.1', false], ['127.0.0.10', true], ['192.0.2.7', false], ['fd00::1', true], ['fe80::1', true],
    ['::1', true], ['2001:db8::1', false], ['::ffff:10.0.0.1', true],
  ])('isPrivateIp(%s) = %s', (ip, expected) => {
    expect(isPrivateIp(ip)).toBe(expected);
  });
  it('round-trips reverse owner names', () => {
    expect(reverseOwner('192.0.2.7')).toBe('7.2.0.192.in-addr.arpa');
    expect(ipFromReverseOwner('7.2.0.192.in-addr.arpa')).toBe('192.0.2.7');
    const v6 = reverseOwner('2001:db8::1');
    expect(v6).toBe('1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa');
    expect(canonicalIp(ipFromReverseOwner(v6 ?? '') ?? '')).toBe(canonicalIp('2001:db8::1'));
    expect(ipFromReverseOwner('example.org')).toBeNull();
  });
});
