/** Receiver emulation is pure: facts in, predictions out. */
import { describe, expect, it } from 'vitest';
import type { LookupFact, SenderFacts } from '../../src/analysis/alignment.js';
import { looksGeneric } from '../../src/analysis/generic-name.js';
import { parseHelo } from '../../src/analysis/helo-name.js';
import { predictReceivers, type Prediction } from '../../src/analysis/receiver-rules.js';

const found = (records: string[]): LookupFact<string> => ({ lookup: 'found', records, status: 'ok' });
const nx: LookupFact<string> = { lookup: 'nxdomain', records: [], status: 'nxdomain' };
const nodata: LookupFact<string> = { lookup: 'nodata', records: [], status: 'nodata' };
const temp: LookupFact<string> = { lookup: 'temp', records: [], status: 'servfail' };

/** An aligned identity: mail.example.org = 192.0.2.7, PTR mail.example.org, SPF pass. */
function facts(over: Partial<SenderFacts> = {}): SenderFacts {
  const helo = over.helo ?? 'mail.example.org';
  const ip = over.ip === undefined ? '198.51.100.7' : over.ip;
  return {
    helo,
    form: parseHelo(helo),
    ip,
    heloA: found(['198.51.100.7']),
    heloAaaa: nodata,
    heloMx: nodata,
    heloCnames: [],
    ptr: found(['mail.example.org']),
    fcrdns: { lookup: 'found', confirmed: ['mail.example.org'], forward: { 'mail.example.org': ['198.51.100.7'] } },
    heloGeneric: parseHelo(helo).form === 'domain' ? looksGeneric(helo, ip ?? undefined) : null,
    ptrGeneric: null,
    spf: { result: 'pass', detail: 'SPF pass' },
    ...over,
  };
}

function find(ps: Prediction[], receiver: string, rule: string | RegExp): Prediction | undefined {
  return ps.find((p) => p.receiver === receiver && (typeof rule === 'string' ? p.rule === rule : rule.test(p.rule)));
}

describe('predictReceivers: Postfix', () => {
  it.each<[string, Partial<SenderFacts>, string, Prediction['outcome'], string | null]>([
    ['aligned', {}, 'reject_invalid_helo_hostname', 'accept', null],
    ['bare IP', { helo: '198.51.100.7' }, 'reject_invalid_helo_hostname', 'reject', '501 5.5.2 <198.51.100.7>: Helo command rejected: Invalid name'],
    ['underscore', { helo: 'bad_name.example' }, 'reject_invalid_helo_hostname', 'reject', '501 5.5.2 <bad_name.example>: Helo command rejected: Invalid name'],
    ['literal is valid', { helo: '[198.51.100.7]' }, 'reject_invalid_helo_hostname', 'accept', null],
    ['single label', { helo: 'localhost' }, 'reject_non_fqdn_helo_hostname', 'reject', '504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname'],
    ['literal exempt from fqdn', { helo: '[198.51.100.7]' }, 'reject_non_fqdn_helo_hostname', 'accept', null],
    ['fqdn', {}, 'reject_non_fqdn_helo_hostname', 'accept', null],
    ['nxdomain', { heloA: nx, heloAaaa: nx, heloMx: nx }, 'reject_unknown_helo_hostname', 'defer', '450 4.7.1 <mail.example.org>: Helo command rejected: Host not found'],
    ['mx only is enough', { heloA: nodata, heloMx: found(['mx.example.org']) }, 'reject_unknown_helo_hostname', 'accept', null],
    ['no ptr', { ptr: nx, fcrdns: { lookup: 'not-checked', confirmed: [], forward: {} } }, 'reject_unknown_reverse_client_hostname', 'defer', '450 4.7.1 Client host rejected: cannot find your reverse hostname, [198.51.100.7]'],
    ['ptr present', {}, 'reject_unknown_reverse_client_hostname', 'accept', null],
    ['fcrdns fails', { fcrdns: { lookup: 'nodata', confirmed: [], forward: {} } }, 'reject_unknown_client_hostname', 'defer', '450 4.7.25 Client host rejected: cannot find your hostname, [198.51.100.7]'],
    ['fcrdns ok', {}, 'reject_unknown_client_hostname', 'accept', null],
  ])('%s: %s', (_label, over, rule, outcome, reply) => {
    const p = find(predictReceivers(facts(over)), 'postfix', rule);
    expect(p?.outcome).toBe(outcome);
    expect(p?.reply ?? null).toBe(reply);
  });

  it('defers on a DNS tempfail for the HELO name', () => {
    const p = find(predictReceivers(facts({ heloA: temp, heloAaaa: temp, heloMx: temp })), 'postfix', /^reject_unknown_helo_hostname/);
    expect(p?.outcome).toBe('defer');
    expect(p?.rule).toMatch(/tempfail/);
  });
});

