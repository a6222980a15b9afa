/**
 * DNS alignment, sender side (the receiver side is in receiver-alignment.ts).
 *
 * Sender side: the DNS facts about one identity (HELO name + connecting IP) are gathered once
 * (gatherSenderFacts) and then judged by pure code: the alignment checks here (checksFromFacts)
 * and the receiver emulation in receiver-rules.ts.
 */
import type { AlignmentCheck, CheckStatus } from '../results.js';
import type { Resolver } from '../dns/types.js';
import { ADDRESSES_ONLY, check, forward, list, tempNote, toLookup, type Lookup, type LookupFact } from './dns-facts.js';
import { looksGeneric, type GenericVerdict } from './generic-name.js';
import { isPrivateIp, normalizeName, parseHelo, reverseOwner, sameIp, type HeloForm } from './helo-name.js';
import { heloSpf, type SpfResult } from './spf.js';

export interface SenderFacts {
  helo: string;
  form: HeloForm;
  /** The connecting IP as the receiver sees it; null when unknown (no source given). */
  ip: string | null;
  heloA: LookupFact<string>;
  heloAaaa: LookupFact<string>;
  heloMx: LookupFact<string>;
  /** CNAMEs followed while resolving the HELO name. */
  heloCnames: string[];
  ptr: LookupFact<string>;
  /** PTR names whose A/AAAA include `ip` (forward-confirmed reverse DNS, RFC 8601 §3 "iprev"). */
  fcrdns: { lookup: Lookup; confirmed: string[]; /** Per PTR name, the addresses it resolves to (or the failure). */ forward: Record<string, string[] | string> };
  heloGeneric: GenericVerdict | null;
  /** Of the first forward-confirmed PTR name (else the first PTR name). */
  ptrGeneric: GenericVerdict | null;
  spf: { result: SpfResult; detail: string } | null;
}

const NOT_CHECKED: LookupFact<never> = { lookup: 'not-checked', records: [], status: 'not-checked' };

export async function gatherSenderFacts(input: { helo: string; ip: string | null }, resolver: Resolver): Promise<SenderFacts> {
  const { helo, ip } = input;
  const form = parseHelo(helo);
  const isDomain = form.form === 'domain';

  const [aAns, aaaaAns, mxAns, ptrAns] = await Promise.all([
    isDomain ? resolver.a(helo) : null,
    isDomain ? resolver.aaaa(helo) : null,
    isDomain ? resolver.mx(helo) : null,
    ip ? resolver.ptr(ip) : null,
  ]);
  const heloCnames = [...new Set([aAns, aaaaAns].flatMap((a) => (a && a.status === 'ok' ? (a.cnames ?? []) : [])))];
  const heloA = aAns ? toLookup(aAns) : NOT_CHECKED;
  const heloAaaa = aaaaAns ? toLookup(aaaaAns) : NOT_CHECKED;
  const mxFact = mxAns ? toLookup(mxAns) : NOT_CHECKED;
  const heloMx: LookupFact<string> = { ...mxFact, records: mxFact.records.map((m) => m.exchange) };
  const ptr = ptrAns ? toLookup(ptrAns) : NOT_CHECKED;

  const fcrdns: SenderFacts['fcrdns'] = { lookup: 'not-checked', confirmed: [], forward: {} };
  if (ip && ptr.lookup === 'found') {
    // RFC 7208 §5.5 / Postfix: look at no more than 10 PTR names.
    const names = ptr.records.slice(0, 10);
    const results = await Promise.all(names.map((n) => forward(n, ip, resolver, ADDRESSES_ONLY)));
    let temp = false;
    names.forEach((n, i) => {
      const r = results[i];
      if (!r) return;
      if (r.lookup === 'found') {
        fcrdns.forward[n] = r.records;
        if (r.records.some((addr) => sameIp(addr, ip))) fcrdns.confirmed.push(n);
      } else {
        fcrdns.forward[n] = r.status;
        if (r.lookup === 'temp') temp = true;
      }
    });
    fcrdns.lookup = fcrdns.confirmed.length > 0 ? 'found' : temp ? 'temp' : 'nodata';
  }

  const heloGeneric = isDomain ? looksGeneric(helo, ip ?? undefined) : null;
  const ptrName = fcrdns.confirmed[0] ?? ptr.records[0];
  const ptrGeneric = ptrName && ip ? looksGeneric(ptrName, ip) : null;

  let spf: SenderFacts['spf'] = null;
  if (isDomain && ip) spf = await heloSpf(helo, ip, resolver);

  return { helo, form, ip, heloA, heloAaaa, heloMx, heloCnames, ptr, fcrdns, heloGeneric, ptrGeneric, spf };
}

