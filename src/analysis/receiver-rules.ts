/**
 * Receiver emulation: what common MTAs and filters would do with one sending identity, computed
 * from the facts senderAlignment gathered (pure, table-testable). Texts and defaults come from
 * Postfix postconf(5)/smtpd_check.c, the Exim spec (helo_verify_hosts), rspamd hfilter.lua with
 * scores.d/hfilter_group.conf, SpamAssassin 20_dynrdns.cf and Haraka plugins/helo.checks.
 */
import type { SenderFacts } from './alignment.js';
import { heloAddresses, heloResolution } from './alignment.js';
import { isPrivateIp, normalizeName, sameIp } from './helo-name.js';

export type { SenderFacts } from './alignment.js';

export interface Prediction {
  receiver: string;
  rule: string;
  outcome: 'accept' | 'reject' | 'defer' | 'score';
  reply: string | null;
  /** for score-based filters */
  score?: number;
}

function pred(receiver: string, rule: string, outcome: Prediction['outcome'], reply: string | null, score?: number): Prediction {
  return score === undefined ? { receiver, rule, outcome, reply } : { receiver, rule, outcome, reply, score };
}

// --- Postfix ---------------------------------------------------------------------------------
// Defaults: invalid_hostname_reject_code = 501, non_fqdn_reject_code = 504,
// unknown_hostname_reject_code = 450, unknown_client_reject_code = 450,
// unknown_helo_hostname_tempfail_action = defer_if_permit (450 on DNS trouble).
function postfix(f: SenderFacts): Prediction[] {
  const out: Prediction[] = [];
  const P = 'postfix';
  const h = f.helo;
  const { form } = f;
  const literal = form.form === 'address-literal';
  const syntaxBad = form.form === 'invalid' || form.form === 'bare-ip';

  // reject_invalid_helo_hostname: valid_hostname() or a valid address literal. valid_hostname()
  // rejects all-numeric names, so a bare IPv4 is "Invalid name" too.
  out.push(syntaxBad
    ? pred(P, 'reject_invalid_helo_hostname', 'reject', `501 5.5.2 <${h}>: Helo command rejected: Invalid name`)
    : pred(P, 'reject_invalid_helo_hostname', 'accept', null));

  // reject_non_fqdn_helo_hostname: literals are exempt; invalid names fail too.
  const fqdnBad = !literal && (form.form !== 'domain' ? form.form === 'invalid' : !form.fqdn);
  out.push(fqdnBad
    ? pred(P, 'reject_non_fqdn_helo_hostname', 'reject', `504 5.5.2 <${h}>: Helo command rejected: need fully-qualified hostname`)
    : pred(P, 'reject_non_fqdn_helo_hostname', 'accept', null));

  // reject_unknown_helo_hostname: no A, AAAA or MX; literals are not looked up.
  if (literal) out.push(pred(P, 'reject_unknown_helo_hostname', 'accept', null));
  else {
    const r = form.form === 'domain' ? heloResolution(f) : 'nxdomain';
    if (r === 'found') out.push(pred(P, 'reject_unknown_helo_hostname', 'accept', null));
    else out.push(pred(P, r === 'temp' ? 'reject_unknown_helo_hostname (DNS tempfail: defer_if_permit)' : 'reject_unknown_helo_hostname', 'defer', `450 4.7.1 <${h}>: Helo command rejected: Host not found`));
  }

  if (f.ip) {
    const ip = f.ip;
    // reject_unknown_reverse_client_hostname: no PTR at all.
    if (f.ptr.lookup === 'found') out.push(pred(P, 'reject_unknown_reverse_client_hostname', 'accept', null));
    else out.push(pred(P, 'reject_unknown_reverse_client_hostname', 'defer', `450 4.7.1 Client host rejected: cannot find your reverse hostname, [${ip}]`));
    // reject_unknown_client_hostname: no PTR, or the PTR name does not resolve back (FCrDNS).
    if (f.fcrdns.lookup === 'found') out.push(pred(P, 'reject_unknown_client_hostname', 'accept', null));
    else out.push(pred(P, 'reject_unknown_client_hostname', 'defer', `450 4.7.25 Client host rejected: cannot find your hostname, [${ip}]`));
  }
  return out;
}

// --- Exim ------------------------------------------------------------------------------------
// helo_verify_hosts: the HELO must be the IP literal of the host, or the host's (verified) reverse
// name, or a name whose forward lookup yields the host's IP; otherwise 550 at HELO/EHLO.
function exim(f: SenderFacts): Prediction[] {
  if (!f.ip) return [];
  const ip = f.ip;
  const R = 'helo_verify_hosts';
  let ok = false;
  if (f.form.form === 'address-literal') ok = sameIp(f.form.ip, ip);
  else if (f.form.form === 'domain') {
    const h = normalizeName(f.helo);
    ok = f.fcrdns.confirmed.some((n) => normalizeName(n) === h) || heloAddresses(f).some((a) => sameIp(a, ip));
    if (!ok && heloResolution(f) === 'temp') return [pred('exim', R, 'defer', null)];
  }
  return [ok ? pred('exim', R, 'accept', null) : pred('exim', R, 'reject', '550 EHLO argument does not match calling host')];
}

