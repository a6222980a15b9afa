/** lookupExchangers / lookupAddresses through the real resolver and the UDP zone fixture. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createResolver } from '../../src/dns/resolver.js';
import { lookupAddresses, lookupExchangers } from '../../src/dns/mx.js';
import { startDnsServer, zone, type DnsServerHandle } from '../helpers/dns-zone.js';

const fixture = zone(
  {
    'sorted.test': {
      MX: [
        { exchange: 'mx-c.sorted.test', priority: 20 },
        { exchange: 'MX-B.sorted.test', priority: 10 },
        { exchange: 'mx-a.sorted.test', priority: 20 },
        { exchange: 'mx-z.sorted.test', priority: 5 },
      ],
    },
    'dup.test': {
      MX: [
        { exchange: 'mx.dup.test', priority: 30 },
        { exchange: 'mx.dup.test', priority: 10 },
      ],
    },
    'implicit.test': { A: ['192.0.2.30'], AAAA: ['2001:db8::30'] },
    'implicit6.test': { AAAA: ['2001:db8::31'] },
    'txtonly.test': { TXT: ['v=spf1 -all'] },
    'nullmx.test': { MX: [{ exchange: '.', priority: 0 }], A: ['192.0.2.40'] },
    'oddnull.test': { MX: [{ exchange: '.', priority: 10 }] },
    'mixed.test': {
      MX: [
        { exchange: '.', priority: 0 },
        { exchange: 'mx.mixed.test', priority: 10 },
      ],
    },
    'noaddr.test': { MX: [{ exchange: 'ghost.noaddr.test', priority: 10 }, { exchange: 'bare.noaddr.test', priority: 20 }] },
    'bare.noaddr.test': { TXT: ['exists, no address'] },
    'literal.test': { MX: [{ exchange: '192.0.2.50', priority: 10 }] },
    'mx.mixed.test': { A: ['192.0.2.41'] },
    'dual.test': { A: ['192.0.2.60', '192.0.2.61'], AAAA: ['2001:db8::60'] },
    'half.test': { A: ['192.0.2.62'] },
    'aaaa-broken.test': { A: ['192.0.2.63'] },
    'implicitfail.test': { TXT: ['exists'] },
    'mxalias.test': { CNAME: 'sorted.test' },
  },
  {
    servfail: ['broken.test', 'implicitfail.test A', 'implicitfail.test AAAA', 'aaaa-broken.test AAAA'],
    drop: ['slowaaaa.test'],
  },
);

let server: DnsServerHandle;
beforeAll(async () => {
  server = await startDnsServer(fixture);
});
afterAll(async () => {
  await server.close();
});

const resolver = () => createResolver({ servers: [server.address], timeoutMs: 1_000 });

describe('lookupExchangers', () => {
  it('sorts by preference, ties by name, names lower-cased', async () => {
    expect(await lookupExchangers('sorted.test', resolver())).toEqual({
      status: 'ok',
      nullMx: false,
      mx: [
        { exchange: 'mx-z.sorted.test', priority: 5, implicit: false },
        { exchange: 'mx-b.sorted.test', priority: 10, implicit: false },
        { exchange: 'mx-a.sorted.test', priority: 20, implicit: false },
        { exchange: 'mx-c.sorted.test', priority: 20, implicit: false },
      ],
    });
  });

  it('merges a host listed twice, keeping its lowest preference', async () => {
    const out = await lookupExchangers('dup.test', resolver());
    expect(out.mx).toEqual([{ exchange: 'mx.dup.test', priority: 10, implicit: false }]);
    expect(out.detail).toMatch(/duplicate/);
  });

  it('no MX but an address: the implicit MX (RFC 5321 §5.1)', async () => {
    const out = await lookupExchangers('Implicit.Test.', resolver());
    expect(out.status).toBe('ok');
    expect(out.mx).toEqual([{ exchange: 'implicit.test', priority: 0, implicit: true }]);
    expect(out.nullMx).toBe(false);
    // IPv6-only hosts count too.
    expect((await lookupExchangers('implicit6.test', resolver())).mx).toEqual([{ exchange: 'implicit6.test', priority: 0, implicit: true }]);
  });

  it('no MX and no address: nodata, no implicit MX', async () => {
    const out = await lookupExchangers('txtonly.test', resolver());
    expect(out).toMatchObject({ status: 'nodata', mx: [], nullMx: false });
    expect(out.detail).toMatch(/no MX and no A\/AAAA/);
  });

  it('no MX and the implicit-MX address lookup failing: that failure, not nodata', async () => {
    const out = await lookupExchangers('implicitfail.test', resolver());
    expect(out).toMatchObject({ status: 'servfail', mx: [], nullMx: false });
    expect(out.detail).toMatch(/implicit-MX address lookup failed: A: servfail; AAAA: servfail/);
  });

  it('NXDOMAIN stays nxdomain; SERVFAIL stays servfail', async () => {
    expect(await lookupExchangers('nope.test', resolver())).toEqual({ status: 'nxdomain', mx: [], nullMx: false });
    expect(await lookupExchangers('broken.test', resolver())).toEqual({ status: 'servfail', mx: [], nullMx: false });
  });

  it('RFC 7505 null MX: status null-mx, no exchangers, even when the domain has an A record', async () => {
    expect(await lookupExchangers('nullmx.test', resolver())).toEqual({ status: 'null-mx', mx: [], nullMx: true });
    const odd = await lookupExchangers('oddnull.test', resolver());
    expect(odd).toMatchObject({ status: 'null-mx', mx: [], nullMx: true });
    expect(odd.detail).toMatch(/preference 0/);
  });

  it('an MX set mixing "." with real hosts: the "." is ignored and said so', async () => {
    const out = await lookupExchangers('mixed.test', resolver());
    expect(out.status).toBe('ok');
    expect(out.nullMx).toBe(false);
    expect(out.mx).toEqual([{ exchange: 'mx.mixed.test', priority: 10, implicit: false }]);
    expect(out.detail).toMatch(/ignored 1 null MX/);
  });

  it('MX hosts without addresses are listed; their address lookups say nxdomain / nodata', async () => {
    const r = resolver();
    const out = await lookupExchangers('noaddr.test', r);
    expect(out.mx.map((m) => m.exchange)).toEqual(['ghost.noaddr.test', 'bare.noaddr.test']);
    expect(await lookupAddresses('ghost.noaddr.test', r)).toEqual({ status: 'nxdomain', addresses: [] });
    expect(await lookupAddresses('bare.noaddr.test', r)).toEqual({ status: 'nodata', addresses: [] });
  });

  it('flags an MX target that is an IP literal and a domain that is an alias', async () => {
    const lit = await lookupExchangers('literal.test', resolver());
    expect(lit.mx).toEqual([{ exchange: '192.0.2.50', priority: 10, implicit: false }]);
    expect(lit.detail).toMatch(/IP address/);
    const alias = await lookupExchangers('mxalias.test', resolver());
    expect(alias.mx.map((m) => m.exchange)).toEqual(['mx-z.sorted.test', 'mx-b.sorted.test', 'mx-a.sorted.test', 'mx-c.sorted.test']);
    expect(alias.detail).toMatch(/CNAME sorted\.test/);
  });
});

describe('lookupAddresses', () => {
  it('A and AAAA together, v4 first', async () => {
    expect(await lookupAddresses('dual.test', resolver())).toEqual({
      status: 'ok',
      addresses: [
        { ip: '192.0.2.60', family: 4 },
        { ip: '192.0.2.61', family: 4 },
        { ip: '2001:db8::60', family: 6 },
      ],
    });
  });

  it('honours the family filter and asks only that family', async () => {
    server.resetLog();
    const r = resolver();
    expect((await lookupAddresses('dual.test', r, 6)).addresses).toEqual([{ ip: '2001:db8::60', family: 6 }]);
    expect((await lookupAddresses('dual.test', r, 4)).addresses.map((a) => a.ip)).toEqual(['192.0.2.60', '192.0.2.61']);
    expect(server.queryLog().filter((q) => q.type === 'A' || q.type === 'AAAA')).toEqual([
      { name: 'dual.test', type: 'AAAA' },
      { name: 'dual.test', type: 'A' },
    ]);
    expect(await lookupAddresses('half.test', r, 6)).toEqual({ status: 'nodata', addresses: [] });
  });

  it('one family ok and the other failing is ok with the failure in detail', async () => {
    expect(await lookupAddresses('aaaa-broken.test', resolver())).toEqual({
      status: 'ok',
      addresses: [{ ip: '192.0.2.63', family: 4 }],
      detail: 'AAAA: servfail',
      failed: [{ type: 'AAAA', status: 'servfail' }],
    });
  });

  it('both families timing out is a timeout, not "no address"', async () => {
    const r = createResolver({ servers: [server.address], timeoutMs: 300 });
    const out = await lookupAddresses('slowaaaa.test', r);
    expect(out.status).toBe('timeout');
    expect(out.detail).toBe('A: timeout; AAAA: timeout');
  });

  it('IP literals are returned without a query', async () => {
    server.resetLog();
    const r = resolver();
    expect(await lookupAddresses('192.0.2.7', r)).toEqual({ status: 'ok', addresses: [{ ip: '192.0.2.7', family: 4 }], detail: 'IP literal, not looked up' });
    expect((await lookupAddresses('[2001:db8::7]', r)).addresses).toEqual([{ ip: '2001:db8::7', family: 6 }]);
    expect((await lookupAddresses('192.0.2.7', r, 6)).status).toBe('nodata');
    expect(server.queries()).toBe(0);
  });

  it('SERVFAIL on a name surfaces as servfail, not nodata', async () => {
    const out = await lookupAddresses('broken.test', resolver());
    expect(out.status).toBe('servfail');
    expect(out.detail).toBe('A: servfail; AAAA: servfail');
  });
});