/** All addresses the HELO name has (A and AAAA). */
export function heloAddresses(f: SenderFacts): string[] {
  return [...f.heloA.records, ...f.heloAaaa.records];
}

/** Does the HELO name exist as Postfix's reject_unknown_helo_hostname judges it (A, AAAA or MX)? */
export function heloResolution(f: SenderFacts): Lookup {
  const all = [f.heloA, f.heloAaaa, f.heloMx];
  if (all.some((l) => l.lookup === 'found')) return 'found';
  if (all.some((l) => l.lookup === 'temp')) return 'temp';
  if (all.every((l) => l.lookup === 'not-checked')) return 'not-checked';
  return all.some((l) => l.lookup === 'nxdomain') ? 'nxdomain' : 'nodata';
}

export function ptrMatchesHelo(f: SenderFacts): boolean {
  const h = normalizeName(f.helo);
  return f.ptr.records.some((n) => normalizeName(n) === h);
}

// ---------------------------------------------------------------------------------------------
// Sender-side checks (pure, from facts)
// ---------------------------------------------------------------------------------------------

/**
 * The sender-side checks, in a stable order. Ids: helo-syntax, helo-fqdn, helo-resolves,
 * helo-addresses-include-ip, ptr-exists, ptr-matches-helo, fcrdns, literal-matches-ip,
 * helo-generic, spf-helo. A check that cannot apply is 'skip' with the reason.
 */