// --- Rspamd hfilter --------------------------------------------------------------------------
/** scores.d/hfilter_group.conf weights. */
export const RSPAMD_SCORES: Readonly<Record<string, number>> = {
  HFILTER_HELO_BAREIP: 3.0, HFILTER_HELO_BADIP: 4.5,
  HFILTER_HELO_1: 0.5, HFILTER_HELO_2: 1.0, HFILTER_HELO_3: 2.0, HFILTER_HELO_4: 2.5, HFILTER_HELO_5: 3.0,
  HFILTER_HOSTNAME_1: 0.5, HFILTER_HOSTNAME_2: 1.0, HFILTER_HOSTNAME_3: 2.0, HFILTER_HOSTNAME_4: 2.5, HFILTER_HOSTNAME_5: 3.0,
  HFILTER_HELO_NORESOLVE_MX: 0.2, HFILTER_HELO_NORES_A_OR_MX: 0.3, HFILTER_HELO_IP_A: 1.0, HFILTER_HELO_NOT_FQDN: 2.0,
  HFILTER_HOSTNAME_UNKNOWN: 2.5, RDNS_NONE: 2.0,
};

/** hfilter checks_hellohost: word -> weight; each word is tried as [.-]W[.-], W[.-][0-9], [0-9][.-]?W. */
const HELLOHOST: ReadonlyArray<[string, number]> = [
  ['gprs', 5], ['cdma', 5], ['homeuser', 5], ['dhcp', 5], ['catv', 5], ['wifi', 5], ['dial-?up', 5], ['dynamic', 5],
  ['dyn', 5], ['dynip', 5], ['broadband', 5], ['broad', 5], ['bredband', 5], ['nat', 5], ['pptp', 5], ['pppoe', 5],
  ['ppp', 5], ['modem', 5], ['cablemodem', 5], ['comcast', 5], ['[ax]?dsl-dynamic', 5],
  ['[ax]?dsl', 4], ['[ax]?dsl-line', 4], ['in-?addr', 4], ['pool', 4], ['fibertel', 4], ['fbx', 4],
  ['unused-addr', 3], ['cable', 3], ['kabel', 3], ['host', 2], ['customers?', 1], ['user', 1], ['peer', 1],
];
const HELLOHOST_RE: ReadonlyArray<[RegExp, number]> = [
  ...HELLOHOST.flatMap(([w, n]): Array<[RegExp, number]> => [
    [new RegExp(`[.-]${w}[.-]`, 'i'), n], [new RegExp(`${w}[.-][0-9]`, 'i'), n], [new RegExp(`[0-9][.-]?${w}`, 'i'), n],
  ]),
  [/[.-]clients?[.-]/i, 1], [/clients?[.-][0-9]{2,}/i, 5], [/[0-9]{3,}[.-]?clients?/i, 5],
];
const HELLO_RE: ReadonlyArray<RegExp> = [/^[^.]+$/, /^(dsl)?(device|speedtouch)\.lan$/i, /\.(lan|local|home|localdomain|intra|in-addr\.arpa|priv|user|veloxzon)$/i];
const BADIP_RE: ReadonlyArray<RegExp> = [
  /^0\./, /^::1$/, /^127\./, /^10\./, /^192\.168\./, /^172\.(1[6-9]|2\d|3[01])\./, /^169\.254\./, /^192\.0\.0\./,
  /^192\.88\.99\./, /^100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\./, /^192\.0\.2\./, /^198\.51\.100\./, /^203\.0\.113\./,
  /^fe[89ab][0-9a-f]::/i, /^fe[cdf][0-9a-f]:/i, /^2001:db8::/i, /^fc00::/i,
];
const BAREIP_RE: ReadonlyArray<RegExp> = [/^\d+[x.-]\d+[x.-]\d+[x.-]\d+$/, /^[0-9a-f]+:/i];
const RSPAMD_FQDN_RE = /^(?=.{4,253}$)(?:(?!-)[a-zA-Z0-9-]{1,63}(?<!-)\.)+[a-zA-Z0-9-]{2,63}\.?$/;

function hellohostWeight(name: string): number {
  let w = 0;
  for (const [re, n] of HELLOHOST_RE) if (re.test(name) && n > w) w = n;
  return w;
}

