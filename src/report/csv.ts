/**
 * CSV report: one row per probe (RFC 4180: CRLF line ends, quoted cells when needed).
 *
 * Streaming: `csvHeader()` once, then `csvRows(target)` per finished target, so memory does not
 * grow with the run. Every cell goes through `csvCell`, which strips terminal controls and
 * neutralises cells a spreadsheet would run as a formula (=, +, -, @, tab, CR: OWASP CSV injection).
 *
 * Column names are part of the public interface (scripts key on them): append new columns at the
 * end, never rename or reorder. Documented in CSV_COLUMN_DOCS.
 */
import type { Capabilities, HostResult, ProbeResult, SmtpReply, TargetResult } from '../results.js';
import { csvCell } from './sanitize.js';
import { certOutcomes } from './summary.js';

/** Column name → meaning. The order of this object is the column order. */
export const CSV_COLUMN_DOCS = {
  target: 'the target line as given',
  origin: 'where the target came from (file:line, argv, stdin:line)',
  dns_status: 'DNS outcome for the target (ok, nxdomain, null-mx, not-needed, ...)',
  exchange: 'MX host name (or the IP for IP targets); empty when the target had no host',
  ip: 'address probed',
  port: 'TCP port',
  identity_kind: 'HELO identity kind (primary, literal, bare-ip, ...)',
  identity_name: 'the HELO/EHLO argument as sent',
  source: 'requested local source address (empty: system choice)',
  status: 'probe status (success, connection-refused, network-unreachable, io-timeout, tls-error, not-tried, ...)',
  error: 'error code and message when status is not success',
  outcome: 'verdict: accepted, rejected, deferred, not-judged or unknown',
  stage: 'stage the verdict fell at (connect, ehlo, helo, starttls, mail, rcpt)',
  code: 'SMTP reply code of the deciding reply',
  enhanced: 'RFC 3463 enhanced status code of the deciding reply',
  cause: 'classified cause (helo-not-fqdn, no-ptr, greylist, ...; none when accepted)',
  reply_text: 'text of the deciding reply',
  remedy: 'one-line remedy for the cause',
  banner: 'the 220 greeting text (RFC 5321 §4.3.1)',
  ehlo_command: 'greeting command that ended the greeting stage (EHLO or HELO)',
  ehlo_name: 'the name the server gave in its EHLO reply',
  starttls: 'STARTTLS offered in the plaintext EHLO reply (true/false; empty: no EHLO seen)',
  starttls_failure: 'STARTTLS offered but not completed: "refused <code> <text>" or "handshake-failed <error>" (empty: none)',
  tls_protocol: 'negotiated TLS version (TLSv1.3, ...)',
  tls_cipher: 'negotiated cipher (IANA name)',
  cert_valid: 'certificate chain verified against system CAs (true/false)',
  cert_name_match: 'certificate covers the MX name (true/false; empty: nothing to check)',
  cert_problems: 'space-separated: valid, self-signed, expired, untrusted, name-mismatch',
  cert_subject: 'certificate subject CN',
  cert_expires: 'certificate notAfter (ISO 8601)',
  auth_plain: 'AUTH mechanisms offered before TLS (RFC 4954)',
  auth_tls: 'AUTH mechanisms offered after TLS',
  size: 'SIZE limit in bytes (RFC 1870)',
  smtputf8: 'SMTPUTF8 offered (RFC 6531)',
  pipelining: 'PIPELINING offered (RFC 2920)',
  chunking: 'CHUNKING offered (RFC 3030)',
  requiretls: 'REQUIRETLS offered (RFC 8689)',
  observed_client_ip: 'client IP the server echoed in its EHLO reply',
  alignment_failed: 'space-separated sender-side alignment checks that failed',
  greylist_retry_outcome: 'outcome of the --retry-greylist re-probe, when done',
  total_ms: 'probe duration in milliseconds',
  dane: 'DANE verdict for the host (dane-valid, dane-mismatch, no-tlsa, insecure, bogus, tlsa-unusable, indeterminate, not-checked)',
  mta_sts: 'MTA-STS verdict for the domain (mta-sts-valid, mta-sts-mx-mismatch, mta-sts-tls-fail, mta-sts-fetch-fail, mta-sts-invalid, no-mta-sts, testing, indeterminate)',
  tls_rpt: 'TLS-RPT record of the domain (valid, invalid, absent, indeterminate)',
} as const satisfies Record<string, string>;

export type CsvColumn = keyof typeof CSV_COLUMN_DOCS;
export const CSV_COLUMNS: readonly string[] = Object.freeze(Object.keys(CSV_COLUMN_DOCS));

const CRLF = '\r\n';

export function csvHeader(): string {
  return CSV_COLUMNS.map((c) => csvCell(c)).join(',') + CRLF;
}

type Cell = string | number | boolean | null | undefined;

function firstLineText(r: SmtpReply | null): string | null {
  if (r === null) return null;
  return r.text;
}

