/**
 * Postfix log messages (the text after "postfix/<service>[pid]: ") to LogEvents.
 *
 * Which lines count, and how, follows pflogsumm 1.1.5 so that totals can be compared:
 * - received: smtpd/postscreen "QID: client=..." and pickup "QID: uid=/sender=";
 * - delivery: "QID: to=<..>, [orig_to=<..>,] relay=.., [conn_use=..,] delay=.., [delays=..,] [dsn=..,] status=X (reason)";
 *   "status=sent (... forwarded as QID)" is a forward, not a delivery;
 * - reject: smtpd "NOQUEUE|QID: reject: CMD from name[ip]: reply; from=<> to=<> proto= helo=<>" and cleanup
 *   "QID: reject: header|body|END-OF-MESSAGE ..." (header_checks, body_checks, milters);
 *   reject_warning is logged but not counted (a dry run of a restriction).
 * Where we differ on purpose (any smtpd syslog_name, multi-instance "postfix-out/smtp"), README.md says why.
 */
import { parseClassifyInput } from '../analysis/log-line.js';
import type { DeliveryEvent, DeliveryStatus, LogEvent, RejectCheck, RemoteReply } from './events.js';

/** Longest reason kept on an event: enough for any real reply, bounded for hostile lines. */
export const MAX_REASON = 2048;

/** "postfix/smtp", "postfix/strict/smtpd", "postfix-out/smtp" -> "smtp"/"smtpd"; null when not Postfix. */
let lastProgram = '';
let lastService: string | null = null;
export function postfixService(program: string): string | null {
  // Consecutive lines mostly share a program: one string compare instead of a search and a slice.
  if (program === lastProgram) return lastService;
  lastProgram = program;
  return (lastService = serviceOf(program));
}
function serviceOf(program: string): string | null {
  if (!program.startsWith('postfix')) return null;
  const slash = program.lastIndexOf('/');
  if (slash < 0) return program === 'postfix' || program === 'postfix-script' ? 'postfix' : null;
  return program.slice(slash + 1);
}

/*
 * An address may hold ">" inside a quoted local part (`to=<"a>b"@example.com>`, RFC 5321 §4.1.2
 * Quoted-string), which Postfix logs as is. `[^>]*` alone stops at that ">" and the line was not
 * read as a delivery. Each address is tried first as `[^>]*` (the first alternative: wherever the
 * older pattern matched, this one gives the very same groups, which fast.ts and fastbytes.ts rely
 * on), and only when the rest of the line then fails to match, as a quoted string (with "\"
 * escapes) followed by the domain. pflogsumm 1.1.5 does not count such lines (see README).
 */
const STATUS_RE = /^([^:\s]+): to=<([^>]*|"(?:[^"\\]|\\.)*"[^>]*)>, (?:orig_to=<(?:[^>]*|"(?:[^"\\]|\\.)*"[^>]*)>, )?relay=([^,]+), (?:conn_use=[^,]+, )?delay=[^,]+, (?:delays=[^,]+, )?(?:dsn=([^,]+), )?status=(\S+) ?(.*)$/;
const QID_RE = /^[0-9A-Za-z]+$/;

