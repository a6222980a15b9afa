/**
 * The results contract (schemaVersion 1). Other tools and later features build on these names:
 * change them only with a schemaVersion bump. Documented in README.md ("Results contract").
 *
 * Everything that comes from a server is kept verbatim (JSON-escaped by the serializer);
 * sanitising for terminals/HTML/CSV happens only in report/.
 */

export const SCHEMA_VERSION = 1 as const;

/** A complete SMTP reply (RFC 5321 §4.2). */
export interface SmtpReply {
  /** The three-digit reply code. */
  code: number;
  /** RFC 3463 enhanced status code from the first line, when present (RFC 2034 repeats it per line). */
  enhanced: string | null;
  /** Every line as received, without its line terminator, code included: ["250-mx.example", "250 SIZE 10240000"]. */
  lines: string[];
  /** The text part of each line (after "250-" / "250 "), joined with "\n". Verbatim, enhanced code included. */
  text: string;
  /** True when at least one line ended in a bare LF instead of CRLF (RFC 5321 §2.3.8 violation, tolerated). */
  bareLf: boolean;
}

/** Parsed EHLO keywords (RFC 5321 §4.1.1.1; keyword registry at IANA "SMTP Service Extensions"). */
export interface Capabilities {
  /** The first word of the EHLO reply: the name the server gives itself. */
  name: string | null;
  /** The rest of the first line after the name (e.g. "Hello client [192.0.2.7]"). */
  greeting: string;
  /** Every keyword (upper-cased) to its parameters verbatim ("" when none). First occurrence wins. */
  keywords: Record<string, string>;
  size: number | null;
  auth: string[];
  starttls: boolean;
  pipelining: boolean;
  eightBitMime: boolean;
  smtpUtf8: boolean;
  chunking: boolean;
  dsn: boolean;
  enhancedStatusCodes: boolean;
  requireTls: boolean;
}

export type ProbeStatus =
  | 'success'
  | 'connection-refused'
  | 'connection-timeout'
  | 'connection-closed'
  | 'io-timeout'
  | 'protocol-error'
  | 'tls-error'
  | 'dns-error'
  /** ENETUNREACH / EHOSTUNREACH: no route to the host from this side; nothing reached the server. */
  | 'network-unreachable'
  /** Matrix cell skipped because the host answered 421 or dropped us earlier (see `notTried`). */
  | 'not-tried';

export const PROBE_STATUSES: readonly ProbeStatus[] = [
  'success', 'connection-refused', 'connection-timeout', 'connection-closed',
  'io-timeout', 'protocol-error', 'tls-error', 'dns-error', 'network-unreachable', 'not-tried',
];

/**
 * `not-judged`: the session ended (by --stop-after, or before the EHLO/HELO was sent) before the
 * receiver could judge the identity, so nothing about it was accepted or refused.
 */
export type Outcome = 'accepted' | 'rejected' | 'deferred' | 'unknown' | 'not-judged';

/** Where a decision fell. `connect` is the banner (RFC 5321 §3.1). */
export type Stage = 'connect' | 'ehlo' | 'helo' | 'starttls' | 'mail' | 'rcpt';

export type StopAfter = 'banner' | 'ehlo' | 'starttls' | 'mail' | 'rcpt';
export const STOP_AFTER: readonly StopAfter[] = ['banner', 'ehlo', 'starttls', 'mail', 'rcpt'];

export type Cause =
  | 'helo-missing'
  | 'helo-syntax'
  | 'helo-not-fqdn'
  | 'helo-not-resolving'
  | 'helo-mismatch'
  | 'helo-policy'
  | 'no-ptr'
  | 'fcrdns-fail'
  | 'blocklist'
  | 'greylist'
  | 'rate-limit'
  | 'recipient'
  | 'relay-denied'
  | 'tls-required'
  /** The receiver offered STARTTLS but cannot do it now ("454 4.7.0 TLS not available"): its fault, not the sender's. */
  | 'tls-unavailable'
  | 'policy'
  | 'unknown'
  | 'none';

export interface Verdict {
  outcome: Outcome;
  /** The stage the decision fell at (the last reply that mattered); null when nothing was heard. */
  stage: Stage | null;
  code: number | null;
  enhanced: string | null;
  text: string | null;
  cause: Cause;
  /** One-line remedy for the cause; absent when accepted. */
  remedy?: string;
}

