/**
 * Exim mainlog lines (Exim spec, chapter "Log files": "Format of main log entries") to LogEvents.
 *
 *   <stamp> [pid] <msgid> <= sender H=name (helo) [ip] P=esmtp S=...          arrival
 *   <stamp> <msgid> => addr [<orig>] R=router T=transport H=mx [ip] C="250 ..."  delivery
 *   <stamp> <msgid> -> addr ...                                                  additional address, same delivery
 *   <stamp> <msgid> ** addr ...: SMTP error from remote mail server after RCPT TO:<x>: 550 ...   bounce
 *   <stamp> <msgid> == addr ... defer (-44) H=mx [ip]: SMTP error from ...: 451 ...             deferral
 *   <stamp> H=(helo) [ip] rejected EHLO or HELO helo: reason                    inbound rejects
 *   <stamp> H=name (helo) [ip] F=<a> rejected RCPT <b>: reason
 * "H=name (helo) [ip]": the parenthesised part is the HELO when it differs from the verified name;
 * without it the client said what Exim verified (so the HELO is the name).
 */
import { parseClassifyInput } from '../analysis/log-line.js';
import type { DeliveryStatus, LogEvent, RejectCheck } from './events.js';
import { MAX_REASON } from './postfix.js';

const MSGID_RE = /^[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}$/;
const HOST_RE = /(?:^| )H=(?:([^\s()[\]]+) ?)?(?:\(([^)]*)\) ?)?\[([^\]]+)\]/;

export function parseEximBody(body: string, time: number | null, relay: string): LogEvent {
  let s = body;
  if (s.startsWith('[')) {
    // log_selector +pid: "[1234] "
    const e = s.indexOf('] ');
    if (e > 0 && /^\[\d+\]$/.test(s.slice(0, e + 1))) s = s.slice(e + 2);
  }
  const sp = s.indexOf(' ');
  const first = sp < 0 ? s : s.slice(0, sp);
  if (MSGID_RE.test(first)) {
    const rest = s.slice(sp + 1);
    const flag = rest.slice(0, 3);
    if (flag === '<= ') {
      const h = HOST_RE.exec(rest);
      return { kind: 'received', source: 'exim', queueId: first, via: 'exim', helo: h ? (h[2] ?? h[1] ?? null) : null, time, relay };
    }
    if (flag === '=> ' || flag === '-> ' || flag === '** ' || flag === '== ') {
      const status: DeliveryStatus = flag === '** ' ? 'bounced' : flag === '== ' ? 'deferred' : 'sent';
      return eximDelivery(first, rest.slice(3), status, time, relay);
    }
    // "Completed": Exim is done with the message (all addresses final).
    if (rest === 'Completed') return { kind: 'queue-removed', queueId: first, time, relay };
    return { kind: 'other', time, relay };
  }
  if (/\brejected\b/.test(s) && s.includes('H=')) return eximReject(s, time, relay);
  if (s.startsWith('rejected ')) return eximSyntaxReject(s, time, relay);
  return { kind: 'other', time, relay };
}

/**
 * Exim's own HELO syntax check (smtp_in.c, before any ACL) logs without "H=", as a real Exim 4.96 writes:
 *   rejected EHLO from [127.0.0.1]: syntactically invalid argument(s): bad_name!
 *   rejected HELO from host.example [192.0.2.1]: syntactically invalid argument(s): bad_name!
 * (RFC 5321 §4.1.1.1: the argument must be a domain or an address literal.)
 */
const SYNTAX_RE = /^rejected (EHLO|HELO) from (?:(\S+) )?\[([^\]]+)\]: (syntactically invalid argument\(s\)): ?(.*)$/;
function eximSyntaxReject(s: string, time: number | null, relay: string): LogEvent {
  const m = SYNTAX_RE.exec(s);
  if (!m) return { kind: 'other', time, relay };
  return {
    kind: 'reject',
    source: 'exim',
    service: 'exim',
    command: m[1] as string,
    clientName: m[2] ?? null,
    clientIp: m[3] as string,
    helo: (m[5] as string) === '' ? null : (m[5] as string),
    code: null, // Exim does not log the code it sent (501)
    enhanced: null,
    text: m[4] as string,
    check: 'reject_invalid_helo_hostname',
    session: null,
    counted: true,
    time,
    relay,
  };
}