function rspamd(f: SenderFacts): Prediction[] {
  const R = 'rspamd';
  // hfilter returns early for local networks (check_local = false by default).
  if (f.ip && isPrivateIp(f.ip)) return [pred(R, 'hfilter skips local/private client addresses (check_local = false)', 'accept', null)];
  const out: Prediction[] = [];
  const add = (sym: string, why: string): void => {
    out.push(pred(R, `${sym} (${why})`, 'score', null, RSPAMD_SCORES[sym] ?? 0));
  };
  // hfilter strips the brackets, so an address literal is scored like a bare IP.
  const helo = f.helo.replace(/[[\]]/g, '').replace(/^ipv6:/i, '');
  let weightHelo = 0;
  if (BADIP_RE.some((re) => re.test(helo))) add('HFILTER_HELO_BADIP', `HELO ${helo} is a reserved/internal address`);
  else if (BAREIP_RE.some((re) => re.test(helo))) add('HFILTER_HELO_BAREIP', `HELO ${f.helo} is an IP address`);
  else {
    if (HELLO_RE.some((re) => re.test(helo))) weightHelo = 5;
    weightHelo = Math.max(weightHelo, hellohostWeight(helo));
    if (weightHelo === 0 && f.ip) {
      if (!RSPAMD_FQDN_RE.test(helo)) add('HFILTER_HELO_NOT_FQDN', `HELO ${helo} is not an FQDN`);
      else {
        const addrs = heloAddresses(f);
        const res = heloResolution(f);
        if (addrs.length === 0 && f.heloMx.lookup !== 'found' && res !== 'temp') add('HFILTER_HELO_NORES_A_OR_MX', `HELO ${helo} has no A, AAAA or MX`);
        const ip = f.ip;
        if (addrs.length > 0 && !addrs.some((a) => sameIp(a, ip))) add('HFILTER_HELO_IP_A', `HELO ${helo} resolves to ${addrs.join(', ')}, not ${ip}`);
      }
    }
  }
  // The client hostname is the validated rDNS name, or "unknown".
  let weightHost = 0;
  if (f.ip) {
    if (f.ptr.lookup !== 'found' && f.ptr.lookup !== 'temp') add('RDNS_NONE', `no PTR for ${f.ip}`);
    if (f.fcrdns.lookup !== 'found' && f.ptr.lookup !== 'temp' && f.fcrdns.lookup !== 'temp') add('HFILTER_HOSTNAME_UNKNOWN', `no forward-confirmed PTR for ${f.ip}`);
    const host = f.fcrdns.confirmed[0];
    if (host) weightHost = hellohostWeight(host);
  }
  // Only the heavier of HELO_n / HOSTNAME_n is inserted.
  if (weightHelo > 0 && weightHelo >= weightHost) add(`HFILTER_HELO_${weightHelo}`, `HELO ${helo} matches hfilter's generic-name patterns`);
  else if (weightHost > 0) add(`HFILTER_HOSTNAME_${weightHost}`, `rDNS ${f.fcrdns.confirmed[0] ?? ''} matches hfilter's generic-name patterns`);
  return out.length ? out : [pred(R, 'no hfilter symbols', 'accept', null, 0)];
}

// --- SpamAssassin ----------------------------------------------------------------------------
/**
 * Scores: RDNS_NONE 0.793 and HELO_NO_DOMAIN 0.001 as shipped in the sa-update channel; the
 * dynamic-name rules are re-scored by mass checks, the values here are approximate.
 */
export const SA_SCORES: Readonly<Record<string, number>> = {
  RDNS_NONE: 0.793, RDNS_DYNAMIC: 0.982, HELO_DYNAMIC_IPADDR: 1.951, HELO_DYNAMIC_DHCP: 1.404,
  HELO_DYNAMIC_HCC: 0.001, HELO_DYNAMIC_SPLIT_IP: 0.001, HELO_DYNAMIC_HEXIP: 0.001, HELO_NO_DOMAIN: 0.001,
};

/** 20_dynrdns.cf patterns (the "rdns=" / "helo=" part of X-Spam-Relays-External). */
const SA_DYNAMIC: ReadonlyArray<[string, RegExp]> = [
  ['IPADDR', /^[a-z]\S*\d+[^\d\s]\d+[^\d\s]\d+[^\d\s]\d+\S*\.\S+\.\S/i],
  ['DHCP', /^\S*(?:cm|catv|docsis|cable|dsl|dhcp|cpe|node)\S*\d+[^\d\s]+\d/i],
  ['HCC', /^\S*\d+[^\d\s]+\d+\S*\.(?:docsis|cable|dsl|adsl|dhcp|cpe)\./i],
  ['HEXIP', /^0x[a-f0-9]{8}\./],
  ['SPLIT_IP', /^\d+\.\S+\d+[^\d\s]\d+[^\d\s]\d+[^\d\s]/],
];
const SA_INDICATORS: ReadonlyArray<RegExp> = [
  /^\S+[-.]dyn(?:amic)?[-.]/i, /^\S+[-.](?:res|resnet|client)[-.]/i, /^\S+[-.](?:docsis|dhcp|cpe|catv)[-.]/i, /^\S+[-.]dyn(?:amic)?\d/i,
];
const SA_STATIC = /^\S*(?:fix|static|fixip)/i;