export function parsePostfix(service: string, program: string, msg: string, time: number | null, relay: string, proc: string | null = null): LogEvent {
  if (proc !== null && msg.startsWith('disconnect from ') && (service === 'smtpd' || service === 'postscreen')) {
    return { kind: 'session-end', session: proc, time, relay };
  }
  const c = msg.indexOf(': ');
  if (c <= 0) return { kind: 'other', time, relay };
  // Prefilter with startsWith at an offset: most lines (qmgr from=/size=, cleanup message-id=,
  // smtpd connect) carry nothing to count, and slicing qid/rest for them is pure garbage.
  const r = c + 2;
  if (msg.startsWith('to=<', r)) return delivery(msg, time, relay, service) ?? { kind: 'other', time, relay };

  if (service === 'smtpd' || service === 'postscreen') {
    if (msg.startsWith('client=', r)) {
      const qid = msg.slice(0, c);
      if (QID_RE.test(qid)) return { kind: 'received', source: 'postfix', queueId: qid, via: 'smtpd', helo: null, time, relay };
      return { kind: 'other', time, relay };
    }
    if (msg.startsWith('reject: ', r) || msg.startsWith('reject_warning: ', r) || msg.startsWith('milter-reject: ', r)) {
      return smtpdReject(program, msg.slice(r), time, relay, proc);
    }
    if (msg.startsWith('info: ', r)) return smtpdInfo(msg.slice(r), time, relay, proc);
    return { kind: 'other', time, relay };
  }
  if (service === 'qmgr') {
    if (msg.length === r + 7 && msg.startsWith('removed', r)) return { kind: 'queue-removed', queueId: msg.slice(0, c), time, relay };
    return { kind: 'other', time, relay };
  }
  if (service === 'pickup' && (msg.startsWith('uid=', r) || msg.startsWith('sender=', r))) {
    return { kind: 'received', source: 'postfix', queueId: msg.slice(0, c), via: 'pickup', helo: null, time, relay };
  }
  if (service === 'cleanup' && (msg.startsWith('reject: ', r) || msg.startsWith('milter-reject: ', r))) {
    return cleanupReject(program, msg.slice(r), time, relay);
  }
  return { kind: 'other', time, relay };
}

/** What parsePostfix() found a message to be, for parsePostfixKnown(). */
export const KNOWN_DELIVERY = 0;
export const KNOWN_SMTPD_REJECT = 1;
export const KNOWN_SMTPD_INFO = 2;
export const KNOWN_CLEANUP_REJECT = 3;

/**
 * parsePostfix() for a caller (fastbytes.ts) that has already made, on the same message, the very
 * tests parsePostfix() makes before it reads a delivery ("to=<" after the first ": "), an smtpd
 * reject or info line, or a cleanup reject: the same event, without repeating those tests. `r` is
 * the index after the message's first ": ".
 */
export function parsePostfixKnown(known: number, service: string, program: string, msg: string, r: number, time: number, relay: string, proc: string): LogEvent {
  if (known === KNOWN_DELIVERY) return delivery(msg, time, relay, service) ?? { kind: 'other', time, relay };
  if (known === KNOWN_SMTPD_REJECT) return smtpdReject(program, msg.slice(r), time, relay, proc);
  if (known === KNOWN_SMTPD_INFO) return smtpdInfo(msg.slice(r), time, relay, proc);
  return cleanupReject(program, msg.slice(r), time, relay);
}

function smtpdInfo(rest: string, time: number | null, relay: string, proc: string | null): LogEvent {
  const helo = heloOf(rest);
  if (helo !== null) return { kind: 'helo', helo, clientIp: clientIpOf(rest), session: proc, time, relay };
  return { kind: 'other', time, relay };
}

