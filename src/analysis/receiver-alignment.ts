/**
 * Receiver-side alignment, per MX host: MX name -> A/AAAA -> PTR -> forward confirmation, and the
 * names in the banner, the EHLO reply and the certificate compared with the PTR and MX names
 * (MXToolbox's "Reverse DNS does not match SMTP banner" is this check).
 */
import type { AlignmentCheck } from '../results.js';
import type { Resolver } from '../dns/types.js';
import { normalizeName, reverseOwner, sameIp } from './helo-name.js';
import { ADDRESSES_ONLY, check, familyOf, forward, list, tempNote, toLookup } from './dns-facts.js';

export interface ReceiverAlignmentInput {
  exchange: string;
  ip: string;
  bannerName: string | null;
  ehloName: string | null;
  tls: { nameMatches: boolean | null; subjectAltNames: string[] } | null;
  isIpTarget: boolean;
}

/** RFC 6125 §6.4.3: "*" matches exactly one whole left-most label. */
export function certNameCovers(pattern: string, host: string): boolean {
  const p = normalizeName(pattern.replace(/^DNS:/i, ''));
  const h = normalizeName(host);
  if (p === h) return true;
  if (!p.startsWith('*.')) return false;
  const rest = p.slice(2);
  const dot = h.indexOf('.');
  return dot > 0 && h.slice(dot + 1) === rest && rest.includes('.');
}

/**
 * Receiver-side checks per MX host. ids: mx-address, mx-cname, ptr-exists, fcrdns, banner-name, ehlo-name,
 * cert-name.
 */
