/**
 * Turn what a user pastes into `mxprobe classify` into a reply and a stage.
 *
 * Accepted forms (tried in this order):
 * 1. Postfix smtp(8) client:  "... host mx.example[192.0.2.1] said: 550 5.7.1 ... (in reply to RCPT TO command)"
 *    and "host mx.example[192.0.2.1] refused to talk to me: 554 ..." (banner, stage connect).
 *    Postfix writes a multi-line reply on one log line, lines joined by a space ("550-5.7.1 a 550 5.7.1 b");
 *    we split it back at each " <code>-"/" <code> " boundary.
 * 2. Postfix smtpd(8)/postscreen(8): "NOQUEUE: reject: RCPT from unknown[192.0.2.7]: 450 4.7.1 <x>: ...;
 *    from=<> to=<> proto=ESMTP helo=<x>". The reply ends before the LAST "; from=<" (or ", from=<" in
 *    postscreen lines, or "; proto=" when there is no from=): the reply text itself may hold ";"
 *    ("Service unavailable; Client host ...").
 * 3. Exim: "SMTP error from remote mail server after RCPT TO:<x>: 550 ..." (client side, has a code) and
 *    the server-side "rejected EHLO or HELO nx.example: ...", "rejected RCPT <x>: ...",
 *    "temporarily rejected MAIL <x>: ...", "rejected connection in "connect" ACL" (no code: Exim does
 *    not log the code it sent, so the code stays null and the outcome unknown).
 * 4. A raw SMTP reply, possibly multi-line, parsed with the real reply parser (smtp/reply.ts).
 *    Literal "\n" sequences followed by a reply code are read as line breaks, so a multi-line reply
 *    can be pasted as one shell argument. Common transcript prefixes ("S: ", "<<< ", "<** ", "<~ ")
 *    are removed.
 * Anything else is kept as text with a null code. Never throws.
 *
 * Stage precedence: a stage read from the log line beats --stage (the line states a fact about
 * itself; --stage applies to a whole batch where some lines may carry their own stage).
 */
import type { Stage } from '../results.js';
import { extractEnhanced, parseReplyText } from '../smtp/reply.js';

export interface ParsedInput {
  reply: { code: number | null; enhanced: string | null; text: string };
  stage: Stage | null;
  /** where the stage came from */
  stageSource: 'log' | 'flag' | 'none';
}

/**
 * `mxprobe classify` knows one stage more than the probe: DATA (RFC 5321 §4.1.1.4). mxprobe never
 * sends DATA, so results.ts's Stage has no 'data', but a pasted log line or a reply to end of DATA
 * ("in reply to end of DATA command") is a fact about that stage and is reported as such.
 */
export type ClassifyStage = Stage | 'data';

/** parseClassifyLine's answer: the stage may be 'data', and `kind` says what the input was. */
export interface ClassifiedLine {
  reply: ParsedInput['reply'];
  stage: ClassifyStage | null;
  stageSource: ParsedInput['stageSource'];
  /**
   * 'reply': an SMTP reply with a valid code (RFC 5321 §4.2: 2yz-5yz); 'log': a Postfix/Exim log line
   * we recognised (it may carry no code: Exim does not log the code it sent); 'none': neither,
   * so there is nothing to classify (random bytes, prose, a client command line).
   */
  kind: 'reply' | 'log' | 'none';
}

type LogStage = ClassifyStage | null;

/** Postfix "(in reply to X command)" / Exim "after X" command names to a stage; DATA has no Stage. */
function stageFromCommand(command: string): LogStage {
  const c = command.trim().toUpperCase();
  if (c.startsWith('RCPT')) return 'rcpt';
  if (c.startsWith('MAIL')) return 'mail';
  if (c.startsWith('EHLO')) return 'ehlo';
  if (c.startsWith('HELO')) return 'helo';
  if (c.startsWith('STARTTLS')) return 'starttls';
  if (c.startsWith('CONNECT') || c.includes('INITIAL CONNECTION') || c.includes('GREETING')) return 'connect';
  if (c.includes('DATA') || c.startsWith('END-OF-MESSAGE') || c.startsWith('BDAT')) return 'data';
  return null;
}