describe('predictReceivers: Exim helo_verify_hosts', () => {
  it.each<[string, Partial<SenderFacts>, Prediction['outcome']]>([
    ['aligned', {}, 'accept'],
    ['forward lookup only', { ptr: nx, fcrdns: { lookup: 'not-checked', confirmed: [], forward: {} } }, 'accept'],
    ['rDNS only', { heloA: found(['203.0.113.1']) }, 'accept'],
    ['neither', { heloA: found(['203.0.113.1']), ptr: found(['x.example.net']), fcrdns: { lookup: 'nodata', confirmed: [], forward: {} } }, 'reject'],
    ['matching literal', { helo: '[198.51.100.7]' }, 'accept'],
    ['other literal', { helo: '[203.0.113.9]' }, 'reject'],
  ])('%s', (_l, over, outcome) => {
    const p = find(predictReceivers(facts(over)), 'exim', 'helo_verify_hosts');
    expect(p?.outcome).toBe(outcome);
    if (outcome === 'reject') expect(p?.reply).toBe('550 EHLO argument does not match calling host');
  });
});

describe('predictReceivers: Rspamd hfilter', () => {
  const symbols = (over: Partial<SenderFacts>): Record<string, number> =>
    Object.fromEntries(predictReceivers(facts(over)).filter((p) => p.receiver === 'rspamd' && p.outcome === 'score').map((p) => [p.rule.split(' ')[0] ?? '', p.score ?? 0]));

  it.each<[string, Partial<SenderFacts>, Record<string, number>]>([
    ['aligned: nothing', {}, {}],
    ['bare IP', { helo: '198.18.0.5' }, { HFILTER_HELO_BAREIP: 3.0 }],
    ['literal scored as bare IP', { helo: '[198.18.0.5]' }, { HFILTER_HELO_BAREIP: 3.0 }],
    ['reserved IP', { helo: '[192.168.1.1]' }, { HFILTER_HELO_BADIP: 4.5 }],
    ['documentation IP', { helo: '203.0.113.5' }, { HFILTER_HELO_BADIP: 4.5 }],
    ['no dot', { helo: 'WORKSTATION' }, { HFILTER_HELO_5: 3.0 }],
    ['.local', { helo: 'pc.local' }, { HFILTER_HELO_5: 3.0 }],
    ['dynamic word', { helo: 'host.dynamic.example.net' }, { HFILTER_HELO_5: 3.0 }],
    ['dsl', { helo: 'x.dsl.example.net' }, { HFILTER_HELO_4: 2.5 }],
    ['cable', { helo: 'x.cable.example.net' }, { HFILTER_HELO_3: 2.0 }],
    ['host-N', { helo: 'host-12.example.net' }, { HFILTER_HELO_2: 1.0 }],
    ['does not resolve', { heloA: nx, heloAaaa: nx, heloMx: nx }, { HFILTER_HELO_NORES_A_OR_MX: 0.3 }],
    ['resolves elsewhere', { heloA: found(['203.0.113.1']) }, { HFILTER_HELO_IP_A: 1.0 }],
    ['no ptr', { ptr: nx, fcrdns: { lookup: 'not-checked', confirmed: [], forward: {} } }, { RDNS_NONE: 2.0, HFILTER_HOSTNAME_UNKNOWN: 2.5 }],
    ['generic rDNS', { fcrdns: { lookup: 'found', confirmed: ['ppp-1-2.pool.example.net'], forward: {} } }, { HFILTER_HOSTNAME_5: 3.0 }],
  ])('%s', (_l, over, expected) => {
    expect(symbols(over)).toEqual(expected);
  });

  it('skips private client addresses', () => {
    const ps = predictReceivers(facts({ ip: '10.1.2.3', helo: 'WORKSTATION' })).filter((p) => p.receiver === 'rspamd');
    expect(ps).toHaveLength(1);
    expect(ps[0]?.outcome).toBe('accept');
  });
});