function spamassassin(f: SenderFacts): Prediction[] {
  const S = 'spamassassin';
  const out: Prediction[] = [];
  const add = (rule: string, why: string): void => {
    out.push(pred(S, `${rule} (${why})`, 'score', null, SA_SCORES[rule] ?? 0));
  };
  if (f.form.form === 'domain') {
    // Each HELO_DYNAMIC_* is its own rule: every matching one adds its score.
    for (const [tag, re] of SA_DYNAMIC) if (re.test(f.helo)) add(`HELO_DYNAMIC_${tag}`, `HELO ${f.helo} looks dynamic`);
    if (!f.form.fqdn) add('HELO_NO_DOMAIN', `HELO ${f.helo} has no domain part`);
  }
  if (f.ip) {
    // SA sees rdns= empty when the MTA could not verify the client name (Postfix "unknown").
    if (f.fcrdns.lookup !== 'found' && f.ptr.lookup !== 'temp' && f.fcrdns.lookup !== 'temp') add('RDNS_NONE', `no verified PTR for ${f.ip}`);
    const host = f.fcrdns.confirmed[0];
    if (host && !SA_STATIC.test(host) && (SA_DYNAMIC.some(([, re]) => re.test(host)) || SA_INDICATORS.some((re) => re.test(host)))) {
      add('RDNS_DYNAMIC', `rDNS ${host} looks dynamic`);
    }
  }
  return out.length ? out : [pred(S, 'no HELO/rDNS rules hit', 'accept', null, 0)];
}

function sameSlash24(a: string, b: string): boolean {
  const x = a.split('.');
  const y = b.split('.');
  if (x.length !== 4 || y.length !== 4) return sameIp(a, b);
  return x.slice(0, 3).join('.') === y.slice(0, 3).join('.');
}

// --- Haraka helo.checks ----------------------------------------------------------------------
// Every check only records a failure by default (reject.<check> = false); the reply is what the
// plugin sends (DENY -> 550) once reject.<check> is enabled.
function haraka(f: SenderFacts): Prediction[] {
  const H = 'haraka';
  if (f.ip && isPrivateIp(f.ip)) return [pred(H, 'helo.checks skips private client addresses (skip.private_ip = true)', 'accept', null)];
  const out: Prediction[] = [];
  const fail = (check: string, text: string): void => {
    out.push(pred(H, `helo.checks ${check} fails (logged; rejects only with reject.${check}=true)`, 'accept', `550 ${text}`));
  };
  const helo = f.helo;
  const literal = f.form.form === 'address-literal';
  if (f.form.form === 'bare-ip') fail('bare_ip', 'Invalid address format in HELO');
  if (!literal) {
    if (!helo.includes('.')) fail('valid_hostname', 'HELO host must be a FQDN or address literal (RFC 5321 2.3.5)');
    else if (f.form.form === 'invalid' || f.form.form === 'bare-ip') fail('valid_hostname', 'HELO host name invalid');
  }
  if (f.ip && f.form.form === 'domain' && f.heloGeneric && f.heloGeneric.reasons.some((r) => r.includes("IP's"))) fail('dynamic', 'HELO is dynamic');
  if (f.ip && f.form.form === 'address-literal' && !sameSlash24(f.form.ip, f.ip)) {
    out.push(pred(H, 'helo.checks literal_mismatch fails (default mode 2: same /24)', 'accept', '550 HELO IP literal not in the same /24 as your IP address'));
  }
  if (f.ip && f.form.form === 'domain') {
    const h = normalizeName(helo);
    if (!f.ptr.records.some((n) => normalizeName(n) === h)) fail('rdns_match', 'HELO host does not match rDNS');
    const addrs = heloAddresses(f);
    if (addrs.length === 0 || !addrs.some((a) => sameIp(a, f.ip ?? ''))) fail('forward_dns', 'HELO host has no forward DNS match');
  }
  return out.length ? out : [pred(H, 'helo.checks: all checks pass', 'accept', null)];
}

/**
 * Predict what common receivers would do given the facts gathered by senderAlignment (pure).
 * Postfix restrictions are listed one by one (an admin enables any subset); score filters list
 * the symbols they would add with their default weights.
 */
export function predictReceivers(facts: SenderFacts): Prediction[] {
  return [...postfix(facts), ...exim(facts), ...rspamd(facts), ...spamassassin(facts), ...haraka(facts)];
}
