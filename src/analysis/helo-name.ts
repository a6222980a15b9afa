/**
 * HELO/EHLO argument syntax (RFC 5321 §4.1.1.1, §4.1.2, §4.1.3) plus small IP helpers the
 * alignment rules share. Pure: no I/O.
 */
import { isIP } from 'node:net';

export type HeloForm =
  | { form: 'domain'; name: string; fqdn: boolean }
  | { form: 'address-literal'; ip: string; family: 4 | 6 }
  | { form: 'bare-ip'; ip: string; family: 4 | 6 }
  | { form: 'invalid'; reason: string };

/**
 * RFC 5321 §4.5.3.1.2 allows 255 octets, but a name longer than 253 characters cannot be encoded
 * in DNS (RFC 1035 §2.3.4: 255 octets of wire format, length bytes included), so it can never
 * resolve; call it invalid rather than let it look like a temporary DNS failure.
 */
const MAX_DOMAIN = 253;
const MAX_LABEL = 63;
/** RFC 5321 §4.1.2: sub-domain = Let-dig [Ldh-str]; Ldh-str ends in Let-dig. */
const LABEL_RE = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;
/** RFC 5321 §4.1.3: IPv4-address-literal = Snum 3("." Snum), Snum = 1*3DIGIT (0..255). */
const IPV4_STRICT_RE = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
/** RFC 5321 §4.1.3: General-address-literal = Standardized-tag ":" 1*dcontent (dcontent = %d33-90 / %d94-126). */
const GENERAL_LITERAL_RE = /^([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?):([\x21-\x5a\x5e-\x7e]+)$/;

/**
 * RFC 5321 §4.1.2/§4.1.3: Domain (sub-domain labels: let-dig [ldh-str]), address literals
 * "[192.0.2.1]" and "[IPv6:2001:db8::1]" (general literal tags too). A bare IP is its own form
 * (syntactically a bad Domain, what receivers call "invalid" or "IP as HELO").
 */
export function parseHelo(name: string): HeloForm {
  if (name.length === 0) return { form: 'invalid', reason: 'empty HELO argument (RFC 5321 §4.1.1.1 requires a Domain or address literal)' };
  // CR/LF/NUL would smuggle commands (RFC 5321 §2.3.8); spaces split the argument.
  if (/[\r\n\0]/.test(name)) return { form: 'invalid', reason: 'contains CR, LF or NUL' };
  if (/\s/.test(name)) return { form: 'invalid', reason: 'contains whitespace' };
  // RFC 5321 §2.3.5: the HELO domain is ASCII (A-labels); RFC 6531 does not change EHLO.
  if (/[^\x21-\x7e]/.test(name)) return { form: 'invalid', reason: 'contains non-ASCII characters (use the A-label/punycode form, RFC 5890)' };

  if (name.startsWith('[') || name.endsWith(']')) {
    if (!(name.startsWith('[') && name.endsWith(']'))) return { form: 'invalid', reason: 'unbalanced brackets in address literal' };
    const inner = name.slice(1, -1);
    if (IPV4_STRICT_RE.test(inner)) return { form: 'address-literal', ip: inner, family: 4 };
    if (/^ipv6:/i.test(inner)) {
      const v6 = inner.slice(5);
      // IPv6-addr in RFC 5321 §4.1.3 may end in an embedded IPv4 part; node's isIP accepts both forms.
      if (isIP(v6) === 6 && !v6.includes('%')) return { form: 'address-literal', ip: v6.toLowerCase(), family: 6 };
      return { form: 'invalid', reason: `"${inner}" is not a valid IPv6 address literal` };
    }
    if (isIP(inner) === 6) return { form: 'invalid', reason: 'IPv6 address literal lacks the "IPv6:" tag (RFC 5321 §4.1.3)' };
    const general = GENERAL_LITERAL_RE.exec(inner);
    if (general) {
      // Syntactically a General-address-literal, but no tag other than IPv6 is registered, so no
      // receiver can map it to an address.
      return { form: 'invalid', reason: `general address literal with unregistered tag "${general[1] ?? ''}" (RFC 5321 §4.1.3)` };
    }
    return { form: 'invalid', reason: `"${inner}" is not an IPv4 or IPv6 address literal` };
  }

  const family = isIP(name);
  if (family === 4 || family === 6) return { form: 'bare-ip', ip: family === 6 ? name.toLowerCase() : name, family };
  if (/^ipv6:/i.test(name) && isIP(name.slice(5)) === 6) return { form: 'bare-ip', ip: name.slice(5).toLowerCase(), family: 6 };

  if (name.length > MAX_DOMAIN) return { form: 'invalid', reason: `name is ${name.length} octets; a name longer than ${MAX_DOMAIN} cannot exist in DNS (RFC 1035 §2.3.4)` };
  if (name.endsWith('.')) return { form: 'invalid', reason: 'trailing dot: RFC 5321 §4.1.2 Domain has no empty root label' };
  const labels = name.split('.');
  for (const label of labels) {
    if (label.length === 0) return { form: 'invalid', reason: 'empty label (consecutive or leading dots)' };
    if (label.length > MAX_LABEL) return { form: 'invalid', reason: `label "${label.slice(0, 20)}..." is ${label.length} octets; the limit is ${MAX_LABEL} (RFC 1035 §2.3.4)` };
    if (!LABEL_RE.test(label)) {
      return { form: 'invalid', reason: `label "${label}" is not let-dig [ldh-str] (letters, digits, inner hyphens; RFC 5321 §4.1.2)` };
    }
  }
  const last = labels[labels.length - 1] ?? '';
  // RFC 1123 §2.1 / RFC 3696 §2: a top-level label is never all-numeric; such names are
  // truncated or mangled IPs and Postfix's valid_hostname() rejects them as "numeric".
  if (labels.length > 1 && /^\d+$/.test(last)) return { form: 'invalid', reason: `all-numeric top-level label "${last}" (looks like an IP address)` };
  return { form: 'domain', name, fqdn: labels.length > 1 };
}

/** Lower-case, no trailing dot: the form DNS names are compared in (RFC 4343: case-insensitive). */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/** Expand an IPv6 address to 8 groups of 4 hex digits; IPv4 unchanged. Null when not an IP. */
export function canonicalIp(ip: string): string | null {
  const family = isIP(ip);
  if (family === 4) return ip;
  if (family !== 6) return null;
  let s = ip.toLowerCase();
  // Embedded IPv4 tail (::ffff:192.0.2.1) becomes two hex groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    s = s.slice(0, v4.index) + ((a << 8) | b).toString(16) + ':' + ((c << 8) | d).toString(16);
  }
  const [head = '', tail] = s.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const fill = tail === undefined ? [] : new Array<string>(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((g) => g.padStart(4, '0')).join(':');
}

export function sameIp(a: string, b: string): boolean {
  const ca = canonicalIp(a);
  return ca !== null && ca === canonicalIp(b);
}

/** IPv4 octets, or null. */
export function ipv4Octets(ip: string): [number, number, number, number] | null {
  if (isIP(ip) !== 4) return null;
  return ip.split('.').map(Number) as [number, number, number, number];
}

/**
 * Address ranges behind which the receiver sees a different (translated) address:
 * RFC 1918 private, RFC 6598 CGNAT 100.64/10, loopback, link-local, RFC 4193 ULA fc00::/7.
 */
export function isPrivateIp(ip: string): boolean {
  const o = ipv4Octets(ip);
  if (o) {
    const [a, b] = o;
    return a === 10 || a === 127 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) ||
      (a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254) || a === 0;
  }
  const c = canonicalIp(ip);
  if (c === null) return false;
  if (c === '0000:0000:0000:0000:0000:0000:0000:0001') return true;
  if (c.startsWith('0000:0000:0000:0000:0000:ffff:')) {
    const g = c.split(':');
    const hi = parseInt(g[6] ?? '0', 16);
    const lo = parseInt(g[7] ?? '0', 16);
    return isPrivateIp(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`);
  }
  const first = parseInt(c.slice(0, 4), 16);
  return (first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfe80;
}

/** The reverse-DNS owner name of an IP (RFC 1035 §3.5 in-addr.arpa, RFC 3596 §2.5 ip6.arpa). */
export function reverseOwner(ip: string): string | null {
  const o = ipv4Octets(ip);
  if (o) return `${[...o].reverse().join('.')}.in-addr.arpa`;
  const c = canonicalIp(ip);
  if (c === null) return null;
  return `${c.replace(/:/g, '').split('').reverse().join('.')}.ip6.arpa`;
}

/** The inverse of reverseOwner; null when the name is not a complete reverse owner name. */
export function ipFromReverseOwner(name: string): string | null {
  const n = normalizeName(name);
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.in-addr\.arpa$/.exec(n);
  if (v4) {
    const ip = [v4[4], v4[3], v4[2], v4[1]].join('.');
    return isIP(ip) === 4 ? ip : null;
  }
  const v6 = /^((?:[0-9a-f]\.){32})ip6\.arpa$/.exec(n);
  if (v6) {
    const hex = (v6[1] ?? '').split('.').filter(Boolean).reverse().join('');
    const groups = hex.match(/.{4}/g) ?? [];
    return groups.join(':');
  }
  return null;
}
