/** How diff and history name a host (types.ts showHostKey), for each kind of target. */
import { describe, expect, it } from 'vitest';
import { hostKey, showHostKey, targetKey } from '../../src/store/types.js';

const show = (input: string, domain: string | null, exchange: string, ip: string, port: number) => showHostKey(hostKey(targetKey({ input, domain }), { exchange, ip, port }));

describe('showHostKey', () => {
  it('a domain target: domain, exchange, address', () => {
    expect(show('Example.ORG', 'example.org', 'MX1.example.org', '192.0.2.1', 25)).toBe('example.org mx1.example.org 192.0.2.1:25');
    expect(show('example.org', 'example.org', 'mx1.example.org', '2001:db8::1', 25)).toBe('example.org mx1.example.org [2001:db8::1]:25');
  });
  it('a host-name target (no MX lookup): the name once, then the address', () => {
    expect(show('mail.example.org', null, 'mail.example.org', '192.0.2.7', 587)).toBe('mail.example.org 192.0.2.7:587');
  });
  it('a bare-address target reads as its address alone, with or without a port, v4 and v6', () => {
    expect(show('192.0.2.1', null, '192.0.2.1', '192.0.2.1', 25)).toBe('192.0.2.1:25');
    expect(show('192.0.2.1:2525', null, '192.0.2.1', '192.0.2.1', 2525)).toBe('192.0.2.1:2525');
    expect(show('[2001:DB8::1]:25', null, '2001:db8::1', '2001:db8::1', 25)).toBe('[2001:db8::1]:25');
    expect(show('[2001:db8::1]', null, '2001:db8::1', '2001:db8::1', 25)).toBe('[2001:db8::1]:25');
  });
  it('an exchange that is an address under some other target keeps the target', () => {
    expect(show('odd.example', 'odd.example', '192.0.2.9', '192.0.2.9', 25)).toBe('odd.example 192.0.2.9:25');
  });
});
