/**
 * The SPF records the SPF tests judge (spf.test.ts, spf-light.test.ts), served by a real DNS
 * server on loopback: every result, macros, ptr v4/v6, include/redirect, dual-stack, the void and
 * 10-lookup limits, and a SERVFAIL.
 */
import { createResolver } from '../../src/dns/resolver.js';
import { startDnsServer, withPtr, zone, type DnsServerHandle } from '../helpers/dns-zone.js';

export async function startSpfDns(): Promise<{ server: DnsServerHandle; resolver: ReturnType<typeof createResolver> }> {
  let z = zone({
    'pass.test': { A: ['127.0.0.10'], TXT: ['v=spf1 a -all'] },
    'mx.pass.test': { A: ['127.0.0.20'] },
    'mxmech.test': { MX: [{ exchange: 'mx.pass.test', priority: 10 }], TXT: ['v=spf1 mx -all'] },
    'ptrmech.test': { TXT: ['v=spf1 ptr -all'] },
    'host.ptrmech.test': { A: ['127.0.0.30'] },
    'ptr6.test': { TXT: ['v=spf1 ptr:ptr6.test -all'] },
    'h.ptr6.test': { AAAA: ['2001:db8::30'] },
    'fail.test': { TXT: ['v=spf1 ip4:192.0.2.0/24 -all'] },
    'soft.test': { TXT: ['v=spf1 ~all'] },
    'neutral.test': { TXT: ['v=spf1 ?all'] },
    'none.test': { A: ['127.0.0.10'] },
    'perm.test': { TXT: ['v=spf1 include:missing.test -all'] },
    'two.test': { TXT: ['v=spf1 -all', 'v=spf1 +all'] },
    'incl.test': { TXT: ['v=spf1 include:pass.test -all'] },
    'redir.test': { TXT: ['v=spf1 redirect=pass.test'] },
    'v6.test': { TXT: ['v=spf1 ip6:2001:db8::/32 -all'] },
    'dual.test': { TXT: ['v=spf1 a/24//64 -all'], A: ['127.0.0.1'], AAAA: ['2001:db8::1'] },
    'macro.test': { TXT: ['v=spf1 exists:%{ir}.%{v}.ok.macro.test -all'] },
    '10.0.0.127.in-addr.ok.macro.test': { A: ['127.0.0.2'] },
    'void.test': { TXT: ['v=spf1 a:v1.void.test a:v2.void.test a:v3.void.test ~all'] },
    'many.test': { TXT: ['v=spf1 a:n1.test a:n2.test a:n3.test a:n4.test a:n5.test a:n6.test a:n7.test a:n8.test a:n9.test a:n10.test a:n11.test -all'] },
    'badcidr.test': { TXT: ['v=spf1 ip4:127.0.0.0/33 -all'] },
    'badmech.test': { TXT: ['v=spf1 foo:bar -all'] },
    'xn--bcher-kva.test': { TXT: ['v=spf1 +all'] },
    ...Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`n${i + 1}.test`, { A: ['192.0.2.1'] }])),
  }, { servfail: ['temp.test'] });
  z = withPtr(z, '127.0.0.30', 'host.ptrmech.test');
  z = withPtr(z, '2001:db8::30', 'h.ptr6.test');
  const server = await startDnsServer(z, { host: '127.0.0.1', port: 0 });
  return { server, resolver: createResolver({ servers: [server.address], timeoutMs: 1000 }) };
}
