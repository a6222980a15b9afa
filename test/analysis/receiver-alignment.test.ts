import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { receiverAlignment } from '../../src/analysis/receiver-alignment.js';
import { createResolver } from '../../src/dns/resolver.js';
import { startDnsServer, withPtr, zone, type DnsServerHandle } from '../helpers/dns-zone.js';

let dns: DnsServerHandle;
beforeAll(async () => {
  dns = await startDnsServer(
    withPtr(
      zone({
        'alias.cn.test': { CNAME: 'real.cn.test' },
        'real.cn.test': { A: ['127.0.0.1'] },
        'mx.ok.test': { A: ['127.0.0.1'] },
      }),
      '127.0.0.1',
      'real.cn.test',
    ),
  );
});
afterAll(() => dns.close());

const input = (exchange: string) => ({ exchange, ip: '127.0.0.1', bannerName: 'real.cn.test', ehloName: 'real.cn.test', tls: null, isIpTarget: false });

describe('receiver alignment: MX that is an alias', () => {
  it('warns when the MX target is a CNAME (RFC 2181 §10.3), naming the chain', async () => {
    const checks = await receiverAlignment(input('alias.cn.test'), createResolver({ servers: [dns.address] }));
    expect(checks.find((c) => c.id === 'mx-address')?.status).toBe('pass');
    const cname = checks.find((c) => c.id === 'mx-cname');
    expect(cname?.status).toBe('warn');
    expect(cname?.detail).toMatch(/alias\.cn\.test is an alias \(CNAME → real\.cn\.test\)/);
  });

  it('says nothing about aliases when the MX names the host itself', async () => {
    const checks = await receiverAlignment(input('mx.ok.test'), createResolver({ servers: [dns.address] }));
    expect(checks.some((c) => c.id === 'mx-cname')).toBe(false);
  });
});
