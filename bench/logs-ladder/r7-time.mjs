// Rung 7 of bench/logs-ladder.mjs: rung 6 + time: each line's classic stamp read as a time, the year
// inferred as mxprobe infers it (the file's mtime as the reference, the first stamp after it means
// the year before, a month going back more than 6 means the next year: src/logs/header.ts), the
// first and last time, and per hour the received, delivered, deferrals, bounced and rejected counts.
//
// Rung 6: rung 5 + inbound: smtpd "reject: " lines (NOQUEUE or a queue id;
// reject_warning and milter-reject read but not counted, as mxprobe) parsed like mxprobe's
// smtpdReject (the client, the reply before "; from=<", its code and enhanced code) and counted by
// the check that fired (the reply text as mxprobe's postfixCheck reads it), per check and per
// service x relay x check; cleanup rejects as header_body_checks (or milter). The helo=<> name of
// each smtpd reject or "info:" line, once per session (relay + "postfix/smtpd[pid]", forgotten at
// "disconnect from"), counted per name with its form (mxprobe's parseHelo,
// dist/analysis/helo-name.js), and the share of those observations failing
// reject_invalid_helo_hostname and reject_non_fqdn_helo_hostname.
//
// Rung 5: rung 4 + each refusal's reason (status=deferred/bounced/expired):
// the quoted reply parsed by mxprobe's log-line parser (code, enhanced code, text, and the stage from
// "(in reply to X command)", dist/analysis/log-line.js), its text normalised (addresses, IPs,
// per-message tokens: the same rules as mxprobe's normaliseReply), classified by mxprobe's classifier
// (dist/analysis/classify.js) once per normalised text; causes counted per relay, per destination and
// per relay x domain, and the distinct normalised replies with their counts. Caches: the parsed reply
// by the text after "host NAME[IP] " (the same refusal from every MX), the normalised text by the
// reply text, the cause by stage|code|enhanced|normalised text (all bounded, cleared when full).
//
// Rung 4: rung 3 + the queue-id table, per message state as mxprobe keeps
// it (src/logs/aggregate.ts): queue id -> recipients deferred and not yet final. A recipient's first
// deferral counts "deferred" for its relay, destination and MX; its status=sent after a deferral
// counts "delivered after a deferral"; a bounce ends it uncounted. A message's first deferral counts
// totals.deferred (pflogsumm's deferred messages). qmgr "QID: removed" forgets the message, so
// memory holds messages in flight only.
//
// Rung 3: rung 2 + counts per destination domain (the recipient's domain,
// lower case), per MX (relay=host[ip], keyed by the address as mxprobe keys it) and per relay (the
// syslog host): sent, deferrals, bounced, and the relay's inbound rejects.
//
// Rung 2: each line's classic syslog header checked on its bytes
// ("Mmm dd hh:mm:ss host postfix/service[pid]: ") and pflogsumm's six totals counted as mxprobe
// counts them (src/logs/postfix.ts): received (smtpd/postscreen "QID: client=", pickup
// "QID: uid=|sender="), delivered (status=sent, not "forwarded as"), deferred (messages: distinct
// queue ids), deferrals (status=deferred lines), bounced (status=bounced; expired is not), rejected
// (smtpd "reject: ", cleanup "reject: " and "milter-reject: "; smtpd reject_warning and milter-reject
// are not).
import { fstatSync, openSync, readSync } from 'node:fs';
import { classify } from '../../dist/analysis/classify.js';
import { parseClassifyInput } from '../../dist/analysis/log-line.js';
import { parseHelo } from '../../dist/analysis/helo-name.js';

const lit = (s) => Buffer.from(s, 'latin1');
const POSTFIX = lit('postfix');
const CLIENT = lit('client=');
const REJECT = lit('reject: ');
const REJECT_WARNING = lit('reject_warning: ');
const INFO = lit('info: ');
const MILTER_REJECT = lit('milter-reject: ');
const TO = lit('to=<');
const STATUS = lit('status=');
const UID = lit('uid=');
const SENDER = lit('sender=');
const DISCONNECT = lit('disconnect from ');
const FORWARDED = lit('forwarded as ');
const REMOVED = lit('removed');
const RELAY = lit(' relay=');
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'].map((m) => (m.charCodeAt(0) << 16) | (m.charCodeAt(1) << 8) | m.charCodeAt(2));
// The service after the last "/" of the program, by its bytes: smtpd and postscreen hold sessions.
const S_OTHER = 0, S_SESSION = 1, S_SMTP = 2, S_QMGR = 3, S_PICKUP = 4, S_CLEANUP = 5;
const SERVICES = [['smtpd', S_SESSION], ['smtp', S_SMTP], ['qmgr', S_QMGR], ['cleanup', S_CLEANUP], ['pickup', S_PICKUP], ['postscreen', S_SESSION], ['lmtp', S_SMTP], ['local', S_SMTP], ['virtual', S_SMTP], ['pipe', S_SMTP]].map(([n, k]) => [lit(n), k]);