export type IdentityKind =
  | 'primary'
  | 'literal'
  | 'bare-ip'
  | 'short'
  | 'localhost'
  | 'nxdomain'
  | 'mismatch'
  | 'dynamic'
  | 'custom';

export interface Identity {
  kind: IdentityKind;
  /** The HELO/EHLO argument exactly as sent. */
  name: string;
  /** The requested local source address, or null for the system's choice. */
  source: string | null;
}

export interface Greeting {
  /** The command whose reply ended the greeting stage. */
  command: 'EHLO' | 'HELO';
  /** The reply to `command`. */
  reply: SmtpReply | null;
  /** The reply to EHLO (also when HELO followed it); null if EHLO was never answered. */
  ehloReply: SmtpReply | null;
}

export interface CertificateDetails {
  subject: Record<string, string | string[]>;
  subjectAltNames: string[];
  issuer: Record<string, string | string[]>;
  validFrom: string;
  validTo: string;
  fingerprint256: string;
  serialNumber: string;
  selfSigned: boolean;
}

export interface TlsDetails {
  /** Implicit TLS (port 465, RFC 8314) or STARTTLS (RFC 3207). */
  mode: 'starttls' | 'implicit';
  /** The SNI we sent (the MX host name), or null for an IP target. */
  servername: string | null;
  protocol: string | null;
  cipher: { name: string; standardName: string; version: string } | null;
  /** Chain verification against the system CAs (we never abort on failure; we record). */
  authorized: boolean;
  authorizationError: string | null;
  /** tls.checkServerIdentity against the MX name. Null when there was no name to check. */
  nameMatches: boolean | null;
  nameError: string | null;
  certificate: CertificateDetails | null;
  /**
   * The presented chain, leaf first, as digests for DANE (RFC 6698 §2.1: selector 0 = the whole
   * certificate, 1 = its SubjectPublicKeyInfo; matching type 1 = SHA-256, 2 = SHA-512; type 0
   * "exact" is compared through SHA-512 of both sides). Absent in results from older runs.
   */
  chain?: ChainCertificate[];
}

export interface ChainCertificate {
  subject: string;
  certSha256: string;
  certSha512: string;
  spkiSha256: string;
  spkiSha512: string;
  /** This certificate's signature verifies with the next certificate's key; null for the last one. */
  signedByNext: boolean | null;
}

/**
 * STARTTLS was advertised but TLS did not come up (RFC 3207 §4): the server refused the command
 * (e.g. "454 4.7.0 TLS not available due to local problem") or the handshake failed. `fallback`
 * says how the probe went on, as an opportunistic sending MTA would: in plaintext in the same
 * session after a refusal, on a fresh plaintext connection after a failed handshake, or not at
 * all (--no-starttls-fallback, or the server closed).
 */
export type StarttlsFailure =
  | { kind: 'refused'; reply: SmtpReply; fallback: 'same-session' | 'none' }
  | { kind: 'handshake-failed'; error: { code: string; message: string }; fallback: 'reconnect' | 'none' };

export interface TranscriptLine {
  /** Milliseconds since the connection attempt began. */
  t: number;
  /** S: server, C: client, I: an event we note (TLS up, timeout, close). */
  dir: 'S' | 'C' | 'I';
  line: string;
}

export interface Timings {
  connect: number | null;
  banner: number | null;
  ehlo: number | null;
  helo: number | null;
  tls: number | null;
  ehloTls: number | null;
  mail: number | null;
  rcpt: number | null;
  total: number;
}

export interface ProbeResult {
  identity: Identity;
  status: ProbeStatus;
  /** Set when status is not success: a stable code and a human message. */
  error?: { code: string; message: string };
  /** Set when status is not-tried. */
  notTried?: { reason: string };
  verdict: Verdict;
  /** The last stage the session completed. */
  reached: Stage | null;
  local: { address: string; port: number } | null;
  banner: SmtpReply | null;
  greeting: Greeting | null;
  capabilities: { plain: Capabilities | null; tls: Capabilities | null };
  tls: TlsDetails | null;
  /** Present when STARTTLS was offered and attempted but failed (a TLS fact of the host). */
  starttlsFailure?: StarttlsFailure;
  mail: SmtpReply | null;
  rcpt: SmtpReply | null;
  /** The client IP the server echoed in its EHLO reply (Exim/Sendmail "Hello name [ip]"). */
  observedClientIp: string | null;
  timings: Timings;
  transcript: TranscriptLine[];
  /** Present when --retry-greylist re-probed this cell. */
  greylistRetry?: { afterSeconds: number; verdict: Verdict; status: ProbeStatus };
  /** Sender-side alignment checks for this identity (filled by analysis when enabled). */
  alignment?: { checks: AlignmentCheck[]; observedIp?: { ip: string; checks: AlignmentCheck[] } };  /**
   * Fleet runs only (`probe --queue … --vantages …`): the name of the vantage (the relay's worker)
   * that made this probe. Absent in a local run. Additive to schemaVersion 1.
   */
  vantage?: string;
}

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';
export interface AlignmentCheck {
  id: string;
  status: CheckStatus;
  detail: string;
}