export function checksFromFacts(f: SenderFacts): AlignmentCheck[] {
  const out: AlignmentCheck[] = [];
  const { form, helo, ip } = f;
  const isDomain = form.form === 'domain';
  const notDomain = form.form === 'address-literal' ? `HELO ${helo} is an address literal` : form.form === 'bare-ip' ? `HELO ${helo} is a bare IP` : `HELO is not a valid name`;

  // helo-syntax: RFC 5321 §4.1.1.1 - a Domain or an address literal; a bare IP is neither.
  switch (form.form) {
    case 'domain':
      out.push(check('helo-syntax', 'pass', `HELO ${helo} is a syntactically valid domain (RFC 5321 §4.1.2)`));
      break;
    case 'address-literal':
      out.push(check('helo-syntax', 'pass', `HELO ${helo} is a valid IPv${form.family} address literal (RFC 5321 §4.1.3)`));
      break;
    case 'bare-ip':
      out.push(check('helo-syntax', 'fail', `HELO ${helo} is a bare IP address; RFC 5321 §4.1.3 requires brackets ([${form.family === 6 ? 'IPv6:' : ''}${form.ip}]) - most receivers treat it as an invalid name`));
      break;
    case 'invalid':
      out.push(check('helo-syntax', 'fail', `HELO ${JSON.stringify(helo)} is invalid: ${form.reason}`));
      break;
  }

  // helo-fqdn: RFC 5321 §4.1.1.1 - the primary host name, i.e. fully qualified.
  if (isDomain) {
    out.push(form.fqdn
      ? check('helo-fqdn', 'pass', `HELO ${helo} is fully qualified`)
      : check('helo-fqdn', 'fail', `HELO ${helo} is a single label, not a fully-qualified domain name (RFC 5321 §4.1.1.1)`));
  } else out.push(check('helo-fqdn', 'skip', `${notDomain}; the FQDN rule applies to names only`));

  // helo-resolves: A, AAAA or MX, as Postfix reject_unknown_helo_hostname judges it.
  const res = heloResolution(f);
  const addrs = heloAddresses(f);
  const cn = f.heloCnames.length ? ` via CNAME ${f.heloCnames.join(' -> ')}` : '';
  if (!isDomain) out.push(check('helo-resolves', 'skip', `${notDomain}; nothing to resolve`));
  else if (res === 'found') {
    out.push(check('helo-resolves', 'pass', `HELO ${helo} resolves${cn}: A/AAAA ${list(addrs)}${f.heloMx.records.length ? `; MX ${list(f.heloMx.records)}` : ''}`));
  } else if (res === 'temp') {
    const bad = [f.heloA, f.heloAaaa, f.heloMx].find((l) => l.lookup === 'temp') ?? f.heloA;
    out.push(check('helo-resolves', 'warn', `HELO ${helo}: ${tempNote(bad)}`));
  } else if (res === 'nxdomain') {
    out.push(check('helo-resolves', 'fail', `HELO ${helo} does not exist (NXDOMAIN): no A, AAAA or MX`));
  } else {
    out.push(check('helo-resolves', 'fail', `HELO ${helo} exists but has no A, AAAA or MX records (NODATA)`));
  }

  // helo-addresses-include-ip: the HELO name's A/AAAA should contain the connecting IP.
  if (!isDomain) out.push(check('helo-addresses-include-ip', 'skip', `${notDomain}; see literal-matches-ip`));
  else if (!ip) out.push(check('helo-addresses-include-ip', 'skip', 'no source IP given (use --source-ip)'));
  else if (addrs.some((a) => sameIp(a, ip))) out.push(check('helo-addresses-include-ip', 'pass', `HELO ${helo} resolves to ${list(addrs)}, which includes ${ip}`));
  else if (addrs.length > 0) out.push(check('helo-addresses-include-ip', 'fail', `HELO ${helo} resolves to ${list(addrs)}, not to ${ip}`));
  else if ([f.heloA, f.heloAaaa].some((l) => l.lookup === 'temp')) out.push(check('helo-addresses-include-ip', 'warn', `HELO ${helo}: ${tempNote([f.heloA, f.heloAaaa].find((l) => l.lookup === 'temp') ?? f.heloA)}`));
  else out.push(check('helo-addresses-include-ip', 'fail', `HELO ${helo} has no A/AAAA records, so it cannot point at ${ip}`));

  // ptr-exists: the connecting IP has reverse DNS (RFC 1912 §2.1: every host should have a PTR).
  const owner = ip ? reverseOwner(ip) : null;
  if (!ip) out.push(check('ptr-exists', 'skip', 'no source IP given (use --source-ip)'));
  else if (f.ptr.lookup === 'found') out.push(check('ptr-exists', 'pass', `PTR of ${ip} is ${list(f.ptr.records)}`));
  else if (f.ptr.lookup === 'temp') out.push(check('ptr-exists', 'warn', `PTR of ${ip}: ${tempNote(f.ptr)}`));
  else out.push(check('ptr-exists', 'fail', `${ip} has no PTR record (${f.ptr.lookup === 'nxdomain' ? 'NXDOMAIN' : 'NODATA'} at ${owner ?? '?'})`));

  // ptr-matches-helo: one of the PTR names is the HELO name.
  if (!isDomain) out.push(check('ptr-matches-helo', 'skip', `${notDomain}; no name to compare with the PTR`));
  else if (!ip) out.push(check('ptr-matches-helo', 'skip', 'no source IP given (use --source-ip)'));
  // A PTR lookup that failed found nothing either way: say it was not judged, never "no PTR".
  else if (f.ptr.lookup === 'temp') out.push(check('ptr-matches-helo', 'warn', `not judged: the PTR lookup of ${ip} failed (${tempNote(f.ptr)})`));
  else if (f.ptr.lookup !== 'found') out.push(check('ptr-matches-helo', 'skip', `no PTR for ${ip} to compare with HELO ${helo}`));
  else if (ptrMatchesHelo(f)) out.push(check('ptr-matches-helo', 'pass', `PTR of ${ip} is ${list(f.ptr.records)}; HELO is ${helo}`));
  else out.push(check('ptr-matches-helo', 'fail', `PTR of ${ip} is ${list(f.ptr.records)}; HELO is ${helo}`));

  // fcrdns: a PTR name resolves back to the IP (RFC 8601 §3 iprev).
  if (!ip) out.push(check('fcrdns', 'skip', 'no source IP given (use --source-ip)'));
  else if (f.ptr.lookup === 'temp') out.push(check('fcrdns', 'warn', `not judged: the PTR lookup of ${ip} failed (${tempNote(f.ptr)})`));
  else if (f.ptr.lookup !== 'found') out.push(check('fcrdns', 'skip', `no PTR for ${ip}, nothing to forward-confirm`));
  else if (f.fcrdns.lookup === 'found') out.push(check('fcrdns', 'pass', `${list(f.fcrdns.confirmed)} (PTR of ${ip}) resolves back to ${ip}`));
  else {
    const seen = Object.entries(f.fcrdns.forward).map(([n, r]) => `${n} -> ${Array.isArray(r) ? list(r) : r}`).join('; ');
    if (f.fcrdns.lookup === 'temp') out.push(check('fcrdns', 'warn', `PTR names of ${ip} could not be confirmed: ${seen}; temporary DNS failure, a receiver would defer`));
    else out.push(check('fcrdns', 'fail', `no PTR name of ${ip} resolves back to it: ${seen}`));
  }

  // literal-matches-ip: an address literal must be the connecting address.
  if (form.form !== 'address-literal') out.push(check('literal-matches-ip', 'skip', `HELO ${helo} is not an address literal`));
  else if (!ip) out.push(check('literal-matches-ip', 'skip', 'no source IP given (use --source-ip)'));
  else if (sameIp(form.ip, ip)) out.push(check('literal-matches-ip', 'pass', `literal ${helo} matches the connecting IP ${ip}`));
  else out.push(check('literal-matches-ip', 'fail', `literal ${helo} does not match the connecting IP ${ip}`));

  // helo-generic: a dynamic-looking name is scored by filters (never a hard reject by default).
  if (!isDomain || !f.heloGeneric) out.push(check('helo-generic', 'skip', `${notDomain}; generic-name patterns apply to names`));
  else if (f.heloGeneric.generic) out.push(check('helo-generic', 'warn', `HELO ${helo} looks generic/dynamic: ${f.heloGeneric.reasons.join('; ')}`));
  else out.push(check('helo-generic', 'pass', `HELO ${helo} does not look generic${f.heloGeneric.reasons.length ? ` (${f.heloGeneric.reasons.join('; ')})` : ''}`));

  // spf-helo: RFC 7208 §2.3 - the HELO identity checked with check_host().
  if (!isDomain) out.push(check('spf-helo', 'skip', `${notDomain}; RFC 7208 §2.3 checks HELO only when it is a domain`));
  else if (!ip || !f.spf) out.push(check('spf-helo', 'skip', 'no source IP given (use --source-ip)'));
  else {
    const s = f.spf;
    const status: CheckStatus = s.result === 'pass' ? 'pass' : s.result === 'fail' || s.result === 'permerror' ? 'fail' : 'warn';
    const hint = s.result === 'none' ? '; RFC 7208 §2.3 recommends an SPF record for every HELO name' : '';
    out.push(check('spf-helo', status, `${s.detail}${hint}`));
  }
  return out;
}