let buf;
const eq = (i, e, p) => {
  if (i + p.length > e) return false;
  for (let k = 0; k < p.length; k++) if (buf[i + k] !== p[k]) return false;
  return true;
};
const digit = (c) => c >= 48 && c <= 57;
const alnum = (c) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

let total = 0, other = 0, unparsed = 0;
let received = 0, delivered = 0, deferrals = 0, bounced = 0, rejected = 0, forwarded = 0, expired = 0;
const deferredQids = new Set();
const pending = new Map();
let deferred = 0, deliveredAfterDeferral = 0;
const dests = new Map();
const relays = new Map();
const newCounts = () => ({ sent: 0, deferred: 0, deferrals: 0, bounced: 0, deliveredAfterDeferral: 0 });
const refusals = new Map();
const replies = new Map();
/** The relay (syslog host) of the line, found by its bytes among the relays seen (a log has a handful). */
const relayList = [];
function relayOf(h0, h1) {
  const n = h1 - h0;
  for (let k = 0; k < relayList.length; k++) {
    const x = relayList[k];
    if (x.bytes.length === n && eqBytes(h0, x.bytes)) return x.state;
  }
  const name = buf.latin1Slice(h0, h1);
  let r = relays.get(name);
  if (r === undefined) relays.set(name, (r = { ...newCounts(), rejected: 0, causes: new Map() }));
  if (relayList.length < 64) relayList.push({ bytes: Buffer.from(buf.subarray(h0, h1)), state: r }); // (a copy: the block is overwritten)
  return r;
}
let lastMc = -1;
let lastDc = -1;
let dayMs = 0;

// ---- time ----

const HOUR = 3_600_000;
let first = Infinity, last = -Infinity;
const buckets = new Map();
let bStart = -Infinity, cur = null;
function bucketAt(t) {
  bStart = t - (t % HOUR);
  cur = buckets.get(bStart);
  if (cur === undefined) buckets.set(bStart, (cur = { received: 0, delivered: 0, deferrals: 0, bounced: 0, rejected: 0 }));
}
// The year of a classic stamp (it has none): mxprobe's YearTracker with the file's mtime as the reference.
let refYear = 0, refMonth = 0, refDay = 0, year = null, lastMonth = -1;
function yearFor(month, day) {
  if (year === null) year = month * 32 + day > refMonth * 32 + refDay + 1 ? refYear - 1 : refYear;
  else if (month < lastMonth - 6) year += 1;
  lastMonth = month;
  return year;
}

