/**
 * One target line → a normalised Target (pure; no I/O).
 *
 * Grammar, one target per line (surrounding whitespace trimmed):
 *   name            kind 'domain': MX lookup (RFC 5321 §5.1). A bare name cannot be told apart from a
 *                   host name syntactically, so a name without a port is always treated as a domain.
 *   name:port       kind 'host': A/AAAA of that name, no MX (a port only makes sense for one host).
 *   IPv4 / IPv4:port
 *   [IPv6] / [IPv6]:port
 *   IPv6            bare, without port (unambiguous as long as the last group could not be a port;
 *                   see the ambiguity rule below).
 * `#` starts a comment at the start of a line or after whitespace; blank and comment-only lines are
 * skipped. Everything else is an error with a reason a person can act on.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { normaliseHostname } from './idn.js';

export type TargetKind = 'domain' | 'host' | 'ip';

export interface Target {
  /** The target text as written (comment and surrounding whitespace removed). */
  input: string;
  /** Where it came from: "targets.txt:12", "argv:1", "stdin:3". */
  origin: string;
  kind: TargetKind;
  /** A-label (punycode) for names, lowercase, no trailing dot; the canonical IP for kind 'ip' (RFC 5952 for IPv6). */
  name: string;
  /** Unicode form for display when the input was IDN; otherwise equal to `name`. */
  display: string;
  port: number | null;
  family: 4 | 6 | null;
}

export type ParseLine = { ok: true; target: Target } | { ok: false; reason: string } | { ok: 'skip' };

/**
 * Longest line we accept. The longest valid target is a 253-character name plus ":65535"; anything far
 * longer is garbage (or a binary file) and must not be buffered whole.
 */
export const MAX_LINE_LENGTH = 4096;

/** Remove a `#` comment: at the start of the line or preceded by whitespace ("example.com # mx"). */
function stripComment(line: string): string {
  const m = /(?:^|\s)#/.exec(line);
  return m === null ? line : line.slice(0, m.index);
}

function parsePort(text: string, whole: string): { ok: true; port: number } | { ok: false; reason: string } {
  if (text === '') return { ok: false, reason: `missing port after ':' in "${whole}"` };
  if (!/^[0-9]+$/.test(text)) return { ok: false, reason: `invalid port "${text}": not a number` };
  // Compare digit strings without parseInt overflow surprises on absurdly long input.
  const port = text.length > 6 ? Number.POSITIVE_INFINITY : Number(text);
  if (port < 1 || port > 65535) return { ok: false, reason: `invalid port "${text}": must be 1-65535` };
  return { ok: true, port };
}

/**
 * Canonical text form of an IPv6 address (RFC 5952 §4): lowercase, leading zeros dropped, the longest
 * run (first on ties) of two or more zero groups compressed to "::", and IPv4-mapped addresses written
 * with a dotted quad (RFC 5952 §5). Used so "[2001:DB8:0::1]" and "2001:db8::1" de-duplicate.
 * Precondition: isIPv6(addr) and no zone identifier.
 */
