import { describe, expect, it } from 'vitest';
import { looksGeneric } from '../../src/analysis/generic-name.js';

// Real-looking access-network names (shapes from SpamAssassin 20_dynrdns.cf comments and ISPs).
const GENERIC: Array<[string, string?]> = [
  ['host-89-228-141-53.dynamic.example.net', '89.228.141.53'],
  ['c-73-12-4-5.hsd1.ca.comcast.net', '73.12.4.5'],
  ['ppp-192-0-2-7.dsl.example.net', '192.0.2.7'],
  ['dhcp024-210-034-053.columbus.rr.com', '24.210.34.53'],
  ['c-67-168-174-61.client.comcast.net'],
  ['pool-151-203-32-68.bos.east.verizon.net', '151.203.32.68'],
  ['dsl-200-95-109-107.prod-infinitum.com.mx'],
  ['port-212-202-77-203.reverse.qsc.de'],
  ['200-171-228-6.customer.telesp.net.br'],
  ['74.67-201-80.adsl.skynet.be', '80.201.67.74'],
  ['12-218-225-223.client.mchsi.com', '12.218.225.223'],
  ['pptp-81-30-186-139.ufanet.ru'],
  ['0xd5aaf40b.dhcp.kabelnettet.dk'],
  ['pd9e4f89f.dip.t-dialin.net', '217.228.248.159'],
  ['cpe-203-0-113-9.example-cable.net'],
  ['ool-18be1aaf.dyn.optonline.net', '24.190.26.175'],
  ['adsl-198-51-100-23.dsl.example.com'],
  ['dynamic-198-51-100-4.example.net'],
  ['203-0-113-45.broadband.example.net'],
  ['ip203-0-113-45.example.org', '203.0.113.45'],
  ['user123.dialup.example.net'],
  ['cable-77-12-3-4.kabel.example.de'],
  ['ppp85-140-1-2.pppoe.example.ru'],
  ['ab-cd.pool.example.net'],
  ['host-7-2-0.example.net', '192.0.2.7'],
  ['c0000207.example.net', '192.0.2.7'],
  ['n192000002007.example.net', '192.0.2.7'],
  ['dyn-2001-db8-0-0-1234-5678-9abc-def0.example.net', '2001:db8::1234:5678:9abc:def0'],
];

const NOT_GENERIC: Array<[string, string?]> = [
  ['mail.example.org', '192.0.2.7'],
  ['mx1.static-hosting.example', '192.0.2.7'],
  ['static-192-0-2-7.example.net', '192.0.2.7'],
  ['smtp.example.com'],
  ['mx.example.net'],
  ['mail2.example.co.uk'],
  ['smtp-out-3.example.com', '198.51.100.3'],
  ['relay.example.org'],
  ['outbound.mail.example.com'],
  ['mta7.mail.example.net'],
  ['mail-192-0-2-7.example.net', '192.0.2.7'],
  ['mx-out-198-51-100-9.example.net', '198.51.100.9'],
  ['www.example.org'],
  ['host.example.org'],
  ['clients.example.org'],
  ['server1.example.org', '192.0.2.1'],
  ['mailhost.university.example'],
  ['gateway.corp.example'],
  ['fix-203-0-113-4.example.net', '203.0.113.4'],
  ['exchange.contoso.example'],
  ['postfix.example.org'],
  ['a.b.example'],
  ['smtp.dynamics-corp.example'],
  ['mail.national.example'],
  ['bounce.newsletters.example.com', '192.0.2.200'],
  ['inbound-smtp.eu-west-1.example.com'],
  ['node.example.org'],
];

describe('looksGeneric', () => {
  it('has enough cases', () => {
    expect(GENERIC.length).toBeGreaterThanOrEqual(25);
    expect(NOT_GENERIC.length).toBeGreaterThanOrEqual(25);
  });
  it.each(GENERIC)('%s is generic', (name, ip) => {
    const v = looksGeneric(name, ip);
    expect(v.generic, v.reasons.join('; ')).toBe(true);
    expect(v.reasons.length).toBeGreaterThan(0);
  });
  it.each(NOT_GENERIC)('%s is not generic', (name, ip) => {
    const v = looksGeneric(name, ip);
    expect(v.generic, v.reasons.join('; ')).toBe(false);
  });
  it('explains exemptions', () => {
    const v = looksGeneric('static-192-0-2-7.example.net', '192.0.2.7');
    expect(v.reasons.some((r) => r.startsWith('exempt:'))).toBe(true);
    expect(v.reasons.some((r) => r.includes('192-0-2-7'))).toBe(true);
  });
  it('matches the octets of the given IP specifically', () => {
    // Octets present but of another address: not this IP's name.
    expect(looksGeneric('box-10-20-30-40.example.net', '192.0.2.7').reasons.join()).not.toMatch(/the IP's/);
    expect(looksGeneric('box-10-20-30-40.example.net', '10.20.30.40').reasons.join()).toMatch(/the IP's octets 10-20-30-40/);
  });
});
