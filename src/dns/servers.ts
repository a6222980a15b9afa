import { isIPv4, isIPv6 } from 'node:net';
import { UsageError } from '../errors.js';

/** A --resolver value split into its parts. */
export interface ResolverAddress {
  ip: string;
  family: 4 | 6;
  port: number;
}

function parsePort(text: string, value: string): number {
  // Digits only: Number('0x35') or ' 53' must not sneak through.
  if (!/^[0-9]{1,5}$/.test(text)) {
    throw new UsageError(`--resolver ${JSON.stringify(value)}: port must be a number from 1 to 65535`);
  }
  const port = Number(text);
  // node:dns aborts the whole process on port 0 and silently wraps ports above 65535 (seen on
  // Node 20.20), so both are refused here, before they reach setServers().
  if (port < 1 || port > 65535) {
    throw new UsageError(`--resolver ${JSON.stringify(value)}: port must be a number from 1 to 65535`);
  }
  return port;
}

/**
 * A bare IPv6 address that also reads as "IPv6 address:port": its last group is 1-5 decimal digits
 * and what precedes that colon is itself an IPv6 address ("::1:53", "fe80::1:5353").
 */
function looksLikeV6WithPort(v: string): boolean {
  const colon = v.lastIndexOf(':');
  return colon !== -1 && /^[0-9]{1,5}$/.test(v.slice(colon + 1)) && isIPv6(v.slice(0, colon));
}

/**
 * Split a --resolver value: "ip", "ip:port", "[v6]", "[v6]:port", or a bare IPv6 address.
 * Host names are refused: the resolver's own address cannot depend on DNS. A bare IPv6 that could
 * also be read as address + port ("::1:53", "fe80::1:5353") is refused as ambiguous.
 */
export function splitResolverAddress(value: string): ResolverAddress {
  const v = value.trim();
  if (v === '') throw new UsageError('--resolver needs an IP address, e.g. 127.0.0.1:5353 or [::1]:53');
  if (v.includes('%')) {
    // node:dns drops zone ids silently, so a link-local server would be asked on the wrong link.
    throw new UsageError(`--resolver ${JSON.stringify(value)}: IPv6 zone ids (%iface) are not supported`);
  }
  if (v.startsWith('[')) {
    const m = /^\[([^\]]+)\](?::(.*))?$/.exec(v);
    const ip = m?.[1];
    if (m === null || ip === undefined || !isIPv6(ip)) {
      throw new UsageError(`--resolver ${JSON.stringify(value)}: expected [IPv6] or [IPv6]:port`);
    }
    const port = m[2] === undefined ? 53 : parsePort(m[2], value);
    return { ip: ip.toLowerCase(), family: 6, port };
  }
  const colon = v.lastIndexOf(':');
  const head = colon === -1 ? '' : v.slice(0, colon);
  const tail = v.slice(colon + 1);
  if (isIPv6(v)) {
    // "::1:53" is a valid address (::0.1.0.83) but reads as "::1, port 53". The rule: a bare IPv6
    // whose last group is 1-5 decimal digits AND whose part before that colon is itself an IPv6
    // address is ambiguous, so it is refused with both readings. "2001:db8::53" stays valid: its
    // head "2001:db8:" is no address, so the 53 can only be a group. Brackets always decide.
    if (looksLikeV6WithPort(v)) {
      throw new UsageError(
        `--resolver ${JSON.stringify(value)} is ambiguous: write [${head}]:${tail} for port ${tail} on ${head}, or [${v}] for the address ${v} on port 53`,
      );
    }
    return { ip: v.toLowerCase(), family: 6, port: 53 };
  }
  if (isIPv4(v)) return { ip: v, family: 4, port: 53 };
  if (colon !== -1 && isIPv4(head)) {
    return { ip: head, family: 4, port: parsePort(tail, value) };
  }
  if (colon !== -1 && isIPv6(head)) {
    // "1:2:3:4:5:6:7:8:53": a full IPv6 address with a port; only the bracket form says that.
    throw new UsageError(`--resolver ${JSON.stringify(value)}: an IPv6 address with a port needs brackets: [${head}]:${tail}`);
  }
  throw new UsageError(
    `--resolver ${JSON.stringify(value)}: expected an IP address ("192.0.2.53", "192.0.2.53:5353", "[2001:db8::53]:53"), not a host name`,
  );
}

/** The string form node:dns setServers() accepts ("192.0.2.1", "192.0.2.1:5353", "[::1]:5353"). */
export function formatResolverAddress(a: ResolverAddress): string {
  // Bracketed when the bare form would read as address:port (so parsing it again gives the same).
  if (a.port === 53) return a.family === 6 && looksLikeV6WithPort(a.ip) ? `[${a.ip}]:53` : a.ip;
  return a.family === 6 ? `[${a.ip}]:${a.port}` : `${a.ip}:${a.port}`;
}

/** Parse/validate a --resolver value; throws UsageError with a clear message. */
export function parseResolverAddress(value: string): string {
  return formatResolverAddress(splitResolverAddress(value));
}
