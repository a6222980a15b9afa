/**
 * A generated classic-syslog Postfix log for `npm run bench` and the pflogsumm cross-check test:
 * mixed outbound (smtp status=sent/deferred/bounced, deferred-then-delivered), inbound (smtpd
 * connect/client=/NOQUEUE reject with HELO checks/disconnect), qmgr and cleanup lines, from three
 * relays, to 2,000 destination domains, with per-message tokens in the replies (as real ones have).
 * Deterministic (a fixed linear congruential generator), so runs are comparable.
 *
 *   node bench/logs-gen.mjs LINES [FILE]     # FILE omitted: stdout
 */
import { createWriteStream } from 'node:fs';

const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const REPLIES_DEFER = [
  (ip) => `host mx1.DOM[IP] said: 450 4.7.1 Client host rejected: cannot find your reverse hostname, [${ip}] (in reply to RCPT TO command)`,
  () => `host mx1.DOM[IP] said: 421 4.7.0 [TSS04] Messages from 198.51.100.3 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes (in reply to MAIL FROM command)`,
  () => `host mx1.DOM[IP] said: 451 4.7.1 Greylisting in action, please come back later (in reply to RCPT TO command)`,
  () => `connect to mx1.DOM[IP]:25: Connection timed out`,
];
const REPLIES_BOUNCE = [
  (tok) => `host mx1.DOM[IP] said: 550-5.7.25 [198.51.100.3] The IP address sending this message does not have a 550-5.7.25 PTR record setup, or the corresponding forward DNS entry does not 550-5.7.25 match the sending IP. 550 5.7.25 ${tok} - gsmtp (in reply to end of DATA command)`,
  (tok) => `host mx1.DOM[IP] said: 550 5.7.1 Service unavailable, Client host [198.51.100.2] blocked using Spamhaus. [${tok}] (in reply to RCPT TO command)`,
  () => `host mx1.DOM[IP] said: 504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname (in reply to RCPT TO command)`,
  () => `host mx1.DOM[IP] said: 550 5.1.1 <USER@DOM>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command)`,
];
const INBOUND = [
  ['localhost', '504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname'],
  ['nx.invalid.test', '450 4.7.1 <nx.invalid.test>: Helo command rejected: Host not found'],
  ['bad_name!', '501 5.5.2 <bad_name!>: Helo command rejected: Invalid name'],
  ['mail.example.net', '450 4.7.25 Client host rejected: cannot find your hostname, [IPC]'],
  ['dyn-1-2-3-4.isp.test', '554 5.7.1 Service unavailable; Client host [IPC] blocked using zen.spamhaus.org'],
];

