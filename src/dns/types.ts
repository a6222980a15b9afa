/**
 * The injectable DNS interface. Every layer above takes a `Resolver`, so tests use the DNS fixture
 * over real UDP and production uses node:dns through the same code (see dns/resolver.ts).
 *
 * Answers are discriminated by `status`; NXDOMAIN (the name does not exist) and NODATA (the name
 * exists, no record of this type: RFC 2308 §2.2) are different facts and are kept apart.
 */
export type DnsAnswer<T> =
  | { status: 'ok'; records: T[]; /** CNAME chain followed, in order, when any. */ cnames?: string[] }
  | { status: 'nxdomain' }
  | { status: 'nodata' }
  | { status: 'timeout' }
  | { status: 'servfail' }
  | { status: 'refused' }
  /**
   * No resolver could be reached: the connection to it was refused (ECONNREFUSED, an ICMP port
   * unreachable for UDP). Not a DNS answer at all, unlike `refused` (the server answered with
   * RCODE REFUSED, RFC 1035 §4.1.1). `code` and `message` keep node's error for the JSON detail.
   */
  | { status: 'unreachable'; code: string; message: string }
  | { status: 'error'; code: string; message: string };

export type DnsFailureStatus = Exclude<DnsAnswer<unknown>['status'], 'ok'>;

export interface MxRecord {
  exchange: string;
  priority: number;
}

export interface Resolver {
  mx(name: string): Promise<DnsAnswer<MxRecord>>;
  /**
   * `opts.cnames: false`: the caller needs only the addresses, not the CNAME chain (a resolver may
   * then skip asking for it); implementations that always report the chain may ignore it.
   */
  a(name: string, opts?: { cnames?: boolean }): Promise<DnsAnswer<string>>;
  aaaa(name: string, opts?: { cnames?: boolean }): Promise<DnsAnswer<string>>;
  /** Reverse lookup of an IPv4 or IPv6 address (in-addr.arpa / ip6.arpa). Names without trailing dot. */
  ptr(ip: string): Promise<DnsAnswer<string>>;
  /** TXT records, each joined from its character-strings (RFC 7208 §3.3). */
  txt(name: string): Promise<DnsAnswer<string>>;
}
