/** HELO-identity SPF through mailauth and the resolver adapter, against the UDP fixture. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heloSpf } from '../../src/analysis/spf.js';
import { createResolver } from '../../src/dns/resolver.js';
import type { DnsServerHandle } from '../helpers/dns-zone.js';
import { startSpfDns } from './spf-zone.js';

let server: DnsServerHandle;
let resolver: ReturnType<typeof createResolver>;

beforeAll(async () => {
  ({ server, resolver } = await startSpfDns());
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