export function canonicalIPv6(addr: string): string {
  let text = addr.toLowerCase();
  // Embedded dotted quad (e.g. ::ffff:192.0.2.1) → two hex groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4 !== null) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? [] : new Array<string>(8 - headGroups.length - tailGroups.length).fill('0');
  const groups = [...headGroups, ...zeros, ...tailGroups].map((g) => parseInt(g, 16));

  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const hi = groups[6] ?? 0;
    const lo = groups[7] ?? 0;
    return `::ffff:${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  }
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLen < 2) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

function ipv6Target(input: string, origin: string, addr: string, port: number | null): ParseLine {
  if (addr.includes('%')) {
    return { ok: false, reason: `IPv6 zone identifiers are not supported ("${addr}"); link-local mail servers cannot be probed` };
  }
  if (!isIPv6(addr)) return { ok: false, reason: `invalid IPv6 address "${addr}"` };
  const name = canonicalIPv6(addr);
  // RFC 4291 §2.5.2: the unspecified address "must not be used as the destination address".
  if (name === '::') return { ok: false, reason: '[::] is the unspecified address (RFC 4291 §2.5.2), not a host that can be probed' };
  return { ok: true, target: { input, origin, kind: 'ip', name, display: name, port, family: 6 } };
}

/**
 * IPv4 addresses that name no host: 0.0.0.0/8 is "this host on this network" (RFC 1122
 * §3.2.1.3, source only; connecting to 0.0.0.0 reaches the local machine on Linux) and
 * 255.255.255.255 is the limited broadcast (RFC 919 §7). Null when the address is usable.
 */
function unusableIPv4(ip: string): string | null {
  if (ip.startsWith('0.')) return `${ip} is in 0.0.0.0/8, "this network" (RFC 1122 §3.2.1.3): a source address, not a host that can be probed`;
  if (ip === '255.255.255.255') return '255.255.255.255 is the limited broadcast address (RFC 919 §7), not a host that can be probed';
  return null;
}

/** Text that was clearly meant as a dotted-decimal IPv4 address. */
function looksLikeIPv4(host: string): boolean {
  return /^[0-9.]+$/.test(host) && host.includes('.');
}

/** Parse one line. Never throws: every problem becomes `{ ok: false, reason }`. */
export function parseTargetLine(line: string, origin: string): ParseLine {
  if (line.includes('\0')) return { ok: false, reason: 'line contains a NUL character' };
  if (line.length > MAX_LINE_LENGTH) return { ok: false, reason: `line longer than ${MAX_LINE_LENGTH} characters` };
  // A BOM at the very start of a file, or one pasted into an argument, is not part of the target.
  const text = stripComment(line.replace(/^\ufeff/, '')).trim();
  if (text === '') return { ok: 'skip' };
  // A CR inside a line (one trailing CR of a CRLF file is trimmed above) would hide text when the line
  // is echoed to a terminal and is never part of a name.
  if (/[\r\n]/.test(text)) return { ok: false, reason: 'line contains a carriage return or line feed inside the target' };
  if (/\s/.test(text)) return { ok: false, reason: 'unexpected whitespace: write one target per line' };
  const ctl = /[\x00-\x1f\x7f-\x9f]/.exec(text);
  if (ctl !== null) {
    return { ok: false, reason: `line contains control character U+${(ctl[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}` };
  }

  // [IPv6] or [IPv6]:port
  if (text.startsWith('[')) {
    const m = /^\[([^\]]*)\](?::(.*))?$/.exec(text);
    if (m === null) return { ok: false, reason: 'malformed bracketed address: expected [IPv6] or [IPv6]:port' };
    const addr = m[1] ?? '';
    if (isIPv4(addr)) return { ok: false, reason: `brackets are only for IPv6; write ${addr} without them` };
    let port: number | null = null;
    if (m[2] !== undefined) {
      const p = parsePort(m[2], text);
      if (!p.ok) return p;
      port = p.port;
    }
    return ipv6Target(text, origin, addr, port);
  }
  if (text.includes(']')) return { ok: false, reason: "unexpected ']': write IPv6 addresses as [IPv6] or [IPv6]:port" };

  const colons = text.split(':').length - 1;
  if (colons >= 2) {
    // Bare IPv6. "2001:db8::1:25" is itself a valid address, but people also write it meaning
    // 2001:db8::1 port 25. When the last group is decimal and what precedes it is a valid address too,
    // refuse to guess and ask for brackets.
    const cut = text.lastIndexOf(':');
    const head = text.slice(0, cut);
    const tail = text.slice(cut + 1);
    const headIsAddress = !head.endsWith(':') && isIPv6(head);
    const tailIsDecimal = /^[0-9]+$/.test(tail);
    if (isIPv6(text)) {
      if (tailIsDecimal && headIsAddress) {
        return {
          ok: false,
          reason: `ambiguous IPv6 address "${text}": write [${head}]:${tail} if ${tail} is a port, or [${text}] if it is part of the address`,
        };
      }
      return ipv6Target(text, origin, text, null);
    }
    if (isIPv6(text.split('%')[0] ?? '')) return ipv6Target(text, origin, text, null);
    if (tailIsDecimal && headIsAddress) {
      return { ok: false, reason: `IPv6 address with a port must be bracketed: write [${head}]:${tail}` };
    }
    if (/[^0-9a-fA-F:.]/.test(text)) {
      return { ok: false, reason: `invalid target "${text}": more than one ':' but not an IPv6 address (use host:port or [IPv6]:port)` };
    }
    return { ok: false, reason: `invalid IPv6 address "${text}"` };
  }

  let host = text;
  let port: number | null = null;
  if (colons === 1) {
    const cut = text.indexOf(':');
    host = text.slice(0, cut);
    if (host === '') return { ok: false, reason: `missing host before ':' in "${text}"` };
    const p = parsePort(text.slice(cut + 1), text);
    if (!p.ok) return p;
    port = p.port;
  }

  if (isIPv4(host)) {
    const unusable = unusableIPv4(host);
    if (unusable !== null) return { ok: false, reason: unusable };
    return { ok: true, target: { input: text, origin, kind: 'ip', name: host, display: host, port, family: 4 } };
  }
  if (looksLikeIPv4(host)) {
    const parts = host.split('.');
    const why =
      parts.length !== 4
        ? `${parts.length} parts instead of 4`
        : parts.some((p) => p.length > 1 && p.startsWith('0'))
          ? 'leading zeros are ambiguous (octal?)'
          : parts.some((p) => p === '')
            ? 'empty part'
            : 'each part must be 0-255';
    return { ok: false, reason: `invalid IPv4 address "${host}": ${why}` };
  }

  const h = normaliseHostname(host);
  if (!h.ok) return { ok: false, reason: h.reason };
  return {
    ok: true,
    target: { input: text, origin, kind: port === null ? 'domain' : 'host', name: h.ascii, display: h.unicode, port, family: null },
  };
}

/** Key used for de-duplication: same kind, name and port is the same probe. */
export function targetKey(t: Pick<Target, 'kind' | 'name' | 'port'>): string {
  return `${t.kind} ${t.name} ${t.port ?? ''}`;
}

/** How a target is written back for people: Unicode name, brackets around IPv6 with a port. */
export function formatTarget(t: Pick<Target, 'display' | 'port' | 'family'>): string {
  if (t.port === null) return t.display;
  return t.family === 6 ? `[${t.display}]:${t.port}` : `${t.display}:${t.port}`;
}
