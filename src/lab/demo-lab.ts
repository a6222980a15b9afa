/**
 * The embedded demo lab: a DNS zone server and six simulated receivers with distinct, realistic
 * behaviour, all on loopback (127.0.0.0/8 is local on Linux without any setup). Receivers judge
 * the HELO with real DNS lookups against the lab zone, so the demo exercises the same pipeline,
 * DNS included, that a real run does.
 *
 *   postfix  127.0.1.1  accepts any EHLO, rejects bad HELO names only at RCPT (smtpd_delay_reject)
 *   exim     127.0.1.2  helo_verify_hosts: rejects a HELO that does not match the client at EHLO
 *   legacy   127.0.1.3  answers 500 to EHLO (HELO only), no extensions; PTR disagrees with banner
 *   secure   127.0.1.4  STARTTLS, AUTH offered only after TLS, REQUIRETLS, SMTPUTF8, CHUNKING
 *   grey     127.0.1.5  greylisting: 450 at RCPT for a new triplet, accepted after 2 s; no PTR
 *   slow     127.0.1.6  a slow banner (Haraka-like helo.checks: rejects dynamic and bare-IP HELO)
 *   brokentls 127.0.1.7 offers STARTTLS, answers 454 (demo-brokentls.ts)
 *
 * The prober connects from 127.0.2.10, whose PTR is relay.sender.demo.test (forward-confirmed).
 */
import { createResolver } from '../dns/resolver.js';
import { lookupAddresses, lookupExchangers } from '../dns/mx.js';
import type { Resolver } from '../dns/types.js';
import { parseHelo } from '../analysis/helo-name.js';
import { looksGeneric } from '../analysis/generic-name.js';
import { startDnsServer, type DnsServerHandle } from './dns-server.js';
import { withPtr, zone, type Zone } from './zone.js';
import { LAB_CERT, LAB_KEY } from './cert.js';
import { BROKEN_TLS_RECEIVER, brokenTlsPolicy } from './demo-brokentls.js';
import { startResponder, type Reply, type ResponderHandle, type ResponderPolicy, type ResponderSession } from './smtp-responder.js';

export const DEMO_SOURCE = '127.0.2.10';
export const DEMO_HELO = 'relay.sender.demo.test';

export interface DemoReceiver {
  name: string;
  domain: string;
  exchange: string;
  ip: string;
  behaviour: string;
}

export const DEMO_RECEIVERS: readonly DemoReceiver[] = [
  { name: 'postfix', domain: 'postfix.demo.test', exchange: 'mx.postfix.demo.test', ip: '127.0.1.1', behaviour: 'Postfix-like: HELO checks deferred to RCPT' },
  { name: 'exim', domain: 'exim.demo.test', exchange: 'mx.exim.demo.test', ip: '127.0.1.2', behaviour: 'Exim-like: helo_verify_hosts rejects at EHLO' },
  { name: 'legacy', domain: 'legacy.demo.test', exchange: 'mail.legacy.demo.test', ip: '127.0.1.3', behaviour: 'legacy: 500 to EHLO, HELO only' },
  { name: 'secure', domain: 'secure.demo.test', exchange: 'mx.secure.demo.test', ip: '127.0.1.4', behaviour: 'STARTTLS, AUTH only after TLS' },
  { name: 'grey', domain: 'grey.demo.test', exchange: 'mx.grey.demo.test', ip: '127.0.1.5', behaviour: 'greylisting: 450 at RCPT, passes after 2 s' },
  { name: 'slow', domain: 'slow.demo.test', exchange: 'mx.slow.demo.test', ip: '127.0.1.6', behaviour: 'slow banner; Haraka-like HELO checks at EHLO' },
  BROKEN_TLS_RECEIVER,
];

export const DEMO_EXTRA_TARGETS = ['nullmx.demo.test'];

export function demoZone(): Zone {
  const records: Parameters<typeof zone>[0] = {
    'demo.test': { A: ['127.0.2.99'] },
    'sender.demo.test': { A: ['127.0.2.99'], MX: [{ exchange: 'mx.postfix.demo.test', priority: 10 }] },
    'relay.sender.demo.test': { A: [DEMO_SOURCE], TXT: ['v=spf1 ip4:127.0.2.10 -all'] },
    'nullmx.demo.test': { MX: [{ exchange: '.', priority: 0 }] },
    'host3.hosting.demo.test': { A: ['127.0.1.3'] },
  };
  for (const r of DEMO_RECEIVERS) {
    records[r.domain] = { MX: [{ exchange: r.exchange, priority: 10 }] };
    records[r.exchange] = { A: [r.ip] };
  }
  let z = zone(records);
  z = withPtr(z, DEMO_SOURCE, DEMO_HELO);
  z = withPtr(z, '127.0.1.1', 'mx.postfix.demo.test');
  z = withPtr(z, '127.0.1.2', 'mx.exim.demo.test');
  // The legacy host's PTR names a hosting box, not its banner name: a classic audit finding.
  z = withPtr(z, '127.0.1.3', 'host3.hosting.demo.test');
  z = withPtr(z, '127.0.1.4', 'mx.secure.demo.test');
  z = withPtr(z, '127.0.1.6', 'mx.slow.demo.test');
  z = withPtr(z, BROKEN_TLS_RECEIVER.ip, BROKEN_TLS_RECEIVER.exchange);
  return z;
}

