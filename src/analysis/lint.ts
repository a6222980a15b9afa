/**
 * `mxprobe lint`: judge one sending identity (HELO name + source IP) the way receivers will, and
 * say exactly what to change (DNS zone lines, Postfix/Exim settings) to make it align.
 */
import type { AlignmentCheck } from '../results.js';
import type { Resolver } from '../dns/types.js';
import { checksFromFacts, gatherSenderFacts, type SenderFacts } from './alignment.js';
import { normalizeName, reverseOwner } from './helo-name.js';
import { mtaFixes, type MtaFix } from './lint-mta.js';
import { predictReceivers, type Prediction } from './receiver-rules.js';

export interface LintResult {
  helo: string;
  sourceIp: string | null;
  checks: AlignmentCheck[];
  predictions: Prediction[];
  /** `mta`: the HELO line for each common sending MTA (lint-mta.ts); postfix/exim repeat the first two. */
  fix: { dns: string[]; postfix: string; exim: string; mta: MtaFix[]; notes: string[] };
  failed: boolean;
  /**
   * DNS lookups that failed temporarily (SERVFAIL, REFUSED, timeout): the checks that needed them
   * judged nothing. Non-empty and not `failed` means the lint is inconclusive, never "ok".
   */
  unjudged: string[];
}

/** The lookups that failed (not "found nothing"): each one leaves some check unjudged. */
export function failedLookups(f: SenderFacts): string[] {
  const out: string[] = [];
  const mark = (what: string, l: { lookup: string; status: string }) => {
    if (l.lookup === 'temp') out.push(`${what} (${l.status})`);
  };
  mark(`A ${f.helo}`, f.heloA);
  mark(`AAAA ${f.helo}`, f.heloAaaa);
  mark(`MX ${f.helo}`, f.heloMx);
  if (f.ip) mark(`PTR ${f.ip}`, f.ptr);
  if (f.fcrdns.lookup === 'temp') out.push('forward confirmation of the PTR names');
  if (f.spf?.result === 'temperror') out.push(`SPF ${f.helo} (temperror)`);
  return out;
}

const PLACEHOLDER = 'mail.example.com';

/** The name the identity should announce: the HELO if it is a usable FQDN, else a confirmed PTR name. */
function targetName(f: SenderFacts): string | null {
  if (f.form.form === 'domain' && f.form.fqdn) return normalizeName(f.helo);
  const confirmed = f.fcrdns.confirmed[0];
  return confirmed ? normalizeName(confirmed) : null;
}

/** The reverse zone to put the PTR in: the /24 for IPv4 (RFC 2317 delegations aside), the /64 for IPv6. */
function reverseZone(ip: string): string | null {
  const owner = reverseOwner(ip);
  if (owner === null) return null;
  const parts = owner.split('.');
  return ip.includes(':') ? parts.slice(16).join('.') : parts.slice(1).join('.');
}

/** Zone-file lines and MTA settings that would make the identity align; only what is needed. */
export function buildFix(f: SenderFacts, checks: AlignmentCheck[], unjudged: string[] = []): LintResult['fix'] {
  const status = (id: string): string | undefined => checks.find((c) => c.id === id)?.status;
  const dns: string[] = [];
  const notes: string[] = [];
  const name = targetName(f);
  const shown = name ?? PLACEHOLDER;
  const ip = f.ip;

  if (f.form.form !== 'domain' || !f.form.fqdn) {
    notes.push(name
      ? `announce ${name} (the forward-confirmed PTR name of ${ip ?? 'the IP'}) instead of ${JSON.stringify(f.helo)}`
      : `announce a fully-qualified host name you control instead of ${JSON.stringify(f.helo)}; ${PLACEHOLDER} below is a placeholder`);
  }
  if (ip) {
    const rr = ip.includes(':') ? 'AAAA' : 'A';
    const needsForward = name === null || status('helo-addresses-include-ip') === 'fail' || status('helo-resolves') === 'fail' ||
      (name !== normalizeName(f.helo) && !f.fcrdns.confirmed.map(normalizeName).includes(name));
    if (needsForward) dns.push(`${shown}. IN ${rr} ${ip}`);
    const ptrOk = f.ptr.records.map(normalizeName).includes(shown) && f.fcrdns.lookup === 'found';
    if (!ptrOk && f.ptr.lookup !== 'temp') {
      const zone = reverseZone(ip);
      dns.push(`${reverseOwner(ip) ?? ''}. IN PTR ${shown}.`);
      notes.push(`the PTR lives in the reverse zone ${zone ?? '?'}, which your IP provider usually controls: ask them to set it${f.ptr.records.length ? ` (replacing ${f.ptr.records.join(', ')})` : ''}`);
    }
    const spf = f.spf?.result;
    if (spf === 'none') dns.push(`${shown}. IN TXT "v=spf1 ${ip.includes(':') ? 'ip6' : 'ip4'}:${ip} -all"`);
    else if (spf === 'fail' || spf === 'softfail' || spf === 'neutral' || spf === 'permerror') {
      notes.push(`the SPF record of ${shown} does not authorise ${ip} (${spf}): add ${ip.includes(':') ? 'ip6' : 'ip4'}:${ip} to it`);
    }
  } else {
    notes.push('no --source-ip given: PTR, FCrDNS and SPF could not be checked');
    if (status('helo-resolves') === 'fail') notes.push(`${shown} must have an A or AAAA record for your sending address`);
  }
  if (f.heloGeneric?.generic) notes.push(`${f.helo} looks like a dynamic/access-network name; choose a name like mail.<your-domain>`);
  if (unjudged.length > 0) notes.push(`inconclusive: ${unjudged.length} DNS lookup(s) failed (${unjudged.join(', ')}); the checks that need them judged nothing - retry, or check --resolver`);
  else if (dns.length === 0 && notes.length === 0) notes.push('nothing to change: the identity aligns');
  return { dns, postfix: `smtp_helo_name = ${shown}`, exim: `helo_data = ${shown}`, mta: mtaFixes(shown, ip), notes };
}

export async function lint(input: { helo: string; sourceIp: string | null }, resolver: Resolver): Promise<LintResult> {
  const facts = await gatherSenderFacts({ helo: input.helo, ip: input.sourceIp }, resolver);
  const checks = checksFromFacts(facts);
  const unjudged = failedLookups(facts);
  return {
    helo: input.helo,
    sourceIp: input.sourceIp,
    checks,
    predictions: predictReceivers(facts),
    fix: buildFix(facts, checks, unjudged),
    failed: checks.some((c) => c.status === 'fail'),
    unjudged,
  };
}
