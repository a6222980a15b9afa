/** HELO-identity SPF through mailauth and the resolver adapter, against the UDP fixture. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heloSpf } from '../../src/analysis/spf.js';
import { createResolver } from '../../src/dns/resolver.js';
import { startDnsServer, withPtr, zone, type DnsServerHandle } from '../helpers/dns-zone.js';

let server: DnsServerHandle;
let resolver: ReturnType<typeof createResolver>;

beforeAll(async () => {
  let z = zone({
    'pass.test': { A: ['127.0.0.10'], TXT: ['v=spf1 a -all'] },
    'mx.pass.test': { A: ['127.0.0.20'] },
    'mxmech.test': { MX: [{ exchange: 'mx.pass.test', priority: 10 }], TXT: ['v=spf1 mx -all'] },
    'ptrmech.test': { TXT: ['v=spf1 ptr -all'] },
    'host.ptrmech.test': { A: ['127.0.0.30'] },
    'fail.test': { TXT: ['v=spf1 ip4:192.0.2.0/24 -all'] },
    'soft.test': { TXT: ['v=spf1 ~all'] },
    'neutral.test': { TXT: ['v=spf1 ?all'] },
    'none.test': { A: ['127.0.0.10'] },
    'perm.test': { TXT: ['v=spf1 include:missing.test -all'] },
    'two.test': { TXT: ['v=spf1 -all', 'v=spf1 +all'] },
    'incl.test': { TXT: ['v=spf1 include:pass.test -all'] },
    'v6.test': { TXT: ['v=spf1 ip6:2001:db8::/32 -all'] },
  }, { servfail: ['temp.test'] });
  z = withPtr(z, '127.0.0.30', 'host.ptrmech.test');
  server = await startDnsServer(z, { host: '127.0.0.1', port: 0 });
  resolver = createResolver({ servers: [server.address], timeoutMs: 1000 });
});
afterAll(async () => server.close());

describe('heloSpf', () => {
  it.each([
    ['pass.test', '127.0.0.10', 'pass'],
    ['pass.test', '127.0.0.11', 'fail'],
    ['mxmech.test', '127.0.0.20', 'pass'],
    ['ptrmech.test', '127.0.0.30', 'pass'],
    ['ptrmech.test', '127.0.0.31', 'fail'],
    ['fail.test', '127.0.0.10', 'fail'],
    ['soft.test', '127.0.0.10', 'softfail'],
    ['neutral.test', '127.0.0.10', 'neutral'],
    ['none.test', '127.0.0.10', 'none'],
    ['nonexistent.test', '127.0.0.10', 'none'],
    ['perm.test', '127.0.0.10', 'permerror'],
    ['two.test', '127.0.0.10', 'permerror'],
    ['incl.test', '127.0.0.10', 'pass'],
    ['v6.test', '2001:db8::7', 'pass'],
    ['temp.test', '127.0.0.10', 'temperror'],
  ])('%s from %s -> %s', async (helo, ip, expected) => {
    const r = await heloSpf(helo, ip, resolver);
    expect(r.result, r.detail).toBe(expected);
    expect(r.detail).toContain(`SPF ${expected} for HELO ${helo} from ${ip}`);
  });
});