/**
 * A literal "\n" (or "\r\n") written where a reply line ends, just before the next line's reply code: what a user
 * types to paste a multi-line reply as one argument, and what Exim writes in its main log, which escapes the line
 * breaks of a remote multi-line reply ("SMTP error from remote mail server after RCPT TO:<a@example.com>: 550-5.1.1 The
 * email account that you tried to reach does not exist. Please try\n550-5.1.1 double-checking ...").
 */
const LITERAL_BREAK = /(?:\\r)?\\n(?=\d{3}[ -])/;

/**
 * Real line breaks for literal ones (LITERAL_BREAK), in a text that has none of its own. Without this the reply
 * parser sees one line, so every continuation line's code and enhanced code stay in the text and the words either
 * side of each break are fused with them ("literal\n451", "try\n550-5.1.1 double-checking"): the rules and the
 * model then read different words than for the same reply pasted with real breaks (issue 13, session 8).
 */
export function literalBreaks(text: string): string {
  return !/\n/.test(text) && LITERAL_BREAK.test(text) ? text.split(LITERAL_BREAK).join('\n') : text;
}

/**
 * Split a reply that a log joined onto one line back into lines: "550-5.7.1 a 550-5.7.1 b 550 5.7.1 c".
 * Only when the first line says it continues ("NNN-"), and only at the same code. A reply with line breaks of its
 * own, real or literal (Exim's "\n", LITERAL_BREAK), is split there and nowhere else: a code inside a line
 * ("550-Response: 550 5.1.1 <a@example.org>: User unknown", Exim quoting a verify answer) is text, not a new line.
 */
function unjoin(reply: string): string {
  if (reply.includes('\n')) return reply;
  const broken = literalBreaks(reply);
  if (broken !== reply) return broken;
  const m = /^(\d{3})-/.exec(reply);
  if (!m) return reply;
  const code = m[1] as string;
  return reply.split(new RegExp(`\\s+(?=${code}[ -])`)).join('\n');
}

/** Parse a reply text that starts with a code, via the shared parser; tolerate what it refuses. */
function parseReply(raw: string): ParsedInput['reply'] {
  const text = raw.replace(/\s+$/, '');
  try {
    const r = parseReplyText(text);
    return { code: r.code, enhanced: r.enhanced, text: r.text };
  } catch {
    // Not a well-formed reply (mixed codes, a dangling "250-" line, ...): keep what we can.
    const m = /^(\d{3})(?:[ -](.*))?$/s.exec(text.trim());
    if (m) {
      const code = Number(m[1]);
      const rest = (m[2] ?? '').split(/\r?\n/).map((l) => l.replace(/^\d{3}[ -]?/, '')).join('\n');
      const valid = code >= 200 && code <= 599;
      return { code: valid ? code : null, enhanced: valid ? extractEnhanced(code, rest) : null, text: valid ? rest : text };
    }
    return { code: null, enhanced: null, text };
  }
}

type Flag = ClassifyStage | undefined;

function withStage(reply: ParsedInput['reply'], logStage: LogStage | undefined, flagStage: Flag, kind: ClassifiedLine['kind'] = 'log'): ClassifiedLine {
  if (logStage !== undefined && logStage !== null) return { reply, stage: logStage, stageSource: 'log', kind };
  if (flagStage !== undefined) return { reply, stage: flagStage, stageSource: 'flag', kind };
  return { reply, stage: null, stageSource: 'none', kind };
}