const r = (code: number, enhanced: string | undefined, ...lines: string[]): Reply => ({ code, ...(enhanced ? { enhanced } : {}), lines });

async function resolves(name: string, resolver: Resolver): Promise<'yes' | 'no' | 'temp'> {
  const a = await lookupAddresses(name, resolver);
  if (a.status === 'ok' && a.addresses.length > 0) return 'yes';
  if (a.status === 'timeout' || a.status === 'servfail') return 'temp';
  const mx = await lookupExchangers(name, resolver);
  if (mx.status === 'ok' && mx.mx.some((m) => !m.implicit)) return 'yes';
  return 'no';
}

function postfixPolicy(resolver: Resolver): ResponderPolicy {
  const caps = ['PIPELINING', 'SIZE 10240000', 'VRFY', 'ETRN', 'ENHANCEDSTATUSCODES', '8BITMIME', 'DSN', 'SMTPUTF8', 'CHUNKING'];
  return {
    hostname: 'mx.postfix.demo.test',
    tls: { key: LAB_KEY, cert: LAB_CERT },
    banner: () => r(220, undefined, 'mx.postfix.demo.test ESMTP Postfix (Debian/GNU)'),
    capabilities: () => caps,
    // smtpd_delay_reject = yes: the HELO restrictions are evaluated at RCPT TO.
    async rcpt(s: ResponderSession) {
      const helo = s.helo ?? '';
      const form = parseHelo(helo);
      if (form.form === 'invalid') return r(501, '5.5.2', `<${helo}>: Helo command rejected: Invalid name`);
      if (form.form === 'domain' && !form.fqdn) return r(504, '5.5.2', `<${helo}>: Helo command rejected: need fully-qualified hostname`);
      if (form.form === 'domain') {
        const res = await resolves(helo, resolver);
        if (res !== 'yes') return r(450, '4.7.1', `<${helo}>: Helo command rejected: Host not found`);
      }
      return null;
    },
  };
}

function eximPolicy(resolver: Resolver): ResponderPolicy {
  return {
    hostname: 'mx.exim.demo.test',
    banner: () => r(220, undefined, `mx.exim.demo.test ESMTP Exim 4.96 ${new Date().toUTCString()}`),
    capabilities: () => ['SIZE 52428800', '8BITMIME', 'PIPELINING', 'PRDR', 'HELP'],
    ehloLine: (s, name) => `mx.exim.demo.test Hello ${name} [${s.clientIp}]`,
    async greet(s, command, name) {
      const form = parseHelo(name);
      if (form.form === 'invalid' || form.form === 'bare-ip') return r(501, undefined, `Syntactically invalid ${command} argument(s)`);
      // helo_verify_hosts = *: the HELO must be the client's literal, or a name resolving to it.
      if (form.form === 'address-literal') {
        return form.ip === s.clientIp ? null : r(550, undefined, `${command} argument does not match calling host`);
      }
      const a = await lookupAddresses(name, resolver);
      if (a.status === 'timeout' || a.status === 'servfail') return r(451, undefined, `${command} argument does not match calling host`);
      if (a.status === 'ok' && a.addresses.some((x) => x.ip === s.clientIp)) return null;
      return r(550, undefined, `${command} argument does not match calling host`);
    },
  };
}

function legacyPolicy(): ResponderPolicy {
  return {
    hostname: 'mail.legacy.demo.test',
    banner: () => r(220, undefined, 'mail.legacy.demo.test Sendmail 8.9.3/8.9.3; ready'),
    ehloLine: (s, name) => `mail.legacy.demo.test Hello ${name} [${s.clientIp}], pleased to meet you`,
    greet: (_s, command, name) => (command === 'EHLO' ? r(500, undefined, `Command unrecognized: "EHLO ${name}"`) : null),
  };
}