function line(s, e) {
  total++;
  // "Mmm dd hh:mm:ss " (RFC 3164 §4.1.2 TIMESTAMP)
  if (e - s < 17 || buf[s + 3] !== 32 || buf[s + 6] !== 32 || buf[s + 9] !== 58 || buf[s + 12] !== 58 || buf[s + 15] !== 32) return void unparsed++;
  const mc = (buf[s] << 16) | (buf[s + 1] << 8) | buf[s + 2];
  const dc = (buf[s + 4] << 8) | buf[s + 5];
  if (mc !== lastMc || dc !== lastDc) {
    const mon = MONTHS.indexOf(mc);
    if (mon < 0) return void unparsed++;
    if (!(buf[s + 4] === 32 || digit(buf[s + 4])) || !digit(buf[s + 5])) return void unparsed++;
    const day = (buf[s + 4] === 32 ? 0 : buf[s + 4] - 48) * 10 + (buf[s + 5] - 48);
    if (day < 1 || day > 31) return void unparsed++;
    lastMc = mc;
    lastDc = dc;
    dayMs = Date.UTC(yearFor(mon, day), mon, day);
  }
  if (!digit(buf[s + 7]) || !digit(buf[s + 8]) || !digit(buf[s + 10]) || !digit(buf[s + 11]) || !digit(buf[s + 13]) || !digit(buf[s + 14])) return void unparsed++;
  const hh = (buf[s + 7] - 48) * 10 + buf[s + 8] - 48;
  const mm = (buf[s + 10] - 48) * 10 + buf[s + 11] - 48;
  const sec = (buf[s + 13] - 48) * 10 + buf[s + 14] - 48;
  if (hh > 23 || mm > 59 || sec > 60) return void unparsed++;
  const t = dayMs + ((hh * 60 + mm) * 60 + sec) * 1000;
  if (t < first) first = t;
  if (t > last) last = t;
  if (t < bStart || t >= bStart + HOUR) bucketAt(t);
  // host, then the program up to "[pid]: "
  let p = s + 16;
  while (p < e && buf[p] !== 32) p++;
  if (p === s + 16 || p >= e) return void unparsed++;
  const prog = p + 1;
  if (!eq(prog, e, POSTFIX)) return void other++; // another program's line: mxprobe's other formats, not counted here
  let br = prog;
  let slash = -1;
  while (br < e && buf[br] !== 91) {
    if (buf[br] === 47) slash = br;
    if (buf[br] === 32) return void other++;
    br++;
  }
  let q = br + 1;
  while (q < e && digit(buf[q])) q++;
  if (br >= e || q === br + 1 || buf[q] !== 93 || buf[q + 1] !== 58 || buf[q + 2] !== 32) return void other++;
  const m0 = q + 3; // the message
  // The service, by its bytes (no string per line).
  const ss = slash < 0 ? prog : slash + 1;
  const sl = br - ss;
  let svc = S_OTHER;
  for (let k = 0; k < SERVICES.length; k++) {
    const [b, kind] = SERVICES[k];
    if (b.length === sl && eqBytes(ss, b)) {
      svc = kind;
      break;
    }
  }
  if (svc === S_SESSION && eq(m0, e, DISCONNECT)) {
    if (sessions.size > 0) sessions.delete(buf.latin1Slice(s + 16, q + 1));
    return void other++;
  }
  // "QUEUEID: " (or "NOQUEUE: ")
  let c = m0;
  while (c < e && alnum(buf[c])) c++;
  if (c === m0 || buf[c] !== 58 || buf[c + 1] !== 32) return void other++;
  const r = c + 2;
  if (eq(r, e, TO)) return delivery(m0, c, r, e, s + 16, p);
  if (svc === S_SESSION) {
    if (eq(r, e, CLIENT)) {
      received++;
      cur.received++;
    }
    else if (eq(r, e, REJECT) || eq(r, e, REJECT_WARNING) || eq(r, e, MILTER_REJECT)) smtpdReject(r, e, s + 16, p, prog, br, q + 1);
    else if (eq(r, e, INFO)) {
      const helo = heloOf(buf.utf8Slice(r, e));
      if (helo === null) return void other++;
      heloSeen(helo, s + 16, q + 1);
    } else return void other++;
    return;
  }
  if (svc === S_PICKUP && (eq(r, e, UID) || eq(r, e, SENDER))) {
    received++;
    cur.received++;
    return;
  }
  if (svc === S_QMGR && e === r + 7 && eq(r, e, REMOVED)) {
    const qid = buf.latin1Slice(m0, c);
    deferredQids.delete(qid);
    pending.delete(qid);
    return void other++;
  }
  if (svc === S_CLEANUP && (eq(r, e, REJECT) || eq(r, e, MILTER_REJECT))) {
    rejected++;
    cur.rejected++;
    inboundRejected++;
    relayOf(s + 16, p).rejected++;
    countReject(buf[r] === 109 ? 'milter' : 'header_body_checks', s + 16, p, prog, br);
    return;
  }
  other++;
}
/** The first `p` in buf[from, e), or -1 (Buffer#indexOf would search past the line, to the block's end). */
function findLit(p, from, e) {
  const c0 = p[0];
  for (let i = from, last = e - p.length; i <= last; i++) if (buf[i] === c0 && eq(i, e, p)) return i;
  return -1;
}
function eqBytes(i, b) {
  for (let k = 0; k < b.length; k++) if (buf[i + k] !== b[k]) return false;
  return true;
}