export async function receiverAlignment(input: ReceiverAlignmentInput, resolver: Resolver): Promise<AlignmentCheck[]> {
  const { exchange, ip } = input;
  const out: AlignmentCheck[] = [];
  const fam = familyOf(ip);

  // mx-address: the exchanger's A/AAAA include the probed IP (RFC 5321 §5.1).
  if (input.isIpTarget) out.push(check('mx-address', 'skip', `target ${ip} was given as an IP; no MX name to resolve`));
  else {
    const fwd = await forward(exchange, ip, resolver);
    if (fwd.lookup === 'found') {
      out.push(fwd.records.some((a) => sameIp(a, ip))
        ? check('mx-address', 'pass', `${exchange} ${fam === 6 ? 'AAAA' : 'A'} ${list(fwd.records)} includes ${ip}`)
        : check('mx-address', 'fail', `${exchange} ${fam === 6 ? 'AAAA' : 'A'} ${list(fwd.records)} does not include the probed ${ip}`));
    } else if (fwd.lookup === 'temp') out.push(check('mx-address', 'warn', `${exchange}: ${tempNote(fwd)}`));
    else out.push(check('mx-address', 'fail', `${exchange} has no ${fam === 6 ? 'AAAA' : 'A'} record (${fwd.lookup.toUpperCase()})`));
    // RFC 2181 §10.3 / RFC 5321 §5.1: an MX must name a host, never an alias. Most MTAs follow the
    // CNAME anyway, but some refuse, and it is a classic audit finding.
    if (fwd.cnames?.length) out.push(check('mx-cname', 'warn', `MX target ${exchange} is an alias (CNAME → ${fwd.cnames.join(' → ')}); RFC 2181 §10.3 requires the MX to name the host itself`));
  }

  // ptr-exists + fcrdns for the MX's address.
  const ptr = toLookup(await resolver.ptr(ip));
  const confirmed: string[] = [];
  const seen: string[] = [];
  let temp = false;
  if (ptr.lookup === 'found') {
    out.push(check('ptr-exists', 'pass', `PTR of ${ip} is ${list(ptr.records)}`));
    for (const n of ptr.records.slice(0, 10)) {
      const r = await forward(n, ip, resolver, ADDRESSES_ONLY);
      if (r.lookup === 'found' && r.records.some((a) => sameIp(a, ip))) confirmed.push(n);
      if (r.lookup === 'temp') temp = true;
      seen.push(`${n} -> ${r.lookup === 'found' ? list(r.records) : r.status}`);
    }
    if (confirmed.length) out.push(check('fcrdns', 'pass', `${list(confirmed)} (PTR of ${ip}) resolves back to ${ip}`));
    else if (temp) out.push(check('fcrdns', 'warn', `PTR names of ${ip} could not be confirmed: ${seen.join('; ')}; temporary DNS failure`));
    else out.push(check('fcrdns', 'fail', `no PTR name of ${ip} resolves back to it: ${seen.join('; ')}`));
  } else if (ptr.lookup === 'temp') {
    out.push(check('ptr-exists', 'warn', `PTR of ${ip}: ${tempNote(ptr)}`));
    out.push(check('fcrdns', 'skip', `PTR of ${ip} unknown (temporary failure)`));
  } else {
    out.push(check('ptr-exists', 'fail', `${ip} has no PTR record (${ptr.lookup === 'nxdomain' ? 'NXDOMAIN' : 'NODATA'} at ${reverseOwner(ip) ?? '?'})`));
    out.push(check('fcrdns', 'skip', `no PTR for ${ip}, nothing to forward-confirm`));
  }

  // banner-name / ehlo-name: MXToolbox's "Reverse DNS does not match SMTP banner". Nothing rejects
  // mail over it, so a mismatch is a warning.
  // A loop, not map(): map()'s array is PACKED from the builtin and HOLEY once TurboFan inlines it (issue 13).
  const ptrNames: string[] = [];
  for (let i = 0; i < ptr.records.length; i++) ptrNames.push(normalizeName(ptr.records[i]!));
  const mxName = input.isIpTarget ? null : normalizeName(exchange);
  const compare = (id: string, label: string, name: string | null): void => {
    if (name === null || name === '') {
      out.push(check(id, 'skip', `the ${label} carried no host name`));
      return;
    }
    const n = normalizeName(name);
    // The PTR lookup failed (timeout, SERVFAIL): the name cannot be compared with a PTR nobody
    // saw. Saying "PTR of ip is (none)" and warning would state a fact that was never observed.
    if (ptr.lookup === 'temp') {
      out.push(check(id, 'skip', `${label} name ${name} not compared: PTR of ${ip} unknown (temporary DNS failure)`));
      return;
    }
    const onPtr = ptrNames.includes(n);
    const onMx = mxName !== null && n === mxName;
    const ptrTxt = `PTR of ${ip} is ${list(ptr.records)}`;
    const mxTxt = mxName ? `; MX name is ${exchange}` : '';
    if (onPtr) out.push(check(id, 'pass', `${label} name ${name} matches the PTR (${ptrTxt}${mxTxt}${onMx ? ', also equal' : ''})`));
    else if (onMx) out.push(check(id, 'warn', `${label} name ${name} matches the MX name but not the PTR (${ptrTxt})`));
    else out.push(check(id, 'warn', `${label} name ${name} matches neither the PTR nor the MX name (${ptrTxt}${mxTxt})`));
  };
  compare('banner-name', 'banner', input.bannerName);
  compare('ehlo-name', 'EHLO', input.ehloName);

  // cert-name: the certificate covers the MX name (RFC 7672 §3.2.2 / RFC 8461 §4.2 matching).
  if (input.tls === null) out.push(check('cert-name', 'skip', 'no TLS session'));
  else if (mxName === null) out.push(check('cert-name', 'skip', 'IP target: no MX name to match the certificate against'));
  else {
    const sans = input.tls.subjectAltNames;
    const covers = input.tls.nameMatches ?? (sans.length ? sans.some((s) => certNameCovers(s, exchange)) : null);
    if (covers === null) out.push(check('cert-name', 'skip', 'certificate names unknown'));
    else if (covers) out.push(check('cert-name', 'pass', `certificate covers ${exchange} (SAN ${list(sans)})`));
    else out.push(check('cert-name', 'fail', `certificate does not cover ${exchange} (SAN ${list(sans)})`));
  }
  return out;
}
