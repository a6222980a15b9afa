// Rung 4 of bench/logs-ladder.mjs: rung 3 + the queue-id table, per message state as mxprobe keeps
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
import { openSync, readSync } from 'node:fs';

const lit = (s) => Buffer.from(s, 'latin1');
const POSTFIX = lit('postfix');
const CLIENT = lit('client=');
const REJECT = lit('reject: ');
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
  if (r === undefined) relays.set(name, (r = { ...newCounts(), rejected: 0 }));
  if (relayList.length < 64) relayList.push({ bytes: Buffer.from(buf.subarray(h0, h1)), state: r }); // (a copy: the block is overwritten)
  return r;
}
let lastMc = -1;

function line(s, e) {
  total++;
  // "Mmm dd hh:mm:ss " (RFC 3164 §4.1.2 TIMESTAMP)
  if (e - s < 17 || buf[s + 3] !== 32 || buf[s + 6] !== 32 || buf[s + 9] !== 58 || buf[s + 12] !== 58 || buf[s + 15] !== 32) return void unparsed++;
  const mc = (buf[s] << 16) | (buf[s + 1] << 8) | buf[s + 2];
  if (mc !== lastMc) {
    if (MONTHS.indexOf(mc) < 0) return void unparsed++;
    lastMc = mc;
  }
  if (!(buf[s + 4] === 32 || digit(buf[s + 4])) || !digit(buf[s + 5]) || !digit(buf[s + 7]) || !digit(buf[s + 8]) || !digit(buf[s + 10]) || !digit(buf[s + 11]) || !digit(buf[s + 13]) || !digit(buf[s + 14])) return void unparsed++;
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
  if (svc === S_SESSION && eq(m0, e, DISCONNECT)) return void other++;
  // "QUEUEID: " (or "NOQUEUE: ")
  let c = m0;
  while (c < e && alnum(buf[c])) c++;
  if (c === m0 || buf[c] !== 58 || buf[c + 1] !== 32) return void other++;
  const r = c + 2;
  if (eq(r, e, TO)) return delivery(m0, c, r, e, s + 16, p);
  if (svc === S_SESSION) {
    if (eq(r, e, CLIENT)) received++;
    else if (eq(r, e, REJECT)) {
      rejected++;
      relayOf(s + 16, p).rejected++;
    } else return void other++;
    return;
  }
  if (svc === S_PICKUP && (eq(r, e, UID) || eq(r, e, SENDER))) return void received++;
  if (svc === S_QMGR && e === r + 7 && eq(r, e, REMOVED)) {
    const qid = buf.latin1Slice(m0, c);
    deferredQids.delete(qid);
    pending.delete(qid);
    return void other++;
  }
  if (svc === S_CLEANUP && (eq(r, e, REJECT) || eq(r, e, MILTER_REJECT))) {
    rejected++;
    relayOf(s + 16, p).rejected++;
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
  if (w === 115 && len === 4) {
    // sent; "forwarded as QID" is a forward (pflogsumm counts it apart)
    if (findLit(FORWARDED, end, e) >= 0) return void forwarded++;
    kind = 1;
  } else if (w === 100 && len === 8) kind = 2;
  else if (w === 98 && len === 7) kind = 3;
  else if (w === 101 && len === 7) kind = 4;
  else return void other++; // deliverable/undeliverable: address probes
  const rs = relayOf(h0, h1);
  const d = destOf(at < 0 ? gt : at + 1, gt);
  const mx = mxOf(d, gt, st, e);
  if (kind === 1) {
    delivered++;
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
  } else {
    if (kind === 3) bounced++;
    else expired++;
    rs.bounced++;
    d.bounced++;
    if (mx) mx.bounced++;
    if (pending.size > 0) takePending(buf.latin1Slice(qa, qb), recipient(r + 4, at, gt));
  }
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
  if (d === undefined) dests.set(dom, (d = { ...newCounts(), mx: new Map() }));
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
process.stdout.write(
  JSON.stringify({
    lines: { total, other },
    unparsed: { count: unparsed },
    totals: { received, delivered, deferred, deferrals, bounced, rejected, forwarded, expired, deliveredAfterDeferral },
    relays: [...relays].map(([relay, r]) => ({ relay, ...r })),
    destinations: [...dests].map(([domain, d]) => ({ domain, sent: d.sent, deferred: d.deferred, deferrals: d.deferrals, bounced: d.bounced, deliveredAfterDeferral: d.deliveredAfterDeferral, mx: [...d.mx.values()].map(({ deliveredAfterDeferral, ...m }) => m) })),
  }),
);