function caps(p: ProbeResult): Capabilities | null {
  // After STARTTLS the server may advertise more (or less); the post-TLS set is what a sender uses.
  return p.capabilities.tls ?? p.capabilities.plain;
}

function probeRow(t: TargetResult, h: HostResult, p: ProbeResult): Record<CsvColumn, Cell> {
  const c = caps(p);
  const tls = p.tls;
  const cert = tls?.certificate ?? null;
  const cn = cert?.subject['CN'];
  return {
    target: t.input,
    origin: t.origin,
    dns_status: t.dns.status,
    exchange: h.exchange,
    ip: h.ip,
    port: h.port,
    identity_kind: p.identity.kind,
    identity_name: p.identity.name,
    source: p.identity.source,
    status: p.status,
    error: p.error !== undefined ? `${p.error.code}: ${p.error.message}` : p.notTried?.reason,
    outcome: p.verdict.outcome,
    stage: p.verdict.stage,
    code: p.verdict.code,
    enhanced: p.verdict.enhanced,
    cause: p.verdict.cause,
    reply_text: p.verdict.text,
    remedy: p.verdict.remedy,
    banner: firstLineText(p.banner),
    ehlo_command: p.greeting?.command,
    ehlo_name: (p.capabilities.plain ?? p.capabilities.tls)?.name,
    starttls: p.capabilities.plain?.starttls,
    starttls_failure: starttlsFailureText(p),
    tls_protocol: tls?.protocol,
    tls_cipher: tls?.cipher?.standardName ?? tls?.cipher?.name,
    cert_valid: tls !== null && cert !== null ? tls.authorized : null,
    cert_name_match: tls?.nameMatches,
    cert_problems: certOutcomes(tls).join(' '),
    cert_subject: Array.isArray(cn) ? cn.join(' ') : cn,
    cert_expires: cert?.validTo,
    auth_plain: p.capabilities.plain?.auth.join(' '),
    auth_tls: p.capabilities.tls?.auth.join(' '),
    size: c?.size,
    smtputf8: c?.smtpUtf8,
    pipelining: c?.pipelining,
    chunking: c?.chunking,
    requiretls: c?.requireTls,
    observed_client_ip: p.observedClientIp,
    alignment_failed: (p.alignment?.checks ?? []).filter((x) => x.status === 'fail').map((x) => x.id).join(' '),
    greylist_retry_outcome: p.greylistRetry?.verdict.outcome,
    total_ms: p.timings.total,
    dane: h.transport?.dane?.status,
    mta_sts: t.transport?.mtaSts?.status,
    tls_rpt: t.transport?.tlsRpt?.status,
  };
}

function starttlsFailureText(p: ProbeResult): string | null {
  const f = p.starttlsFailure;
  if (f === undefined) return null;
  return f.kind === 'refused' ? `refused ${f.reply.code} ${f.reply.text.split('\n')[0] ?? ''}` : `handshake-failed ${f.error.message}`;
}

function emptyRow(t: TargetResult): Record<CsvColumn, Cell> {
  const row = Object.fromEntries(CSV_COLUMNS.map((c) => [c, null])) as Record<CsvColumn, Cell>;
  row.target = t.input;
  row.origin = t.origin;
  row.dns_status = t.dns.status;
  row.port = t.port;
  row.error = t.dns.detail ?? `no host to probe (DNS ${t.dns.status})`;
  row.mta_sts = t.transport?.mtaSts?.status;
  row.tls_rpt = t.transport?.tlsRpt?.status;
  return row;
}

function line(row: Record<CsvColumn, Cell>): string {
  return CSV_COLUMNS.map((c) => csvCell(row[c as CsvColumn])).join(',') + CRLF;
}

/**
 * The rows of one target, CRLF-terminated. A target with no host (DNS failure, null MX) still gets
 * one row, so it does not silently vanish from a spreadsheet; its probe columns are empty.
 */
export function csvRows(target: TargetResult): string {
  let out = '';
  let any = false;
  for (const h of target.hosts) {
    for (const p of h.probes) {
      out += line(probeRow(target, h, p));
      any = true;
    }
  }
  if (!any) return line(emptyRow(target));
  // Exchangers not probed, a row each with their DNS status: the address lookup failed
  // (dns.unresolved), or the name has no address (dns.noAddress: NXDOMAIN, NODATA).
  for (const u of [...(target.dns.unresolved ?? []), ...(target.dns.noAddress ?? [])]) {
    const row = emptyRow(target);
    row.dns_status = u.status;
    row.exchange = u.exchange;
    row.error = u.detail ?? `address lookup ${u.status}`;
    out += line(row);
  }
  return out;
}

/** Whole-run convenience: header plus every target's rows. */
export function renderCsv(targets: Iterable<TargetResult>): string {
  let out = csvHeader();
  for (const t of targets) out += csvRows(t);
  return out;
}