/** "QID: to=<rcpt>, [orig_to=<..>, ]relay=.., ... status=WORD (reason)" */
function delivery(qa, qb, r, e, h0, h1) {
  let gt = r + 4;
  let at = -1;
  while (gt < e && buf[gt] !== 62) {
    if (buf[gt] === 64) at = gt;
    gt++;
  }
  let st = findLit(STATUS, gt, e);
  if (gt >= e || st < 0) return void other++;
  st += 7;
  const w = buf[st];
  let end = st;
  while (end < e && buf[end] !== 32) end++;
  const len = end - st;
  let kind; // 1 sent, 2 deferred, 3 bounced, 4 expired
  if (w === 115 && len === 4 && (end === e || buf[end] === 32)) {
    // sent; "forwarded as QID" is a forward (pflogsumm counts it apart)
    if (findLit(FORWARDED, end, e) >= 0) return void forwarded++;
    kind = 1;
  } else if (w === 100 && len === 8) kind = 2;
  else if (w === 98 && len === 7) kind = 3;
  else if (w === 101 && len === 7) kind = 4;
  else return void other++; // deliverable/undeliverable: address probes
  const rs = relayOf(h0, h1);
  const domAt = at < 0 ? gt : at + 1;
  const d = destOf(domAt, gt);
  const mx = mxOf(d, gt, st, e);
  if (kind === 1) {
    delivered++;
    cur.delivered++;
    rs.sent++;
    d.sent++;
    if (mx) mx.sent++;
    if (pending.size > 0 && takePending(buf.latin1Slice(qa, qb), recipient(r + 4, at, gt))) {
      deliveredAfterDeferral++;
      rs.deliveredAfterDeferral++;
      d.deliveredAfterDeferral++;
      if (mx) mx.deliveredAfterDeferral++;
    }
  } else if (kind === 2) {
    deferrals++;
    cur.deferrals++;
    rs.deferrals++;
    d.deferrals++;
    if (mx) mx.deferrals++;
    const qid = buf.latin1Slice(qa, qb);
    if (!deferredQids.has(qid)) {
      deferred++;
      deferredQids.add(qid);
    }
    // The recipient's first deferral
    const to = recipient(r + 4, at, gt);
    const list = pending.get(qid);
    let first = true;
    if (list === undefined) pending.set(qid, [to]);
    else if (list.includes(to)) first = false;
    else list.push(to);
    if (first) {
      rs.deferred++;
      d.deferred++;
      if (mx) mx.deferred++;
    }
    refusal(end, e, rs, d, h0, h1, domAt, gt, true);
  } else {
    if (kind === 3) {
      bounced++;
      cur.bounced++;
    }
    else expired++;
    rs.bounced++;
    d.bounced++;
    if (mx) mx.bounced++;
    if (pending.size > 0) takePending(buf.latin1Slice(qa, qb), recipient(r + 4, at, gt));
    refusal(end, e, rs, d, h0, h1, domAt, gt, false);
  }
}

// ---- inbound ----

let inboundRejected = 0, warnings = 0, heloObserved = 0, heloInvalid = 0, heloNonFqdn = 0;
const rejectsByCheck = new Map();
const rejectsByService = new Map();
const sessions = new Map(); // "relay postfix/smtpd[pid]" -> the HELO already counted for it
const heloNames = new Map();
const rejectReplies = new Map();
const SMTPD_REJECT_RE = /^(reject|reject_warning|milter-reject): (\S+) from ([^\s[]*)\[([^\]]*)\](?::\d+)?: (.*)$/;

/** An smtpd reject line: the message from `r` (after "QID: "), the header's relay [h0, h1), program [pa, pb), session key [h0, sk). */
function smtpdReject(r, e, h0, h1, pa, pb, sk) {
  const m = SMTPD_REJECT_RE.exec(buf.utf8Slice(r, e));
  if (m === null) return void other++;
  let reply = m[5];
  const helo = heloOf(reply);
  let cut = lastFieldCut(reply, ' from=<');
  if (cut < 0) cut = lastFieldCut(reply, ' proto=');
  if (cut >= 0) reply = reply.slice(0, cut);
  if (reply.length > MAX_REASON) reply = reply.slice(0, MAX_REASON);
  let check = rejectReplies.get(reply);
  if (check === undefined) {
    const cm = /^(\d{3})[ -](?:([245]\.\d{1,3}\.\d{1,3}) )?(.*)$/s.exec(reply);
    check = postfixCheck(cm ? cm[3] : reply);
    if (reply.length <= 600) {
      bounded(rejectReplies, 2048);
      rejectReplies.set(reply, check);
    }
  }
  if (helo !== null) heloSeen(helo, h0, sk);
  if (m[1] !== 'reject') return void warnings++;
  rejected++;
  cur.rejected++;
  inboundRejected++;
  relayOf(h0, h1).rejected++;
  countReject(m[1] === 'milter-reject' ? 'milter' : check, h0, h1, pa, pb);
}

