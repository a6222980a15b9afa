/**
 * Syntax checks for every value that goes on the wire, done before any connection (B8): a bad
 * value is a usage error (exit 2) naming the flag, never a session that sends `EHLO bad name` or
 * fails after MAIL on every host.
 *
 * - HELO names (--helo, --mismatch-name): RFC 5321 §4.1.1.1 Domain or address-literal.
 * - --identity: one printable ASCII word. Custom identities exist to test how receivers treat odd
 *   names (a bare IP, a single label), so only what cannot be one EHLO argument is refused.
 * - Mailboxes (--mail-from, --rcpt): RFC 5321 §4.1.2 Mailbox = Local-part "@" (Domain / address-
 *   literal); "<>" is only a reverse-path (MAIL FROM), never a forward-path, and RCPT TO:<Postmaster>
 *   without a domain is allowed (§4.1.1.3).
 * Pure: no I/O.
 */
import { UsageError } from '../errors.js';
import { parseHelo } from '../analysis/helo-name.js';
import { normaliseHostname } from '../targets/idn.js';

/** RFC 5322 §3.2.3 atext, as RFC 5321 §4.1.2 Atom uses it. */
const ATOM = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+";
const DOT_STRING = new RegExp(`^${ATOM}(?:\\.${ATOM})*$`);
/** RFC 5321 §4.1.2 Quoted-string: qtextSMTP (%d32-33 / %d35-91 / %d93-126) or quoted-pairSMTP. */
const QUOTED_STRING = /^"(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\[\x20-\x7e])*"$/;

/** RFC 5321 §2.3.5: a Unicode domain goes on the wire as A-labels. */
function toAscii(flag: string, name: string): string {
  if (!/[^\x00-\x7f]/.test(name)) return name;
  const r = normaliseHostname(name);
  if (!r.ok) throw new UsageError(`${flag}: "${name}": ${r.reason}`);
  return r.ascii;
}

/** A HELO name: a Domain or an address literal (a bare IP or junk is refused with the reason). */
export function heloName(flag: string, value: string): string {
  const ascii = toAscii(flag, value);
  const form = parseHelo(ascii);
  if (form.form === 'invalid') throw new UsageError(`${flag}: "${value}" is not a host name or address literal: ${form.reason}`);
  if (form.form === 'bare-ip') throw new UsageError(`${flag}: "${value}" is a bare IP address; write it as an address literal "[${form.family === 6 ? 'IPv6:' : ''}${form.ip}]" (RFC 5321 §4.1.3)`);
  return ascii;
}

/** A domain that must resolve (--mismatch-name): Domain syntax, no literal. */
export function domainName(flag: string, value: string): string {
  const ascii = toAscii(flag, value);
  const form = parseHelo(ascii);
  if (form.form !== 'domain') throw new UsageError(`${flag}: "${value}" is not a domain name${form.form === 'invalid' ? `: ${form.reason}` : ''}`);
  return ascii;
}

/** A custom identity: one EHLO argument of printable ASCII. */
export function identityWord(flag: string, value: string): string {
  const ascii = toAscii(flag, value);
  if (ascii === '' || !/^[\x21-\x7e]+$/.test(ascii)) throw new UsageError(`${flag}: "${value}" must be one word of printable characters`);
  return ascii;
}

/**
 * A mailbox for MAIL FROM / RCPT TO, without its angle brackets; "" for the null reverse-path
 * when `nullAllowed`. One pair of brackets is stripped.
 */
export function mailboxValue(flag: string, value: string, opts: { nullAllowed: boolean; postmasterAlone?: boolean }): string {
  const v = value.trim().replace(/^<(.*)>$/, '$1');
  if (v === '') {
    if (opts.nullAllowed) return '';
    throw new UsageError(`${flag}: "${value}" is the null path, which only MAIL FROM may use (RFC 5321 §4.1.1.3); give a mailbox`);
  }
  if (opts.postmasterAlone && /^postmaster$/i.test(v)) return v;
  const at = v.lastIndexOf('@');
  if (at <= 0 || at === v.length - 1) throw new UsageError(`${flag}: "${value}" is not a mailbox (local-part@domain, RFC 5321 §4.1.2)`);
  const local = v.slice(0, at);
  const domain = v.slice(at + 1);
  if (!DOT_STRING.test(local) && !QUOTED_STRING.test(local)) {
    throw new UsageError(`${flag}: "${value}": local part "${local}" is neither a dot-string nor a quoted string (RFC 5321 §4.1.2)`);
  }
  // RFC 5321 §4.5.3.1.1: at most 64 octets of local part.
  if (Buffer.byteLength(local) > 64) throw new UsageError(`${flag}: "${value}": local part longer than 64 octets (RFC 5321 §4.5.3.1.1)`);
  const ascii = toAscii(flag, domain);
  const form = parseHelo(ascii);
  if (form.form !== 'domain' && form.form !== 'address-literal') {
    throw new UsageError(`${flag}: "${value}": "${domain}" is not a domain or address literal${form.form === 'invalid' ? ` (${form.reason})` : ''}`);
  }
  return `${local}@${ascii}`;
}
