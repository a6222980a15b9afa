/**
 * Reading the lab Postfix's log (maillog_file format: "Mon DD HH:MM:SS host tag[pid]: text").
 * The log is the truth the real-MTA suite judges mxprobe against: what Postfix says it replied,
 * to which client address, for which HELO name.
 */
import type { Cause } from '../../src/results.js';

/** One `NOQUEUE: info|reject: RCPT from ...` record (smtpd_delay_reject puts every decision at RCPT). */
export interface RcptEvent {
  /** The syslog tag without pid: "postfix/smtpd" or "postfix/strict/smtpd". */
  service: string;
  kind: 'info' | 'reject';
  /** Client name as Postfix verified it ("unknown" when FCrDNS failed), and the address. */
  clientName: string;
  clientIp: string;
  /** For reject: the full reply line Postfix sent ("504 5.5.2 <localhost>: Helo command rejected: ..."). */
  reply: string | null;
  code: number | null;
  enhanced: string | null;
  from: string;
  to: string;
  proto: string;
  helo: string;
  line: string;
}

export interface SessionEnd {
  service: string;
  clientName: string;
  clientIp: string;
  /** Postfix's per-command counters: {ehlo: "2", starttls: "1", rcpt: "0/1", commands: "3/4"}. */
  counters: Record<string, string>;
  line: string;
}

export interface TlsEvent {
  service: string;
  clientName: string;
  clientIp: string;
  protocol: string;
  cipher: string;
  line: string;
}

const PREFIX = String.raw`^\S+\s+\d+\s+[\d:]+\s+\S+\s+(postfix(?:/[\w.-]+)*/smtpd)\[\d+\]: `;
const RCPT_RE = new RegExp(
  PREFIX + String.raw`NOQUEUE: (info|reject): RCPT from ([^\[\s]*)\[([^\]]+)\]: (.*); from=<(.*?)> to=<(.*?)> proto=(\S+) helo=<(.*)>$`,
);
const DISCONNECT_RE = new RegExp(PREFIX + String.raw`disconnect from ([^\[\s]*)\[([^\]]+)\](.*)$`);
const TLS_RE = new RegExp(PREFIX + String.raw`\S+ TLS connection established from ([^\[\s]*)\[([^\]]+)\]: (\S+) with cipher (\S+)`);
const ENHANCED_RE = /^[245]\.\d{1,3}\.\d{1,3}$/;

function lines(log: string): string[] {
  return log.split('\n').filter((l) => l.length > 0);
}

export function parseRcptEvents(log: string): RcptEvent[] {
  const out: RcptEvent[] = [];
  for (const line of lines(log)) {
    const m = RCPT_RE.exec(line);
    if (!m) continue;
    const [, service = '', kind, clientName = '', clientIp = '', rest = '', from = '', to = '', proto = '', helo = ''] = m;
    let reply: string | null = null;
    let code: number | null = null;
    let enhanced: string | null = null;
    if (kind === 'reject') {
      reply = rest;
      const words = rest.split(' ');
      code = /^\d{3}$/.test(words[0] ?? '') ? Number(words[0]) : null;
      enhanced = ENHANCED_RE.test(words[1] ?? '') ? (words[1] ?? null) : null;
    }
    out.push({ service, kind: kind === 'reject' ? 'reject' : 'info', clientName, clientIp, reply, code, enhanced, from, to, proto, helo, line });
  }
  return out;
}

export function parseSessionEnds(log: string): SessionEnd[] {
  const out: SessionEnd[] = [];
  for (const line of lines(log)) {
    const m = DISCONNECT_RE.exec(line);
    if (!m) continue;
    const counters: Record<string, string> = {};
    for (const pair of (m[4] ?? '').trim().split(/\s+/).filter(Boolean)) {
      const eq = pair.indexOf('=');
      if (eq > 0) counters[pair.slice(0, eq).toLowerCase()] = pair.slice(eq + 1);
    }
    out.push({ service: m[1] ?? '', clientName: m[2] ?? '', clientIp: m[3] ?? '', counters, line });
  }
  return out;
}

export function parseTlsEvents(log: string): TlsEvent[] {
  const out: TlsEvent[] = [];
  for (const line of lines(log)) {
    const m = TLS_RE.exec(line);
    if (m) out.push({ service: m[1] ?? '', clientName: m[2] ?? '', clientIp: m[3] ?? '', protocol: m[4] ?? '', cipher: m[5] ?? '', line });
  }
  return out;
}

/**
 * The causes a faithful classifier may give for a Postfix reject text (Postfix 3.7 wording, see
 * smtpd_check.c). Returns null for a text this table does not know, so the suite fails loudly
 * instead of guessing when the lab starts producing a new kind of reply.
 */
export function causesForPostfixReply(reply: string): readonly Cause[] | null {
  const table: ReadonlyArray<[RegExp, readonly Cause[]]> = [
    // reject_non_fqdn_helo_hostname (504 5.5.2)
    [/Helo command rejected: need fully-qualified hostname/, ['helo-not-fqdn']],
    // reject_unknown_helo_hostname: no A/MX (450 4.7.1 by unknown_hostname_reject_code)
    [/Helo command rejected: Host not found/, ['helo-not-resolving']],
    // reject_invalid_helo_hostname (501 5.5.2)
    [/Helo command rejected: Invalid name/, ['helo-syntax']],
    // reject_unknown_reverse_client_hostname: no PTR at all
    [/Client host rejected: cannot find your reverse hostname/, ['no-ptr']],
    // reject_unknown_client_hostname: Postfix 3.7 uses one text (and RFC 7372 4.7.25 "reverse DNS
    // validation failed") for both a missing PTR and a PTR that does not resolve back.
    [/Client host rejected: cannot find your hostname/, ['no-ptr', 'fcrdns-fail']],
    [/Relay access denied/, ['relay-denied']],
    [/Recipient address rejected: User unknown/, ['recipient']],
  ];
  for (const [re, causes] of table) if (re.test(reply)) return causes;
  return null;
}

/** Outcome implied by a reply code (RFC 5321 §4.2.1: 2yz positive, 4yz transient, 5yz permanent). */
export function outcomeForCode(code: number): 'accepted' | 'deferred' | 'rejected' | 'unknown' {
  if (code >= 200 && code < 400) return 'accepted';
  if (code >= 400 && code < 500) return 'deferred';
  if (code >= 500 && code < 600) return 'rejected';
  return 'unknown';
}
