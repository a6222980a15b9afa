import { describe, expect, it } from 'vitest';
import dns from 'node:dns';
import { parseResolverAddress } from '../../src/dns/resolver.js';
import { UsageError } from '../../src/errors.js';

describe('parseResolverAddress', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['127.0.0.1:53', '127.0.0.1'],
    ['127.0.0.1:5353', '127.0.0.1:5353'],
    [' 192.0.2.53:65535 ', '192.0.2.53:65535'],
    ['[::1]', '::1'],
    ['[::1]:5353', '[::1]:5353'],
    ['[2001:DB8::53]:53', '2001:db8::53'],
    ['::1', '::1'],
    ['2001:db8::53', '2001:db8::53'],
    // Its last group is 53 but "2001:db8:" is no address: only the address reading exists.
    ['2001:DB8:0:0:0:0:0:53', '2001:db8:0:0:0:0:0:53'],
    ['::53', '::53'],
    ['::ffff:127.0.0.1', '::ffff:127.0.0.1'],
    ['[::1]:53', '::1'],
    // The bracket form decides for the address reading; formatted so a second parse agrees.
    ['[::1:53]', '[::1:53]:53'],
  ])('%j -> %j', (input, expected) => {
    const out = parseResolverAddress(input);
    expect(out).toBe(expected);
    // And node:dns takes it as is (getServers shows the same server back).
    expect(parseResolverAddress(out)).toBe(out);
    const r = new dns.Resolver();
    r.setServers([out]);
    // node:dns shows some back in its canonical form (::1:53 as ::0.1.0.83, 0:0:0:0:0 as ::).
    if (!['[::1:53]:53', '2001:db8:0:0:0:0:0:53'].includes(out)) expect(r.getServers()).toEqual([out]);
  });

  it.each([
    ['::1:53', '[::1]:53', '[::1:53]'],
    ['::1:5353', '[::1]:5353', '[::1:5353]'],
    ['fe80::1:5353', '[fe80::1]:5353', '[fe80::1:5353]'],
    ['2001:db8::1:53', '[2001:db8::1]:53', '[2001:db8::1:53]'],
  ])('a bare IPv6 that also reads as address:port (%j) is refused as ambiguous, naming both readings', (bad, asPort, asAddress) => {
    expect(() => parseResolverAddress(bad)).toThrow(UsageError);
    expect(() => parseResolverAddress(bad)).toThrow(`--resolver "${bad}" is ambiguous: write ${asPort} for port`);
    expect(() => parseResolverAddress(bad)).toThrow(`or ${asAddress} for the address`);
  });

  it('a full IPv6 address with a port and no brackets says how to write it', () => {
    expect(() => parseResolverAddress('2001:db8:1:2:3:4:5:6:5353')).toThrow('needs brackets: [2001:db8:1:2:3:4:5:6]:5353');
  });

  it.each([
    '',
    'localhost',
    'dns.example',
    '127.0.0.1:0', // node:dns aborts the process on port 0
    '127.0.0.1:65536', // node:dns silently wraps it
    '127.0.0.1:99999',
    '127.0.0.1:',
    '127.0.0.1:5x',
    '127.0.0.1:0x35',
    '[127.0.0.1]:53',
    '[::1',
    '[::1]:',
    '[::1]:0',
    '::1:53:', // not an address
    'fe80::1%eth0',
    '[fe80::1%eth0]:53',
    '1.2.3.4.5',
    '300.1.1.1',
  ])('rejects %j with a UsageError', (bad) => {
    let caught: unknown;
    try {
      parseResolverAddress(bad);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(UsageError);
    expect((caught as UsageError).code).toBe('E_USAGE');
    expect((caught as UsageError).message).toMatch(/--resolver/);
  });
});

describe('pickServer (DANE/MTA-STS queries) reads node:dns forms, not user input', () => {
  it('a bare IPv6 from the system list (or a formatted --resolver) is an address on port 53, never ambiguous', async () => {
    const { pickServer } = await import('../../src/transport/dns-query.js');
    // e.g. "nameserver 2001:db8::1:53" in resolv.conf: getServers() gives it bare.
    expect(pickServer(['2001:db8::1:53'])).toEqual({ ip: '2001:db8::1:53', family: 6, port: 53 });
    expect(pickServer([parseResolverAddress('[::1:53]')])).toEqual({ ip: '::1:53', family: 6, port: 53 });
    expect(pickServer([parseResolverAddress('[::1]:5353')])).toEqual({ ip: '::1', family: 6, port: 5353 });
    expect(pickServer(['127.0.0.1:5353'])).toEqual({ ip: '127.0.0.1', family: 4, port: 5353 });
  });
});