export interface HostResult {
  exchange: string;
  ip: string;
  port: number;
  family: 4 | 6;
  probes: ProbeResult[];
  /** Receiver-side alignment (MX → A/AAAA → PTR → FCrDNS, banner/EHLO/cert names). */
  alignment?: { checks: AlignmentCheck[] };
  /**
   * Set when this host was not connected to again for this target: the same (IP, port, MX name)
   * was already probed for the target named here in this run, and nothing in the session depended
   * on the target (stop-after banner, ehlo or starttls). Polite to shared MX fleets.
   */
  reusedFrom?: string;
  /**
   * Transport security for this host, when checked: DANE (RFC 7672; absent with --no-dane) and
   * whether the presented chain validates against the system CAs plus --ca-file (what an
   * MTA-STS sender requires, RFC 8461 §4.2; absent with --no-mta-sts).
   */
  transport?: { dane?: DaneResult; pkix?: { valid: boolean | null; detail: string } };
}

/** `not-tried`: a target given but never started, because the run was interrupted (detail says so). */
export type DnsStatus = 'ok' | 'nxdomain' | 'nodata' | 'timeout' | 'servfail' | 'refused' | 'unreachable' | 'error' | 'null-mx' | 'not-needed' | 'not-tried';

export interface MxEntry {
  exchange: string;
  priority: number;
  /** True for the RFC 5321 §5.1 implicit MX (the domain itself, preference 0). */
  implicit: boolean;
}

export type TargetKind = 'domain' | 'host' | 'ip';

/** An exchanger whose address lookup failed, in whole or for one family (`detail` says which). */
export interface UnresolvedExchanger {
  exchange: string;
  status: DnsStatus;
  detail?: string;
}

/**
 * An exchanger whose name answered without an address: NXDOMAIN (the MX points at a name that does
 * not exist) or NODATA (no A/AAAA, or none of the family asked with -4/-6). A fact of the domain
 * (RFC 2308 §2), not a failed lookup: listed so an audit sees it, with no effect on the exit code.
 */
export interface AddresslessExchanger {
  exchange: string;
  status: 'nxdomain' | 'nodata';
  detail?: string;
}

export interface TargetResult {
  /** The line as the user gave it. */
  input: string;
  /** file:line or "argv" / "stdin:line" where it came from. */
  origin: string;
  kind: TargetKind;
  /** The A-label domain used on the wire (punycode), or null for IP targets. */
  domain: string | null;
  /** The Unicode form for display, when different from `domain`. */
  displayDomain?: string;
  port: number;
  /**
   * `unresolved`: exchangers (or, for a host target, the host) whose A or AAAA lookup failed
   * (timeout, SERVFAIL, REFUSED, error): addresses that may exist were not probed, so the target
   * was not fully probed (exit 1). NXDOMAIN/NODATA are answers, not failures, and are not listed.
   * `noAddress`: exchangers whose name answered NXDOMAIN or NODATA beside probed ones (a backup MX
   * that does not exist): nothing to probe there, and no effect on the exit code.
   */
  dns: { status: DnsStatus; detail?: string; unresolved?: UnresolvedExchanger[]; noAddress?: AddresslessExchanger[] };
  mx: MxEntry[];
  hosts: HostResult[];
  /** MTA-STS (RFC 8461) and TLS-RPT (RFC 8460) for a domain target, when checked. */
  transport?: TargetTransport;
}

// ---- Transport security (DANE, MTA-STS, TLS-RPT): src/transport/ ----

export type DnssecStatus = 'secure' | 'insecure' | 'bogus' | 'indeterminate';
export type DaneStatus = 'dane-valid' | 'dane-mismatch' | 'no-tlsa' | 'insecure' | 'bogus' | 'tlsa-unusable' | 'indeterminate' | 'not-checked';