function delivery(msg: string, time: number | null, relay: string, agent: string): DeliveryEvent | null {
  const m = STATUS_RE.exec(msg);
  if (!m) return null;
  const statusWord = m[5] as string;
  let status: DeliveryStatus;
  if (statusWord === 'sent' || statusWord === 'deferred' || statusWord === 'bounced' || statusWord === 'expired') status = statusWord;
  else return null; // "undeliverable"/"deliverable" are address-verification probes, not deliveries
  const addr = m[2] as string;
  // (String#lastIndexOf is a runtime call in V8: searched once, for lowerDomain and the domain.
  // Lowering the part after the last "@" leaves that "@" where it was, and the last one.)
  const at = addr.lastIndexOf('@');
  const to = lowerDomain(addr, at);
  const relayField = m[3] as string;
  let mxHost: string | null = relayField;
  let mxIp: string | null = null;
  const br = relayField.indexOf('[');
  if (br >= 0) {
    mxHost = relayField.slice(0, br);
    const end = relayField.indexOf(']', br);
    mxIp = relayField.slice(br + 1, end < 0 ? undefined : end);
  }
  if (mxHost === 'none') mxHost = null;
  let reason = (m[6] ?? '').trim();
  if (reason.startsWith('(') && reason.endsWith(')')) reason = reason.slice(1, -1);
  if (reason.length > MAX_REASON) reason = reason.slice(0, MAX_REASON);
  const forwarded = status === 'sent' && reason.includes('forwarded as ');
  let reply: RemoteReply | null = null;
  if (status !== 'sent' && (reason.includes(' said: ') || reason.includes('refused to talk to me: '))) {
    reply = remoteReply(reason);
  }
  return {
    kind: 'delivery',
    source: 'postfix',
    queueId: m[1] as string,
    to,
    domain: at >= 0 ? to.slice(at + 1) : '',
    mxHost,
    mxIp,
    agent,
    status,
    dsn: m[4] ?? null,
    reason,
    reply,
    forwarded,
    time,
    relay,
  };
}

/**
 * The reply quoted in a refusal reason. Memoised by the exact reason (the same greylisting or
 * "no PTR" reason repeats thousands of times), bounded: at most 2,048 reasons of up to 600
 * characters, cleared when full. Each caller gets its own copy.
 */
const REPLY_CACHE = 2048;
const REPLY_CACHE_TEXT = 600;
const replies = new Map<string, RemoteReply>();
const saidReplies = new Map<string, RemoteReply>();
function copy(s: string): string {
  return s.length === 0 ? '' : Buffer.from(s, 'utf8').toString('utf8');
}
function remoteReply(reason: string): RemoteReply {
  // "host mx.example[192.0.2.1] said: 450 ...": the part from "said: " on is the key when the host
  // field holds no ":" and no space. Then neither the classifier's log patterns nor stageOf() can
  // match inside the prefix (each needs a ":" or a space there), so the reply read from the whole
  // reason is the one read from that part, and one deferral text repeated to 2,000 destinations is
  // parsed once. The first time, both are parsed and compared: a part that reads differently (no
  // reply code after "said:", parsed raw with the prefix in its text) is never keyed this way.
  // With a reply code right after "said:" (SAID_CODE) the comparison is skipped: the classifier's
  // Postfix pattern (log-line.ts POSTFIX_SAID, "said:\s*(\d{3}[\s-].*)$") then matches first at that
  // "said:" in both strings with the same capture, and everything else it reads comes from that
  // capture or from patterns that need a ":" or a space inside the prefix. That second parse (~4 us)
  // was paid on every reply with a per-message token, which is a new key each time
  // (test/logs/memo.test.ts compares the keyed answers with the whole reason's reading).
  // (Keyed parts have their own map: a whole reason may itself start with "said: ".)
  let key = reason;
  let map = replies;
  if (reason.startsWith('host ')) {
    const sp = reason.indexOf(' ', 5);
    if (sp > 5 && reason.startsWith('said: ', sp + 1) && reason.lastIndexOf(':', sp) < 5) {
      key = reason.slice(sp + 1);
      map = saidReplies;
    }
  }
  let r = map.get(key);
  if (r === undefined) {
    r = readReply(reason);
    if (map === saidReplies && !SAID_CODE.test(key)) {
      const t = readReply(key);
      if (t.code !== r.code || t.enhanced !== r.enhanced || t.text !== r.text || t.stage !== r.stage) {
        key = reason;
        map = replies;
      }
    }
    if (key.length <= REPLY_CACHE_TEXT) {
      if (map.size >= REPLY_CACHE) map.clear();
      // Copies: a substring kept here would pin the whole read chunk it came from.
      r.text = copy(r.text);
      if (r.enhanced !== null) r.enhanced = copy(r.enhanced);
      map.set(copy(key), r);
    }
  }
  return { code: r.code, enhanced: r.enhanced, text: r.text, stage: r.stage };
}

