// Rung 2 of bench/logs-ladder.mjs: rung 1 + each line's classic syslog header checked on its bytes
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
  if (eq(r, e, TO)) return delivery(m0, c, r, e);
  if (svc === S_SESSION) {
    if (eq(r, e, CLIENT)) received++;
    else if (eq(r, e, REJECT)) rejected++;
    else return void other++;
    return;
  }
  if (svc === S_PICKUP && (eq(r, e, UID) || eq(r, e, SENDER))) return void received++;
  if (svc === S_CLEANUP && (eq(r, e, REJECT) || eq(r, e, MILTER_REJECT))) return void rejected++;
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
function delivery(qa, qb, r, e) {
  let gt = r + 4;
  while (gt < e && buf[gt] !== 62) gt++;
  let st = findLit(STATUS, gt, e);
  if (gt >= e || st < 0) return void other++;
  st += 7;
  const w = buf[st];
  let end = st;
  while (end < e && buf[end] !== 32) end++;
  const len = end - st;
  if (w === 115 && len === 4) {
    // sent; "forwarded as QID" is a forward (pflogsumm counts it apart)
    if (findLit(FORWARDED, end, e) >= 0) forwarded++;
    else delivered++;
  } else if (w === 100 && len === 8) {
    deferrals++;
    deferredQids.add(buf.latin1Slice(qa, qb));
  } else if (w === 98 && len === 7) bounced++;
  else if (w === 101 && len === 7) expired++;
  else other++; // deliverable/undeliverable: address probes
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
process.stdout.write(JSON.stringify({ lines: { total, other }, unparsed: { count: unparsed }, totals: { received, delivered, deferred: deferredQids.size, deferrals, bounced, rejected, forwarded, expired } }));