function eximDelivery(qid: string, rest: string, status: DeliveryStatus, time: number | null, relay: string): LogEvent {
  const sp = rest.search(/[\s:]/);
  let to = sp < 0 ? rest : rest.slice(0, sp);
  const at = to.lastIndexOf('@');
  if (at >= 0) to = to.slice(0, at) + to.slice(at).toLowerCase();
  const h = HOST_RE.exec(rest);
  const t = /\bT=(\S+)/.exec(rest);
  let reason = '';
  let reply = null;
  if (status !== 'sent') {
    const colon = rest.indexOf(': ');
    reason = colon >= 0 ? rest.slice(colon + 2) : rest;
    if (reason.length > MAX_REASON) reason = reason.slice(0, MAX_REASON);
    if (/SMTP error from remote (?:mail server|MTA) after/i.test(reason)) {
      const p = parseClassifyInput(reason);
      const after = /after (?:pipelined )?(end of data|DATA|BDAT)/i.test(reason);
      reply = { code: p.reply.code, enhanced: p.reply.enhanced, text: p.reply.text, stage: after ? ('data' as const) : p.stage };
    }
  }
  return {
    kind: 'delivery',
    source: 'exim',
    queueId: qid,
    to,
    domain: at >= 0 ? to.slice(at + 1) : '',
    mxHost: h ? (h[1] ?? null) : null,
    mxIp: h ? (h[3] as string) : null,
    agent: t ? (t[1] as string) : 'exim',
    status,
    dsn: null,
    reason,
    reply,
    forwarded: false,
    time,
    relay,
  };
}

function eximReject(s: string, time: number | null, relay: string): LogEvent {
  const h = HOST_RE.exec(s);
  const m = /\b(?:temporarily )?rejected (EHLO or HELO|EHLO|HELO|MAIL|RCPT|connection|after DATA|DATA)\b(.*)$/.exec(s);
  if (!h || !m) return { kind: 'other', time, relay };
  const cmd = m[1] as string;
  const rest = m[2] as string;
  const colon = rest.indexOf(': ');
  let text = colon >= 0 ? rest.slice(colon + 2) : rest.trim();
  if (text.length > MAX_REASON) text = text.slice(0, MAX_REASON);
  const name = h[1] ?? null;
  // No "(helo)" part: the client's HELO equalled the verified name (Exim omits it then).
  let helo = h[2] ?? name;
  if (cmd === 'EHLO or HELO' || cmd === 'EHLO' || cmd === 'HELO') {
    const arg = /^ (\S+)/.exec(rest);
    if (arg && helo === null) helo = (arg[1] as string).replace(/:$/, '');
  }
  return {
    kind: 'reject',
    source: 'exim',
    service: 'exim',
    command: cmd === 'EHLO or HELO' ? 'EHLO' : cmd.toUpperCase(),
    clientName: name,
    clientIp: h[3] as string,
    helo,
    code: null, // Exim does not log the code it sent
    enhanced: null,
    text,
    check: eximCheck(cmd, text),
    session: null,
    counted: true,
    time,
    relay,
  };
}

function eximCheck(cmd: string, text: string): RejectCheck {
  if (cmd === 'EHLO or HELO' || cmd === 'EHLO' || cmd === 'HELO') {
    // acl_smtp_helo: "syntactically invalid argument(s)" is Exim's own helo syntax check.
    if (/syntactically invalid/i.test(text)) return 'reject_invalid_helo_hostname';
    return 'exim_helo_verify';
  }
  if (/helo|ehlo/i.test(text) && /verif|match|forged|invalid/i.test(text)) return 'exim_helo_verify';
  if (/relay not permitted/i.test(text)) return 'reject_unauth_destination';
  if (/unrouteable address|unknown user|no such user/i.test(text)) return 'reject_unlisted_recipient';
  if (/reverse dns|no ptr|host name for|reverse lookup/i.test(text)) return 'reject_unknown_reverse_client_hostname';
  if (/ is listed in |blocklist|blacklist|\bRBL\b|\bDNSBL\b/i.test(text)) return 'reject_rbl_client';
  return 'other';
}
