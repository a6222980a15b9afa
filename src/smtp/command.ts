/**
 * Client command formatting with a hard safety guard. Every byte mxprobe writes to an SMTP server
 * goes through `formatCommand`, so this is the one place that prevents command injection / SMTP
 * smuggling: no argument may carry CR, LF or NUL (RFC 5321 §2.3.8: CR and LF only as CRLF line
 * ends; NUL is never valid in a command), and only the probe verbs can be produced at all.
 */
import { Buffer } from 'node:buffer';
import { CommandUnsafeError } from '../errors.js';

export type Verb = 'EHLO' | 'HELO' | 'STARTTLS' | 'MAIL' | 'RCPT' | 'RSET' | 'NOOP' | 'QUIT';

/**
 * The only verbs a probe may ever send. DATA, BDAT and AUTH are deliberately absent: mxprobe never
 * sends a message or tries credentials in probe mode.
 */
export const PROBE_VERBS: readonly Verb[] = Object.freeze(['EHLO', 'HELO', 'STARTTLS', 'MAIL', 'RCPT', 'RSET', 'NOOP', 'QUIT'] as const);

/** Verbs whose grammar has no argument (RFC 5321 §4.1.1.5 RSET, §4.1.1.10 QUIT; RFC 3207 §4 STARTTLS). */
const NO_ARGUMENT: ReadonlySet<Verb> = new Set<Verb>(['STARTTLS', 'RSET', 'QUIT']);

/** RFC 5321 §4.5.3.1.4: a command line is at most 512 octets including the CRLF. */
export const MAX_COMMAND_LINE_OCTETS = 512;

const UNSAFE_CHARS: Readonly<Record<string, string>> = { '\r': 'CR', '\n': 'LF', '\0': 'NUL' };

/**
 * Throws CommandUnsafeError if value contains CR, LF or NUL (RFC 5321 §2.3.8, command injection /
 * SMTP smuggling). `what` names the field in the error ("--helo").
 */
export function assertSafeArgument(value: string, what: string): void {
  if (typeof value !== 'string') {
    // Runtime check for JS callers: a non-string would be stringified onto the wire.
    throw new CommandUnsafeError(`${what} must be a string, got ${typeof value}`);
  }
  const i = value.search(/[\r\n\0]/);
  if (i !== -1) {
    const name = UNSAFE_CHARS[value[i]!] ?? 'control character';
    throw new CommandUnsafeError(`${what} contains ${name} at position ${i}: refusing to send it (RFC 5321 §2.3.8)`);
  }
}

function isProbeVerb(v: unknown): v is Verb {
  return typeof v === 'string' && (PROBE_VERBS as readonly string[]).includes(v);
}

/**
 * "EHLO mx.example\r\n". Throws CommandUnsafeError on an unsafe argument, or a verb not in
 * PROBE_VERBS (runtime check too, for JS callers), or a line longer than 512 octets incl. CRLF
 * (RFC 5321 §4.5.3.1.4). An absent or empty argument gives the bare verb ("EHLO\r\n"), which is how
 * a probe tests a missing HELO argument. STARTTLS, RSET and QUIT take no argument.
 */
export function formatCommand(verb: Verb, arg?: string): string {
  if (!isProbeVerb(verb)) {
    throw new CommandUnsafeError(`refusing to send verb ${JSON.stringify(String(verb))}: a probe only sends ${PROBE_VERBS.join(', ')}`);
  }
  let line: string = verb;
  if (arg !== undefined) {
    assertSafeArgument(arg, `${verb} argument`);
    if (arg !== '') {
      if (NO_ARGUMENT.has(verb)) throw new CommandUnsafeError(`${verb} takes no argument`);
      line = `${verb} ${arg}`;
    }
  }
  const wire = `${line}\r\n`;
  const octets = Buffer.byteLength(wire, 'utf8');
  if (octets > MAX_COMMAND_LINE_OCTETS) {
    throw new CommandUnsafeError(`${verb} command is ${octets} octets, over the ${MAX_COMMAND_LINE_OCTETS}-octet limit (RFC 5321 §4.5.3.1.4)`);
  }
  return wire;
}

export function ehloCommand(name: string): string {
  return formatCommand('EHLO', name);
}

export function heloCommand(name: string): string {
  return formatCommand('HELO', name);
}

/** A path may not carry its own angle brackets: "a@b> SIZE=1" would inject parameters. */
function assertPathAddress(address: string, what: string): void {
  assertSafeArgument(address, what);
  if (/[<>]/.test(address)) {
    throw new CommandUnsafeError(`${what} must not contain '<' or '>' (give the bare address): ${JSON.stringify(address)}`);
  }
}

/**
 * "MAIL FROM:<a@b>\r\n"; "" or "<>" gives the null reverse-path "MAIL FROM:<>" (RFC 5321 §4.5.5).
 * Optional ESMTP params (RFC 5321 §4.1.2 Mail-parameters, e.g. "SIZE=1000", "SMTPUTF8") are appended
 * with spaces. Rejects '<' '>' inside the address.
 */
export function mailFromCommand(address: string, params?: string[]): string {
  const path = address === '' || address === '<>' ? '' : address;
  if (path !== '') assertPathAddress(path, 'MAIL FROM address');
  let arg = `FROM:<${path}>`;
  for (const p of params ?? []) {
    assertSafeArgument(p, 'MAIL FROM parameter');
    // An empty or space-containing parameter would change how the server splits the parameter list.
    if (p === '' || /[ \t]/.test(p)) {
      throw new CommandUnsafeError(`MAIL FROM parameter must be one non-empty word: ${JSON.stringify(p)}`);
    }
    arg += ` ${p}`;
  }
  return formatCommand('MAIL', arg);
}

/** "RCPT TO:<a@b>\r\n". A forward-path is never null (RFC 5321 §4.1.1.3), so "" and "<>" are refused. */
export function rcptToCommand(address: string): string {
  assertPathAddress(address, 'RCPT TO address');
  if (address === '') throw new CommandUnsafeError('RCPT TO address must not be empty (RFC 5321 §4.1.1.3)');
  return formatCommand('RCPT', `TO:<${address}>`);
}

/**
 * How a client line is shown in transcripts (no CRLF). The final CRLF (or LF) is dropped; any other
 * CR, LF or NUL (impossible from formatCommand, possible in a hand-made line) is shown as <CR>,
 * <LF>, <NUL> so one transcript entry stays one line.
 */
export function displayCommand(line: string): string {
  const body = line.endsWith('\r\n') ? line.slice(0, -2) : line.endsWith('\n') ? line.slice(0, -1) : line;
  return body.replace(/[\r\n\0]/g, (c) => `<${UNSAFE_CHARS[c] ?? '?'}>`);
}