const POSTFIX_SAID = /\b(?:said|refused to talk to me):\s*(\d{3}[\s-].*)$/s;
const POSTFIX_IN_REPLY = /\s*\(in reply to (.+?) command\)\)?\s*$/;
const POSTFIX_SMTPD = /\breject(?:_warning)?: (CONNECT|EHLO|HELO|MAIL|RCPT|DATA|END-OF-MESSAGE|STARTTLS|VRFY|ETRN|BDAT) from \S*?\[[^\]]*\](?::\d+)?: (.*)$/s;
const EXIM_CLIENT = /SMTP error from remote (?:mail server|MTA) after (?:pipelined )?(initial connection|end of data|(?:EHLO|HELO|MAIL FROM|RCPT TO|STARTTLS|DATA|BDAT)(?::?<[^>]*>)?[^:]*?)\s*:\s*(\d{3}[\s-].*)$/is;
const EXIM_SERVER = /\b(?:temporarily )?rejected (EHLO or HELO|EHLO|HELO|MAIL|RCPT)\b(?: (?:\[[^\]]*\]|[^:])*?)?: (.*)$/s;
const EXIM_CONNECT = /\brejected connection in "connect" ACL(?::\s*(.*))?$/s;
/** Longer inputs are not treated as log lines (see parseClassifyInput). */
export const MAX_LOG_LINE = 16384;
/**
 * Transcript prefixes a pasted reply line may carry: "S: " (RFC examples), "<<< " (many clients' debug logs), and
 * swaks' "<- " (a reply), "<~ " (a reply inside TLS) and "<** " (an error reply). Shared with `mxprobe classify -`'s
 * stdin splitter (cli/classify.ts), so a multi-line reply behind any of them is kept together there too.
 */
export const TRANSCRIPT_PREFIX = /^(?:S:\s*|<<<\s*|<\*\*\s*|<~\s*|<-\s*|<\s+)/;

export function parseClassifyInput(input: string, flagStage?: Stage): ParsedInput {
  const p = parseClassifyLine(input, flagStage);
  // "end of DATA" is a real stage that Stage does not have (mxprobe never sends DATA); callers that
  // speak Stage (log reports, the probe's classifier) get --stage or nothing, never a false rcpt.
  if (p.stage === 'data') {
    return flagStage !== undefined ? { reply: p.reply, stage: flagStage, stageSource: 'flag' } : { reply: p.reply, stage: null, stageSource: 'none' };
  }
  return { reply: p.reply, stage: p.stage, stageSource: p.stageSource };
}

/** Like parseClassifyInput, for `mxprobe classify`: keeps the DATA stage and says whether the input was a reply at all. */
export function parseClassifyLine(input: string, flagStage?: ClassifyStage): ClassifiedLine {
  const src = typeof input === 'string' ? input : '';
  const trimmed = src.trim();
  // Log lines are short (syslog lines are a few KiB); skipping the log patterns on anything longer
  // keeps a hostile paste from making the unanchored patterns scan quadratically.
  if (trimmed.length <= MAX_LOG_LINE) {
    const fromLog = parseLogLine(trimmed, flagStage);
    if (fromLog !== null) return fromLog;
  }
  return parseRaw(trimmed, flagStage);
}