/** A keyed part ("said: ...") whose reply code follows at once: see remoteReply. */
const SAID_CODE = /^said:\s*\d{3}[\s-]/;

function readReply(reason: string): RemoteReply {
  const p = parseClassifyInput(reason);
  return { code: p.reply.code, enhanced: p.reply.enhanced, text: p.reply.text, stage: stageOf(reason, p.stage) };
}

/** parseClassifyInput drops "end of DATA" (mxprobe's Stage has no data); the log report keeps it. */
function stageOf(reason: string, stage: RemoteReply['stage']): RemoteReply['stage'] {
  if (stage !== null) return stage;
  const m = /\(in reply to (.+?) command\)/.exec(reason);
  if (m && /DATA|END-OF-MESSAGE|BDAT/i.test(m[1] as string)) return 'data';
  return null;
}

/** `addr` with the part after its last "@" (at `at`, or -1 for none) in lower case. */
function lowerDomain(addr: string, at: number): string {
  if (at < 0) return addr;
  // Nearly every domain is logged in lower case already: then the address is its own answer, and
  // no concatenation (a cons string, flattened again by every later search) is made.
  let i = at + 1;
  while (i < addr.length) {
    const c = addr.charCodeAt(i);
    if ((c >= 65 && c <= 90) || c >= 128) break;
    i++;
  }
  return i === addr.length ? addr : addr.slice(0, at) + addr.slice(at).toLowerCase();
}

function heloOf(s: string): string | null {
  const i = s.lastIndexOf(' helo=<');
  if (i < 0) return null;
  const end = s.lastIndexOf('>');
  return end > i + 7 ? s.slice(i + 7, end) : end === i + 7 ? '' : null;
}

/**
 * Math.max(s.lastIndexOf(`;${field}`), s.lastIndexOf(`,${field}`)) for `field` starting with a
 * space, in one search in the usual case: the last `field` that follows a ";" or ",", at that
 * character. (String#lastIndexOf is a runtime call in V8: two per smtpd reject line were 53k calls
 * on the 1M-line bench log.)
 */
export function lastFieldCut(s: string, field: string): number {
  let i = s.lastIndexOf(field);
  while (i > 0) {
    const c = s.charCodeAt(i - 1);
    if (c === 59 /* ; */ || c === 44 /* , */) return i - 1;
    i = s.lastIndexOf(field, i - 1);
  }
  return -1;
}

function clientIpOf(s: string): string | null {
  const m = / from [^\s[]*\[([^\]]+)\]/.exec(s);
  return m ? (m[1] as string) : null;
}

const rejectReplies = new Map<string, { code: number | null; enhanced: string | null; text: string; check: RejectCheck }>();
const SMTPD_REJECT_RE = /^(reject|reject_warning|milter-reject): (\S+) from ([^\s[]*)\[([^\]]*)\](?::\d+)?: (.*)$/;

