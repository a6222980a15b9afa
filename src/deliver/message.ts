/**
 * The test message `deliver` sends: small and standards-clean (RFC 5322 §3.6: Date, From,
 * Message-ID, To, Subject), 7-bit ASCII, CRLF line ends, lines well under 998 octets (§2.1.1),
 * with a random token in the Subject and in X-Mxprobe-Token so `inspect --token` finds it in a
 * mailbox. The identity under test is written into X-Mxprobe-Helo / X-Mxprobe-Source and the body,
 * so `inspect` can compare it with what the receiver recorded in Received:.
 */
import { randomBytes } from 'node:crypto';
import { UsageError } from '../errors.js';
import { HELO_HEADER, SOURCE_HEADER, TOKEN_HEADER } from '../analysis/inspect.js';

export interface MessageInput {
  from: string;
  to: string;
  helo: string;
  /** The requested source IP, or null for the system's choice. */
  source: string | null;
  token: string;
  date: Date;
  tls: string;
  /** "mx1.example [192.0.2.10]:25 (MX 10 of example)" lines: where it may go. */
  route: string[];
  /** Probe verdicts for the route's hosts (from --results), one line each. */
  verdicts: string[];
  /** Where the verdicts came from (the --results path). */
  verdictSource: string | null;
  toolVersion: string;
}

export interface BuiltMessage {
  raw: string;
  headers: Array<[string, string]>;
  subject: string;
  messageId: string;
  token: string;
}

/** 128 random bits, hex: unique per message, safe in a Subject and a header. */
export function newToken(): string {
  return randomBytes(16).toString('hex');
}

/** RFC 5322 §3.3 date-time with a numeric zone ("GMT" is obs-zone). */
export function formatDate(d: Date): string {
  return d.toUTCString().replace(/GMT$/, '+0000');
}

/** The domain of an address (after the last "@"), or null. */
export function addressDomain(address: string): string | null {
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) return null;
  return address.slice(at + 1);
}

/**
 * The default envelope/header sender: postmaster@<HELO name>. RFC 5321 §4.5.1 requires every
 * SMTP host to accept mail for postmaster, so the address is real if the HELO name is. A bare IP
 * or address-literal HELO has no domain to borrow: then --from is required.
 */
export function defaultFrom(helo: string): string {
  const name = helo.replace(/\.$/, '');
  if (!/^[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$/.test(name) || /^[\d.]+$/.test(name)) {
    throw new UsageError(`--helo ${JSON.stringify(helo)} is not a domain name; give --from <address> for the sender`);
  }
  return `postmaster@${name}`;
}

const ASCII_PRINTABLE = /^[\x21-\x7e]+$/;

/** Envelope addresses are written into headers too: keep them plain 7-bit (no SMTPUTF8 here). */
export function assertPlainAddress(address: string, what: string): void {
  if (!ASCII_PRINTABLE.test(address) || addressDomain(address) === null || /[<>"(),;\\[\]]/.test(address.replace(/@\[[^\]]*\]$/, ''))) {
    throw new UsageError(`${what} ${JSON.stringify(address)} is not a plain ASCII mailbox (local@domain); IDN domains must be given as A-labels`);
  }
}

function clip(line: string): string {
  // RFC 5322 §2.1.1: 998 octets is the hard limit; stay far below it.
  const ascii = line.replace(/[^\x20-\x7e]/g, '?');
  return ascii.length > 900 ? `${ascii.slice(0, 897)}...` : ascii;
}

export function buildMessage(m: MessageInput): BuiltMessage {
  const fromDomain = addressDomain(m.from) ?? 'localhost';
  const messageId = `<${m.token}.mxprobe@${fromDomain}>`;
  const subject = `mxprobe test ${m.token}`;
  const headers: Array<[string, string]> = [
    ['Date', formatDate(m.date)],
    ['From', m.from],
    ['To', m.to],
    ['Subject', subject],
    ['Message-ID', messageId],
    [TOKEN_HEADER, m.token],
    [HELO_HEADER, m.helo],
    [SOURCE_HEADER, m.source ?? 'system-chosen'],
    ['MIME-Version', '1.0'],
    ['Content-Type', 'text/plain; charset=us-ascii'],
    ['Content-Transfer-Encoding', '7bit'],
    // Ask for no auto-replies to a probe (RFC 3834 §5).
    ['Auto-Submitted', 'auto-generated'],
  ];
  const body: string[] = [
    `This is a deliverability test message sent by mxprobe ${m.toolVersion}.`,
    'It was sent once, on purpose, to a mailbox owned by its sender, to record',
    'how the receiving server treats the SMTP client identity below.',
    '',
    `Token: ${m.token}`,
    `HELO: ${m.helo}`,
    `Source IP: ${m.source ?? 'system-chosen'}`,
    `Time: ${m.date.toISOString()}`,
    `TLS: ${m.tls}`,
    'Route:',
    ...m.route.map((r) => `  ${r}`),
  ];
  if (m.verdictSource !== null) {
    body.push('', `Probe verdicts for this route (from ${m.verdictSource}):`);
    body.push(...(m.verdicts.length > 0 ? m.verdicts.map((v) => `  ${v}`) : ['  (no probe of these hosts in the results file)']));
  }
  const lines = [...headers.map(([k, v]) => clip(`${k}: ${v}`)), '', ...body.map(clip), ''];
  return { raw: lines.join('\r\n'), headers, subject, messageId, token: m.token };
}