/** Postfix and Exim log forms (1-3 in the file comment), or null. */
function parseLogLine(trimmed: string, flagStage: Flag): ClassifiedLine | null {
  // 1. Postfix smtp client. A raw reply that quotes another server ("... said: 550 ...") is not a log line.
  if (!/^\d{3}[ -]/.test(trimmed) && /\bsaid:|refused to talk to me:/.test(trimmed)) {
    const m = POSTFIX_SAID.exec(trimmed);
    if (m) {
      let reply = (m[1] as string).trim();
      let logStage: LogStage | undefined;
      const ir = POSTFIX_IN_REPLY.exec(reply);
      if (ir) {
        logStage = stageFromCommand(ir[1] as string);
        reply = reply.slice(0, ir.index);
      } else {
        // "status=bounced (host ... said: 550 ...)" without "in reply to": drop the closing paren.
        if (reply.endsWith(')') && !/\([^)]*\)$/.test(reply)) reply = reply.slice(0, -1);
        if (/refused to talk to me:/.test(trimmed) || /while receiving the initial server greeting/i.test(trimmed)) logStage = 'connect';
      }
      if (/refused to talk to me:/.test(trimmed)) logStage = 'connect';
      return withStage(parseReply(unjoin(reply)), logStage, flagStage);
    }
  }
  if (/while receiving the initial server greeting/i.test(trimmed)) {
    // Postfix: "lost connection with mx[ip] while receiving the initial server greeting": no reply at all.
    return withStage({ code: null, enhanced: null, text: trimmed }, 'connect', flagStage);
  }

  // 2. Postfix smtpd / postscreen reject lines.
  const sd = POSTFIX_SMTPD.exec(trimmed);
  if (sd) {
    let rest = sd[2] as string;
    // Postfix appends "; from=<..> to=<..> proto=.. helo=<..>" (postscreen: ", from=<..>, ..."); a
    // CONNECT or early MAIL reject has no from= and starts the trailer at "; proto=".
    let cut = Math.max(rest.lastIndexOf('; from=<'), rest.lastIndexOf(', from=<'));
    if (cut < 0) cut = Math.max(rest.lastIndexOf('; proto='), rest.lastIndexOf(', proto='));
    if (cut >= 0) rest = rest.slice(0, cut);
    const logStage = stageFromCommand(sd[1] as string);
    if (/^\d{3}[\s-]/.test(rest)) return withStage(parseReply(unjoin(rest.trim())), logStage, flagStage);
    // milter-reject lines log "4.7.1 text" with no reply code.
    const en = /^([245]\.\d{1,3}\.\d{1,3})(?:\s|$)/.exec(rest);
    return withStage({ code: null, enhanced: en ? (en[1] as string) : null, text: rest.trim() }, logStage, flagStage);
  }

  // 3. Exim.
  const ec = EXIM_CLIENT.exec(trimmed);
  if (ec) {
    const logStage = stageFromCommand(ec[1] as string);
    return withStage(parseReply(unjoin((ec[2] as string).trim())), logStage, flagStage);
  }
  const ecn = EXIM_CONNECT.exec(trimmed);
  if (ecn) return withStage({ code: null, enhanced: null, text: (ecn[1] ?? '').trim() }, 'connect', flagStage);
  const es = EXIM_SERVER.exec(trimmed);
  if (es && !/^\d{3}[ -]/.test(trimmed)) {
    const cmd = (es[1] as string).toUpperCase();
    // Exim logs one line for both; mxprobe opens with EHLO, so "EHLO or HELO" is the EHLO stage.
    const logStage: LogStage = cmd === 'EHLO OR HELO' ? 'ehlo' : stageFromCommand(cmd);
    return withStage({ code: null, enhanced: null, text: (es[2] as string).trim() }, logStage, flagStage);
  }

  return null;
}

/** 4. A raw reply (possibly with a transcript prefix on each line, or literal "\n" separators). */
function parseRaw(trimmed: string, flagStage: Flag): ClassifiedLine {
  let raw = literalBreaks(trimmed)
    .split(/\r?\n/)
    .map((l) => l.trim().replace(TRANSCRIPT_PREFIX, ''))
    .join('\n');
  // A multi-line reply that arrives on ONE line ("550-5.7.1 first part 550 5.7.1 second part"): copied from a
  // Postfix log, which joins the lines with a space, or from a page that lost the breaks. Its first line says more
  // lines follow (RFC 5321 §4.2.1 "550-"), so split it back at its own code as the log forms above do; otherwise
  // the later lines' codes and enhanced codes would be read as words.
  raw = unjoin(raw);
  if (/^\d{3}(?:[\s-]|$)/.test(raw)) {
    const reply = parseReply(raw);
    return withStage(reply, undefined, flagStage, reply.code !== null && reply.code >= 200 && reply.code <= 599 ? 'reply' : 'none');
  }
  return withStage({ code: null, enhanced: null, text: trimmed }, undefined, flagStage, 'none');
}