function countReject(check, h0, h1, pa, pb) {
  rejectsByCheck.set(check, (rejectsByCheck.get(check) ?? 0) + 1);
  const sk = `${buf.latin1Slice(pa, pb)}\t${buf.latin1Slice(h0, h1)}\t${check}`;
  rejectsByService.set(sk, (rejectsByService.get(sk) ?? 0) + 1);
}

/** The last field " X" after a ";" or "," (Postfix appends "; from=<..> to=<..> proto=.. helo=<..>"). */
function lastFieldCut(s, field) {
  let i = s.lastIndexOf(field);
  while (i > 0) {
    const c = s.charCodeAt(i - 1);
    if (c === 59 || c === 44) return i - 1;
    i = s.lastIndexOf(field, i - 1);
  }
  return -1;
}

function heloOf(s) {
  const i = s.lastIndexOf(' helo=<');
  if (i < 0) return null;
  const end = s.lastIndexOf('>');
  return end > i + 7 ? s.slice(i + 7, end) : end === i + 7 ? '' : null;
}

/** The restriction behind a Postfix reject text (its wording is fixed in Postfix's smtpd_check.c). */
function postfixCheck(text) {
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

/** One observation per smtpd session and HELO name (a session logs its HELO on every reject line). */
function heloSeen(name, h0, sk) {
  const key = buf.latin1Slice(h0, sk);
  if (sessions.get(key) === name) return;
  if (sessions.size >= 10_000 && !sessions.has(key)) sessions.delete(sessions.keys().next().value); // bounded: the oldest goes
  sessions.set(key, name);
  heloObserved++;
  let h = heloNames.get(name);
  if (h === undefined) {
    const f = parseHelo(name);
    heloNames.set(name, (h = { count: 0, form: f.form === 'domain' ? (f.fqdn ? 'fqdn' : 'not-fqdn') : f.form }));
  }
  h.count++;
  if (h.form === 'invalid' || h.form === 'bare-ip') heloInvalid++;
  else if (h.form === 'not-fqdn') heloNonFqdn++;
}

// ---- refusals ----

const MAX_REASON = 2048;
const EXAMPLE_CHARS = 300;
const replyCache = new Map(); // text after "host NAME[IP] " (or the whole reason) -> the reply, its normalised text, cause and record
const normalised = new Map();
const causes = new Map();
const bounded = (m, n) => {
  if (m.size >= n) m.clear();
};

/** The reason after the status word at `end`: "(…)" without its parentheses, as mxprobe reads it (UTF-8). */
function refusal(end, e, rs, d, h0, h1, da, db, deferral) {
  let reason = end < e ? buf.utf8Slice(end, e).trim() : '';
  if (reason.startsWith('(') && reason.endsWith(')')) reason = reason.slice(1, -1);
  if (reason.length > MAX_REASON) reason = reason.slice(0, MAX_REASON);
  let key = reason;
  if (reason.startsWith('host ')) {
    const sp = reason.indexOf(' ', 5);
    if (sp > 5 && reason.startsWith('said: ', sp + 1) && reason.lastIndexOf(':', sp) < 5) key = reason.slice(sp + 1);
  }
  let x = replyCache.get(key);
  if (x === undefined) {
    x = judge(reason, key);
    if (key.length <= 600) {
      bounded(replyCache, 2048);
      replyCache.set(key, x);
    }
  }
  const cause = x.cause;
  rs.causes.set(cause, (rs.causes.get(cause) ?? 0) + 1);
  d.causes.set(cause, (d.causes.get(cause) ?? 0) + 1);
  const rk = `${buf.latin1Slice(h0, h1)}\t${buf.latin1Slice(da, db).toLowerCase()}\t${cause}`;
  let rr = refusals.get(rk);
  if (rr === undefined) refusals.set(rk, (rr = { deferrals: 0, bounced: 0 }));
  if (deferral) rr.deferrals++;
  else rr.bounced++;
  x.p.count++;
}

function judge(reason, key) {
  let reply = null;
  if (reason.includes(' said: ') || reason.includes('refused to talk to me: ')) {
    reply = readReply(reason);
    // The reply read from the text after "host NAME[IP] " must be the one read from the whole reason, or that text is no key.
    if (key !== reason) {
      const t = readReply(key);
      if (t.code !== reply.code || t.enhanced !== reply.enhanced || t.text !== reply.text || t.stage !== reply.stage) throw new Error(`reply key ${key} reads differently`);
    }
  }
  const text = reply ? reply.text : reason;
  let norm = normalised.get(text);
  if (norm === undefined) {
    norm = normalise(text);
    bounded(normalised, 2048);
    normalised.set(text, norm);
  }
  const stage = reply && reply.stage !== 'data' ? reply.stage : null;
  const code = reply ? reply.code : null;
  const enhanced = reply ? reply.enhanced : null;
  const ck = `${stage}|${code}|${enhanced ?? ''}|${norm}`;
  let cause = causes.get(ck);
  if (cause === undefined) {
    cause = classify({ stage, code, enhanced, text }).cause;
    bounded(causes, 10_000);
    causes.set(ck, cause);
  }
  const pk = `${code ?? ''} ${enhanced ?? ''} ${norm}`;
  let p = replies.get(pk);
  if (p === undefined) replies.set(pk, (p = { text: norm, count: 0, cause, stage: reply ? reply.stage : null, code, enhanced }));
  return { cause, p };
}

/** The reply quoted in a reason (mxprobe's log-line parser); "end of DATA" kept as the stage 'data'. */
function readReply(reason) {
  const r = parseClassifyInput(reason);
  let stage = r.stage;
  if (stage === null) {
    const m = /\(in reply to (.+?) command\)/.exec(reason);
    if (m && /DATA|END-OF-MESSAGE|BDAT/i.test(m[1])) stage = 'data';
  }
  return { code: r.reply.code, enhanced: r.reply.enhanced, text: r.reply.text, stage };
}

/** What differs per message in a reply, replaced so identical refusals group (pflogsumm keeps it: counts of 1). */
const ODD_SPACE = /\s\s|[^\S ]/;
function normalise(text) {
  let s = text.length > 1000 ? text.slice(0, 1000) : text;
  if (s.includes('@')) s = s.replace(/<[^<>\s]*@[^<>\s]*>/g, '<addr>').replace(/\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b/g, 'addr');
  s = s.replace(/\b(?:\d{1,3}\.){3}\d{1,3}\b/g, 'IP');
  if (s.includes('connect to ')) s = s.replace(/\bconnect to [^\s[]+\[/g, 'connect to HOST[');
  if (s.includes(':')) s = s.replace(/\b(?:[0-9a-f]{1,4}:){2,7}[0-9a-f]{0,4}\b/gi, 'IP');
  s = s.replace(/(?<![\w.])(?=[\w./=+-]*\d)[\w./=+-]{8,}(?![\w])/g, (t) => (/^https?:|^\d\.\d+\.\d+$/.test(t) || /^[a-z]+\.[a-z.]+$/i.test(t) ? t : '#'));
  if (ODD_SPACE.test(s)) s = s.replace(/\s+/g, ' ');
  s = s.trim();
  return s.length > EXAMPLE_CHARS ? s.slice(0, EXAMPLE_CHARS) : s;
}

/** The recipient buf[a, b) with its domain (after the "@" at `at`) in lower case. */
function recipient(a, at, b) {
  const s = buf.latin1Slice(a, b);
  if (at < 0) return s;
  for (let i = at + 1; i < b; i++) if (buf[i] >= 65 && buf[i] <= 90) return s.slice(0, at - a) + s.slice(at - a).toLowerCase();
  return s;
}

/** Forget a recipient's deferral at its final status; true when it had one. */
function takePending(qid, to) {
  const list = pending.get(qid);
  if (list === undefined) return false;
  const i = list.indexOf(to);
  if (i < 0) return false;
  list.splice(i, 1);
  if (list.length === 0) pending.delete(qid);
  return true;
}

/** The destination of the domain buf[a, b), in lower case. */
function destOf(a, b) {
  let upper = false;
  for (let i = a; i < b; i++) if (buf[i] >= 65 && buf[i] <= 90) upper = true;
  const dom = upper ? buf.latin1Slice(a, b).toLowerCase() : buf.latin1Slice(a, b);
  let d = dests.get(dom);
  if (d === undefined) dests.set(dom, (d = { ...newCounts(), causes: new Map(), mx: new Map() }));
  return d;
}

/** ", relay=host[ip]:port, " after the recipient: the MX by its address (by its name when there is none; "none": no MX). */
function mxOf(d, from, st, e) {
  let ra = findLit(RELAY, from, st);
  if (ra < 0) return undefined;
  ra += 7;
  let re = ra;
  let lb = -1, rb = -1;
  while (re < e && buf[re] !== 44) {
    if (buf[re] === 91 && lb < 0) lb = re;
    else if (buf[re] === 93 && lb >= 0 && rb < 0) rb = re;
    re++;
  }
  const key = lb >= 0 ? buf.latin1Slice(lb + 1, rb < 0 ? re : rb) : buf.latin1Slice(ra, re);
  if (lb < 0 && key === 'none') return undefined;
  let mx = d.mx.get(key);
  if (mx === undefined) {
    const host = lb >= 0 ? buf.latin1Slice(ra, lb) : key;
    d.mx.set(key, (mx = { host: host === 'none' ? null : host, ip: lb >= 0 ? key : null, ...newCounts() }));
  }
  return mx;
}

const fd = openSync(process.argv[2], 'r');
const mtime = fstatSync(fd).mtime;
refYear = mtime.getUTCFullYear();
refMonth = mtime.getUTCMonth();
refDay = mtime.getUTCDate();
const CH = 4 << 20;
buf = Buffer.allocUnsafe(CH + 65536);
let have = 0;
let n;
while ((n = readSync(fd, buf, have, CH, null)) > 0 || have > 0) {
  const end = have + n;
  let i = 0;
  let j;
  while ((j = buf.indexOf(10, i)) !== -1 && j < end) {
    line(i, j);
    i = j + 1;
  }
  if (n === 0) {
    if (i < end) line(i, end); // the last line without its newline
    break;
  }
  have = end - i;
  buf.copy(buf, 0, i, end);
}
const share = (n) => (heloObserved === 0 ? null : Math.round((n / heloObserved) * 10000) / 10000);
process.stdout.write(
  JSON.stringify({
    lines: { total, other },
    unparsed: { count: unparsed },
    totals: { received, delivered, deferred, deferrals, bounced, rejected, forwarded, expired, deliveredAfterDeferral },
    relays: [...relays].map(([relay, r]) => ({ relay, ...r, causes: Object.fromEntries(r.causes) })),
    destinations: [...dests].map(([domain, d]) => ({ domain, sent: d.sent, deferred: d.deferred, deferrals: d.deferrals, bounced: d.bounced, deliveredAfterDeferral: d.deliveredAfterDeferral, causes: Object.fromEntries(d.causes), mx: [...d.mx.values()].map(({ deliveredAfterDeferral, ...m }) => m) })),
    refusals: [...refusals].map(([k, v]) => {
      const [relay, domain, cause] = k.split('\t');
      return { relay, domain, cause, ...v };
    }),
    replies: [...replies.values()],
    time: {
      bucket: 'hour',
      first: first === Infinity ? null : new Date(first).toISOString(),
      last: last === -Infinity ? null : new Date(last).toISOString(),
      series: [...buckets].map(([k, b]) => ({ start: new Date(k).toISOString(), ...b })),
    },
    inbound: {
      rejected: inboundRejected,
      warnings,
      rejects: Object.fromEntries(rejectsByCheck),
      byService: [...rejectsByService].map(([k, count]) => {
        const [service, relay, check] = k.split('\t');
        return { service, relay, check, count };
      }),
      heloNames: [...heloNames].map(([name, h]) => ({ name, ...h })),
      heloObserved,
      heloRules: [
        { rule: 'reject_invalid_helo_hostname', failing: heloInvalid, observed: heloObserved, share: share(heloInvalid) },
        { rule: 'reject_non_fqdn_helo_hostname', failing: heloNonFqdn, observed: heloObserved, share: share(heloNonFqdn) },
      ],
    },
  }),
);