function smtpdReject(program: string, rest: string, time: number | null, relay: string, proc: string | null): LogEvent {
  const m = SMTPD_REJECT_RE.exec(rest);
  if (!m) return { kind: 'other', time, relay };
  const kind = m[1] as string;
  let reply = m[5] as string;
  const helo = heloOf(reply);
  let cut = lastFieldCut(reply, ' from=<');
  if (cut < 0) cut = lastFieldCut(reply, ' proto=');
  if (cut >= 0) reply = reply.slice(0, cut);
  if (reply.length > MAX_REASON) reply = reply.slice(0, MAX_REASON);
  // The reply's code, enhanced code, text and check are a function of the reply alone: memoised
  // (the same HELO or PTR refusal repeats thousands of times), bounded like the other caches.
  let rt = rejectReplies.get(reply);
  if (rt === undefined) {
    const cm = /^(\d{3})[ -](?:([245]\.\d{1,3}\.\d{1,3}) )?(.*)$/s.exec(reply);
    const text = cm ? (cm[3] as string) : reply;
    rt = { code: cm ? Number(cm[1]) : null, enhanced: cm ? (cm[2] ?? null) : (/^([245]\.\d{1,3}\.\d{1,3}) /.exec(reply)?.[1] ?? null), text, check: postfixCheck(text) };
    if (reply.length <= REPLY_CACHE_TEXT) {
      if (rejectReplies.size >= REPLY_CACHE) rejectReplies.clear();
      rt.text = copy(rt.text);
      if (rt.enhanced !== null) rt.enhanced = copy(rt.enhanced);
      rejectReplies.set(copy(reply), rt);
    }
  }
  const { code, enhanced, text } = rt;
  return {
    kind: 'reject',
    source: 'postfix',
    service: program,
    command: m[2] as string,
    clientName: m[3] as string,
    clientIp: m[4] as string,
    helo,
    code,
    enhanced,
    text,
    check: kind === 'milter-reject' ? 'milter' : rt.check,
    session: proc,
    // pflogsumm counts smtpd "reject:" lines only (see the file comment).
    counted: kind === 'reject',
    time,
    relay,
  };
}

/** cleanup: "reject: header Subject: x from host[ip]; from=<> to=<> proto=ESMTP helo=<h>: 5.7.1 text". */
function cleanupReject(program: string, rest: string, time: number | null, relay: string): LogEvent {
  const m = /^(?:milter-)?reject: (header|body|END-OF-MESSAGE|CONNECT|EHLO|HELO|MAIL|RCPT|DATA)\b(.*)$/.exec(rest);
  if (!m) return { kind: 'other', time, relay };
  const body = m[2] as string;
  const helo = heloOf(body.replace(/: [^>]*$/, ''));
  const after = body.lastIndexOf('>: ');
  let text = after >= 0 ? body.slice(after + 3) : body.trim();
  if (text.length > MAX_REASON) text = text.slice(0, MAX_REASON);
  const cm = /^(?:(\d{3}) )?([245]\.\d{1,3}\.\d{1,3})? ?(.*)$/s.exec(text);
  const ip = / from [^\s[]*\[([^\]]+)\]/.exec(body);
  return {
    kind: 'reject',
    source: 'postfix',
    service: program,
    command: m[1] as string,
    clientName: null,
    clientIp: ip ? (ip[1] as string) : null,
    helo,
    code: cm?.[1] ? Number(cm[1]) : null,
    enhanced: cm?.[2] ?? null,
    text: cm ? (cm[3] as string) : text,
    check: rest.startsWith('milter-') ? 'milter' : 'header_body_checks',
    session: null,
    counted: true,
    time,
    relay,
  };
}

/**
 * The restriction behind a Postfix smtpd reject, from the fixed texts in smtpd_check.c (Postfix 3.x).
 * "Helo command rejected:" with any other text is a check_helo_access table (or a policy service).
 */
export function postfixCheck(text: string): RejectCheck {
  if (text.includes('Helo command rejected: ')) {
    if (text.includes('Helo command rejected: Invalid name') || text.includes('Helo command rejected: invalid ip address')) return 'reject_invalid_helo_hostname';
    if (text.includes('Helo command rejected: need fully-qualified hostname')) return 'reject_non_fqdn_helo_hostname';
    if (text.includes('Helo command rejected: Host not found')) return 'reject_unknown_helo_hostname';
    return 'check_helo_access';
  }
  if (text.includes('Client host rejected: cannot find your reverse hostname')) return 'reject_unknown_reverse_client_hostname';
  if (text.includes('Client host rejected: cannot find your hostname')) return 'reject_unknown_client_hostname';
  if (text.includes('Relay access denied')) return 'reject_unauth_destination';
  if (text.includes('Recipient address rejected: User unknown') || text.includes('Recipient address rejected: undeliverable address')) return 'reject_unlisted_recipient';
  if (text.includes(' blocked using ')) return 'reject_rbl_client';
  return 'other';
}