function securePolicy(): ResponderPolicy {
  return {
    hostname: 'mx.secure.demo.test',
    tls: { key: LAB_KEY, cert: LAB_CERT },
    banner: () => r(220, undefined, 'mx.secure.demo.test ESMTP ready'),
    capabilities: (s) =>
      s.secure
        ? ['PIPELINING', 'SIZE 36700160', 'AUTH PLAIN LOGIN', 'ENHANCEDSTATUSCODES', '8BITMIME', 'SMTPUTF8', 'CHUNKING', 'REQUIRETLS', 'DSN']
        : ['PIPELINING', 'SIZE 36700160', 'ENHANCEDSTATUSCODES', '8BITMIME'],
    ehloLine: () => 'mx.secure.demo.test at your service',
    mail: (s) => (s.secure ? null : r(530, '5.7.0', 'Must issue a STARTTLS command first')),
  };
}

function greyPolicy(delayMs: number): ResponderPolicy {
  // Triplets (client IP, sender, recipient) first seen; postgrey's model with a short delay.
  const seen = new Map<string, number>();
  return {
    hostname: 'mx.grey.demo.test',
    tls: { key: LAB_KEY, cert: LAB_CERT },
    banner: () => r(220, undefined, 'mx.grey.demo.test ESMTP Postfix'),
    capabilities: () => ['PIPELINING', 'SIZE 20480000', 'ENHANCEDSTATUSCODES', '8BITMIME'],
    rcpt(s, to) {
      const key = `${s.clientIp}/${s.mailFrom ?? ''}/${to}`;
      const first = seen.get(key);
      const now = Date.now();
      if (first === undefined) seen.set(key, now);
      if (first === undefined || now - first < delayMs) {
        return r(450, '4.2.0', `<${to}>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/grey.demo.test.html`);
      }
      return null;
    },
  };
}

function slowPolicy(bannerDelayMs: number): ResponderPolicy {
  return {
    hostname: 'mx.slow.demo.test',
    banner: () => ({ ...r(220, undefined, 'mx.slow.demo.test ESMTP Haraka/3.0.3 ready'), delayMs: bannerDelayMs }),
    capabilities: () => ['PIPELINING', '8BITMIME', 'SMTPUTF8', 'SIZE 0'],
    ehloLine: (s, name) => `mx.slow.demo.test Hello ${name} [${s.clientIp}], Haraka is at your service.`,
    greet(s, _command, name) {
      const form = parseHelo(name);
      if (form.form === 'bare-ip') return r(550, undefined, 'Invalid address format in HELO');
      if (form.form === 'address-literal' && form.ip !== s.clientIp) return r(550, undefined, 'Invalid address format in HELO');
      if (form.form === 'domain' && !form.fqdn) return r(550, undefined, 'HELO host must be a FQDN or address literal (RFC 5321 2.3.5)');
      if (form.form === 'domain' && looksGeneric(name, s.clientIp).generic) return r(550, undefined, 'HELO host name looks dynamic');
      return null;
    },
  };
}

export interface DemoLab {
  dns: DnsServerHandle;
  port: number;
  receivers: Array<DemoReceiver & { handle: ResponderHandle }>;
  targets: string[];
  close(): Promise<void>;
}

export interface DemoLabOptions {
  greylistDelayMs?: number;
  slowBannerMs?: number;
}

/** Bind every receiver on one common port (an MX record carries no port), retrying on a clash. */
export async function startDemoLab(options: DemoLabOptions = {}): Promise<DemoLab> {
  const dns = await startDnsServer(demoZone(), { host: '127.0.0.1', port: 0 });
  // The receivers look names up through the lab DNS, like a real MTA through its resolver.
  const resolver = createResolver({ servers: [dns.address], timeoutMs: 2000 });
  const policies: Record<string, () => ResponderPolicy> = {
    postfix: () => postfixPolicy(resolver),
    exim: () => eximPolicy(resolver),
    legacy: () => legacyPolicy(),
    secure: () => securePolicy(),
    grey: () => greyPolicy(options.greylistDelayMs ?? 2000),
    slow: () => slowPolicy(options.slowBannerMs ?? 600),
    brokentls: () => brokenTlsPolicy(postfixPolicy(resolver)),
  };
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 40000);
    const started: Array<DemoReceiver & { handle: ResponderHandle }> = [];
    try {
      for (const rcv of DEMO_RECEIVERS) {
        const make = policies[rcv.name];
        if (!make) throw new Error(`no policy for ${rcv.name}`);
        started.push({ ...rcv, handle: await startResponder(make(), { host: rcv.ip, port }) });
      }
      return {
        dns,
        port,
        receivers: started,
        targets: [...DEMO_RECEIVERS.map((x) => x.domain), ...DEMO_EXTRA_TARGETS],
        async close() {
          await Promise.all(started.map((s) => s.handle.close()));
          await dns.close();
        },
      };
    } catch (err) {
      await Promise.all(started.map((s) => s.handle.close()));
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') {
        await dns.close();
        throw err;
      }
    }
  }
  await dns.close();
  throw new Error('could not find a free port shared by all demo receivers');
}