export interface SenderAlignmentInput { helo: string; sourceIp: string | null; observedIp?: string | null }

/**
 * Sender-side checks for one declared identity. When observedIp differs from sourceIp and the
 * source is private/NAT (RFC 1918, CGNAT 100.64/10, ULA fc00::/7, loopback), the checks also run
 * for the observed IP - the address receivers actually judge.
 */
export async function senderAlignment(
  input: SenderAlignmentInput,
  resolver: Resolver,
): Promise<{ checks: AlignmentCheck[]; observedIp?: { ip: string; checks: AlignmentCheck[] } }> {
  const facts = await gatherSenderFacts({ helo: input.helo, ip: input.sourceIp }, resolver);
  const checks = checksFromFacts(facts);
  const obs = input.observedIp ?? null;
  const differs = obs !== null && (input.sourceIp === null || !sameIp(obs, input.sourceIp));
  if (obs !== null && differs && (input.sourceIp === null || isPrivateIp(input.sourceIp))) {
    const oFacts = await gatherSenderFacts({ helo: input.helo, ip: obs }, resolver);
    const why = input.sourceIp === null
      ? `the receiver saw ${obs} (source address chosen by the system)`
      : `source ${input.sourceIp} is private/NAT; the receiver saw ${obs}`;
    const oChecks = checksFromFacts(oFacts).map((c) => ({ ...c, detail: `${c.detail} [observed IP: ${why}]` }));
    return { checks, observedIp: { ip: obs, checks: oChecks } };
  }
  return { checks };
}

export { receiverAlignment, certNameCovers, type ReceiverAlignmentInput } from './receiver-alignment.js';
export { toLookup, type Lookup, type LookupFact } from './dns-facts.js';