/** Generate `lines` lines (a few more: a message's lines stay together), as ~1 MB strings. */
export function* generateChunks(lines) {
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const pick = (a) => a[Math.floor(rnd() * a.length)];
  let t = Date.UTC(2026, 10, 1, 0, 0, 0);
  let out = '';
  let n = 0;
  let q = 0;
  const deferredPending = [];
  const stamp = () => {
    const d = new Date(t);
    return `${MON[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}:${String(d.getUTCSeconds()).padStart(2, '0')}`;
  };
  const emit = (s) => {
    out += `${s}\n`;
    n++;
  };
  const qid = () => (++q).toString(16).toUpperCase().padStart(10, '0').replace(/^0/, '4');
  while (n < lines) {
    if (out.length > 1 << 20) {
      yield out;
      out = '';
    }
    t += Math.floor(rnd() * 400);
    const relay = pick(['relay1', 'relay2', 'relay3']);
    const pid = 1000 + Math.floor(rnd() * 9000);
    const r = rnd();
    if (r < 0.15) {
      // inbound reject
      const [helo, reply] = pick(INBOUND);
      const ip = `203.0.113.${Math.floor(rnd() * 250)}`;
      emit(`${stamp()} ${relay} postfix/smtpd[${pid}]: connect from unknown[${ip}]`);
      emit(`${stamp()} ${relay} postfix/smtpd[${pid}]: NOQUEUE: reject: RCPT from unknown[${ip}]: ${reply.replace('IPC', ip)}; from=<spam${pid}@spam.test> to=<info@our.test> proto=ESMTP helo=<${helo}>`);
      emit(`${stamp()} ${relay} postfix/smtpd[${pid}]: disconnect from unknown[${ip}] ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4`);
      continue;
    }
    if (r < 0.22 && deferredPending.length > 0) {
      // retry of a deferred message: delivered
      const m = deferredPending.shift();
      emit(`${stamp()} ${m.relay} postfix/smtp[${pid}]: ${m.id}: to=<${m.to}>, relay=mx1.${m.dom}[192.0.2.${m.ipn}]:25, delay=1900, delays=1800/0/1/1, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as ${qid()})`);
      emit(`${stamp()} ${m.relay} postfix/qmgr[${pid}]: ${m.id}: removed`);
      continue;
    }
    const id = qid();
    const dom = `dest${Math.floor(rnd() * 2000)}.test`;
    const to = `user${Math.floor(rnd() * 100000)}@${dom}`;
    const ipn = Math.floor(rnd() * 250);
    const client = `10.${Math.floor(rnd() * 250)}.${Math.floor(rnd() * 250)}.${Math.floor(rnd() * 250)}`;
    emit(`${stamp()} ${relay} postfix/smtpd[${pid}]: connect from app.our.test[${client}]`);
    emit(`${stamp()} ${relay} postfix/smtpd[${pid}]: ${id}: client=app.our.test[${client}]`);
    emit(`${stamp()} ${relay} postfix/cleanup[${pid + 1}]: ${id}: message-id=<${id}.${pid}@our.test>`);
    emit(`${stamp()} ${relay} postfix/qmgr[${pid + 2}]: ${id}: from=<app@our.test>, size=${1000 + Math.floor(rnd() * 50000)}, nrcpt=1 (queue active)`);
    emit(`${stamp()} ${relay} postfix/smtpd[${pid}]: disconnect from app.our.test[${client}] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5`);
    const s = rnd();
    const mx = `relay=mx1.${dom}[192.0.2.${ipn}]:25`;
    if (s < 0.8) {
      emit(`${stamp()} ${relay} postfix/smtp[${pid + 3}]: ${id}: to=<${to}>, ${mx}, delay=1.2, delays=0.1/0/0.5/0.6, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as ${qid()})`);
      emit(`${stamp()} ${relay} postfix/qmgr[${pid + 2}]: ${id}: removed`);
    } else if (s < 0.92) {
      const why = pick(REPLIES_DEFER)('198.51.100.3').replaceAll('DOM', dom).replace('IP', `192.0.2.${ipn}`);
      const relayField = why.startsWith('connect to') ? 'relay=none' : mx;
      emit(`${stamp()} ${relay} postfix/smtp[${pid + 3}]: ${id}: to=<${to}>, ${relayField}, delay=5, delays=0.1/0/5/0, dsn=4.7.1, status=deferred (${why})`);
      if (deferredPending.length < 5000) deferredPending.push({ id, to, dom, ipn, relay });
    } else {
      const tok = `a${Math.floor(rnd() * 1e9).toString(36)}si${Math.floor(rnd() * 1e9)}.${Math.floor(rnd() * 100)}`;
      const why = pick(REPLIES_BOUNCE)(tok).replaceAll('DOM', dom).replace('IP', `192.0.2.${ipn}`).replace('USER', to.split('@')[0]);
      emit(`${stamp()} ${relay} postfix/smtp[${pid + 3}]: ${id}: to=<${to}>, ${mx}, delay=1, delays=0.1/0/0.5/0.4, dsn=5.7.1, status=bounced (${why})`);
      emit(`${stamp()} ${relay} postfix/bounce[${pid + 4}]: ${id}: sender non-delivery notification: ${qid()}`);
      emit(`${stamp()} ${relay} postfix/qmgr[${pid + 2}]: ${id}: removed`);
    }
  }
  if (out) yield out;
}

/** The whole log as one string (tests: tens of thousands of lines). */
export function generateText(lines) {
  let s = '';
  for (const c of generateChunks(lines)) s += c;
  return s;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const lines = Number(process.argv[2] ?? 1_000_000);
  const file = process.argv[3];
  const sink = file ? createWriteStream(file) : process.stdout;
  sink.on('error', () => process.exit(0)); // reader went away
  // Back-pressure: wait for drain when the sink is full (a pipe to mxprobe at 10M lines).
  for (const c of generateChunks(lines)) if (!sink.write(c)) await new Promise((r) => sink.once('drain', r));
  if (file) await new Promise((r) => sink.end(r));
}