describe('predictReceivers: SpamAssassin', () => {
  const rules = (over: Partial<SenderFacts>): string[] =>
    predictReceivers(facts(over)).filter((p) => p.receiver === 'spamassassin' && p.outcome === 'score').map((p) => p.rule.split(' ')[0] ?? '');
  it.each<[string, Partial<SenderFacts>, string[]]>([
    ['aligned', {}, []],
    ['dynamic HELO', { helo: 'c-73-12-4-5.hsd1.ca.comcast.net' }, ['HELO_DYNAMIC_IPADDR']],
    ['dhcp HELO', { helo: 'dhcp024-210-034-053.columbus.rr.com' }, ['HELO_DYNAMIC_IPADDR', 'HELO_DYNAMIC_DHCP']],
    ['hex HELO (the HCC pattern matches it too)', { helo: '0xd5aaf40b.dhcp.kabelnettet.dk' }, ['HELO_DYNAMIC_HCC', 'HELO_DYNAMIC_HEXIP']],
    ['no domain', { helo: 'localhost' }, ['HELO_NO_DOMAIN']],
    ['no ptr', { ptr: nx, fcrdns: { lookup: 'not-checked', confirmed: [], forward: {} } }, ['RDNS_NONE']],
    ['dynamic rDNS', { fcrdns: { lookup: 'found', confirmed: ['pool-151-203-32-68.bos.east.verizon.net'], forward: {} } }, ['RDNS_DYNAMIC']],
    ['static rDNS exempt', { fcrdns: { lookup: 'found', confirmed: ['static-151-203-32-68.example.net'], forward: {} } }, []],
  ])('%s', (_l, over, expected) => {
    expect(rules(over)).toEqual(expected);
  });
  it('uses the shipped RDNS_NONE score', () => {
    const p = predictReceivers(facts({ ptr: nx, fcrdns: { lookup: 'not-checked', confirmed: [], forward: {} } })).find((x) => x.receiver === 'spamassassin' && x.rule.startsWith('RDNS_NONE'));
    expect(p?.score).toBe(0.793);
  });
});

describe('predictReceivers: Haraka helo.checks', () => {
  const fails = (over: Partial<SenderFacts>): string[] =>
    predictReceivers(facts(over)).filter((p) => p.receiver === 'haraka' && p.reply !== null).map((p) => p.reply ?? '');
  it.each<[string, Partial<SenderFacts>, string[]]>([
    ['aligned', {}, []],
    ['bare ip', { helo: '198.51.100.7' }, ['550 Invalid address format in HELO', '550 HELO host name invalid']],
    ['no dot', { helo: 'localhost', heloA: nx }, ['550 HELO host must be a FQDN or address literal (RFC 5321 2.3.5)', '550 HELO host does not match rDNS', '550 HELO host has no forward DNS match']],
    ['dynamic', { helo: 'h-198-51-100-7.isp.example', heloA: found(['198.51.100.7']), ptr: found(['h-198-51-100-7.isp.example']) }, ['550 HELO is dynamic']],
    ['literal in another /24', { helo: '[203.0.113.9]' }, ['550 HELO IP literal not in the same /24 as your IP address']],
    ['literal in the same /24', { helo: '[198.51.100.99]' }, []],
  ])('%s', (_l, over, expected) => {
    expect(fails(over)).toEqual(expected);
  });
  it('never rejects by default (reject.* = false)', () => {
    const ps = predictReceivers(facts({ helo: '198.51.100.7' })).filter((p) => p.receiver === 'haraka');
    expect(ps.every((p) => p.outcome === 'accept')).toBe(true);
  });
});
