/**
 * The HELO identity matrix: which names to declare, one connection each. Every kind answers a
 * question receivers actually ask (Postfix reject_*_helo_hostname, Exim helo_verify_hosts,
 * Rspamd hfilter, SpamAssassin HELO_DYNAMIC_*, Haraka helo.checks).
 */
import { randomBytes } from 'node:crypto';
import { isIP, isIPv6 } from 'node:net';
import type { Identity, IdentityKind } from '../results.js';
import { UsageError } from '../errors.js';
import { expandIPv6 } from '../dns/reverse.js';

export const MATRIX_KINDS: readonly IdentityKind[] = ['primary', 'literal', 'bare-ip', 'short', 'localhost', 'nxdomain', 'mismatch', 'dynamic'];

/** "--identities all" or "primary,localhost,…". */
export function parseIdentityKinds(spec: string): IdentityKind[] {
  const items = spec.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  if (items.length === 0) throw new UsageError('--identities: empty list');
  if (items.includes('all')) return [...MATRIX_KINDS];
  const out: IdentityKind[] = [];
  for (const item of items) {
    if (!(MATRIX_KINDS as readonly string[]).includes(item)) {
      throw new UsageError(`--identities: unknown kind "${item}" (one of: all, ${MATRIX_KINDS.join(', ')})`);
    }
    if (!out.includes(item as IdentityKind)) out.push(item as IdentityKind);
  }
  return out;
}

/** The domain part of the primary name: "mail.example.org" → "example.org". */
export function parentDomain(name: string): string {
  const labels = name.replace(/\.$/, '').split('.');
  return labels.length > 2 ? labels.slice(1).join('.') : labels.join('.');
}

/** RFC 5321 §4.1.3 address literal for an IP. */
export function addressLiteral(ip: string): string {
  return isIPv6(ip) ? `[IPv6:${ip}]` : `[${ip}]`;
}

/** An ISP-style generic name built from the source IP (what dynamic-name filters look for). */
export function dynamicName(ip: string, domain: string): string {
  // IPv6 in full groups: a compressed "2001:db8::" would give a label ending in "-", which is
  // not a valid host name (RFC 1123 §2.1).
  const body = isIPv6(ip) ? expandIPv6(ip).join('-') : ip.replace(/\./g, '-');
  return `host-${body}.dynamic.${domain}`;
}

const ALPHABET = 'bcdfghjkmnqrstvwxz';
function randomLetters(n: number): string {
  return [...randomBytes(n)].map((b) => ALPHABET[b % ALPHABET.length]).join('');
}

/**
 * A fresh label for the `nxdomain` identity. Letters only, no vowels or l/p/y, so that it never
 * looks like an IP- or ISP-word generic name. A run draws one and sends it to every host, so
 * reports can name the one HELO that was sent (a cached NXDOMAIN is still an NXDOMAIN).
 */
export function nxdomainLabel(): string {
  return `nx-${randomLetters(10)}`;
}

export interface IdentityContext {
  primary: string;
  /** The local address the connection will come from (requested or predicted). */
  sourceIp: string | null;
  /** The requested --source (null: the system chooses). */
  source: string | null;
  /** For `mismatch`: a name that resolves, but not to the source IP. */
  mismatchName: string | null;
  /** Random label for `nxdomain` (injectable for tests). */
  randomLabel?: () => string;
}

export type IdentityChoice = { ok: true; identity: Identity } | { ok: false; kind: IdentityKind; name: string; reason: string };

export function buildIdentity(kind: IdentityKind, ctx: IdentityContext): IdentityChoice {
  const domain = parentDomain(ctx.primary);
  // Kinds derived from the primary's name need a name: a literal or an IP has no label or domain.
  const derived = kind === 'short' || kind === 'nxdomain' || kind === 'dynamic' || (kind === 'mismatch' && !ctx.mismatchName);
  if (derived && (ctx.primary.startsWith('[') || isIP(ctx.primary) !== 0)) {
    return { ok: false, kind, name: '', reason: `--helo ${ctx.primary} is not a domain name; nothing to derive a ${kind} name from` };
  }
  const make = (name: string): IdentityChoice => ({ ok: true, identity: { kind, name, source: ctx.source } });
  const needIp = (): IdentityChoice => ({ ok: false, kind, name: '', reason: 'the source address is unknown' });
  switch (kind) {
    case 'primary':
      return make(ctx.primary);
    case 'literal':
      return ctx.sourceIp ? make(addressLiteral(ctx.sourceIp)) : needIp();
    case 'bare-ip':
      return ctx.sourceIp ? make(ctx.sourceIp) : needIp();
    case 'short':
      return make(ctx.primary.split('.')[0] ?? ctx.primary);
    case 'localhost':
      return make('localhost');
    case 'nxdomain': {
      // A fresh random label so that no cache or wildcard-less zone can make it resolve. Letters
      // only, no vowels or l/p/y, so that it never looks like an IP- or ISP-word generic name.
      const label = ctx.randomLabel ? ctx.randomLabel() : nxdomainLabel();
      return make(`${label}.${domain}`);
    }
    case 'mismatch':
      return ctx.mismatchName
        ? make(ctx.mismatchName)
        : { ok: false, kind, name: '', reason: 'no name found that resolves elsewhere (give --mismatch-name)' };
    case 'dynamic':
      return ctx.sourceIp ? make(dynamicName(ctx.sourceIp, domain)) : needIp();
    case 'custom':
      return { ok: false, kind, name: '', reason: 'custom identities come from --identity' };
  }
}