export interface TlsaRecordResult {
  usage: number;
  selector: number;
  matchingType: number;
  /** The certificate association data, lower-case hex. */
  data: string;
  /** False for records a DANE SMTP client ignores (RFC 7672 §3.1.3, RFC 7671 §4). */
  usable: boolean;
  problem?: string;
}

export interface DaneResult {
  status: DaneStatus;
  /** DNSSEC status of the TLSA answer (and of the MX RRset for a domain target, whichever is weaker). */
  dnssec: DnssecStatus;
  /** The TLSA owner name queried ("_25._tcp.mx.example"). */
  name: string;
  records: TlsaRecordResult[];
  matched: TlsaRecordResult | null;
  detail?: string;
}

export type MtaStsStatus =
  | 'mta-sts-valid'
  | 'mta-sts-mx-mismatch'
  | 'mta-sts-tls-fail'
  | 'mta-sts-fetch-fail'
  | 'mta-sts-invalid'
  | 'no-mta-sts'
  | 'testing'
  /** The TXT lookup itself failed (timeout, SERVFAIL): nothing was judged. */
  | 'indeterminate';

export type MtaStsHostStatus = 'mta-sts-valid' | 'mta-sts-mx-mismatch' | 'mta-sts-tls-fail' | 'not-judged';

export interface MtaStsResult {
  status: MtaStsStatus;
  mode: 'enforce' | 'testing' | 'none' | null;
  id: string | null;
  /** The policy's mx patterns. */
  mx: string[];
  maxAge: number | null;
  error?: string;
  /** Per MX host (address): what an MTA-STS sender in this mode would do. */
  hosts?: Array<{ exchange: string; ip: string; status: MtaStsHostStatus; detail: string }>;
}

export interface TlsRptResult {
  /** `indeterminate` when the TXT lookup failed (never reported as absent). */
  status: 'valid' | 'invalid' | 'absent' | 'indeterminate';
  rua: string[];
  error?: string;
}

export interface TargetTransport {
  mtaSts?: MtaStsResult;
  tlsRpt?: TlsRptResult;
  /** "a DANE sender would deliver to 2/2 MX, an MTA-STS sender (enforce) would refuse mx2 (…)" */
  summary: string;
}

export interface Summary {
  targets: number;
  hosts: number;
  probes: number;
  /** Targets that could not be probed at all (DNS failure, no address). */
  targetErrors: number;
  /** Domains that publish a null MX (RFC 7505): reported, deliberately not probed. */
  nullMx: number;
  status: Partial<Record<ProbeStatus, number>>;
  outcomes: Partial<Record<Outcome, number>>;
  /** zgrab2-style counts over hosts: answered EHLO, needed HELO, offered STARTTLS, completed TLS. */
  hostsEhlo: number;
  hostsHelo: number;
  hostsStarttls: number;
  hostsTls: number;
  tlsVersions: Record<string, number>;
  certificates: Record<string, number>;
  /** `notJudged`: probes whose session stopped before the receiver could judge the identity (outside acceptanceRate). */
  identities: Record<string, { probes: number; accepted: number; rejected: number; deferred: number; notJudged: number; errors: number; notTried: number; acceptanceRate: number | null }>;
  causes: Partial<Record<Cause, number>>;
  alignmentFailures: Record<string, number>;
}

export interface RunResult {
  schemaVersion: typeof SCHEMA_VERSION;
  tool: { name: 'mxprobe'; version: string };
  startedAt: string;
  finishedAt: string;
  options: Record<string, unknown>;
  targets: TargetResult[];
  summary: Summary;
}

/**
 * NDJSON records (one per line). A run is: run, then host/target lines as they finish, then
 * summary. A resumed run appends: resume, host/target lines, summary.
 */
export type NdjsonRecord =
  | { type: 'run'; schemaVersion: typeof SCHEMA_VERSION; tool: { name: 'mxprobe'; version: string }; startedAt: string; options: Record<string, unknown> }
  | ({ type: 'host'; target: { input: string; origin: string; kind: TargetKind; domain: string | null; mx: MxEntry[] } } & HostResult)
  | ({ type: 'target' } & Omit<TargetResult, 'hosts'>)
  | { type: 'summary'; finishedAt: string; summary: Summary; interrupted?: boolean }
  /** `--resume` appends to an earlier file: this record opens the appended part (no second `run`). */
  | { type: 'resume'; startedAt: string; options: Record<string, unknown>; skippedCells: number };
