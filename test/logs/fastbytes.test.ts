/**
 * The byte-level fast path (src/logs/fastbytes.ts) must count every line exactly as parseLine() +
 * add() does. Lines go through the run's own sink (lineSink) fed by the real reader (readLines),
 * cut into chunks at given or random points, so the reader's "these bytes are ASCII" hand-over is
 * tested with it; the reference aggregator reads the same lines with parseLine only. Each test also
 * checks that the byte path really took lines (stats.bytes), so a path that silently declined
 * everything would fail.
 */
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs bench script without types
import { generateText } from '../../bench/logs-gen.mjs';
import { LogAggregator, type AggregateOptions } from '../../src/logs/aggregate.js';
import type { LogFormat } from '../../src/logs/events.js';
import { newParseContext, parseLine } from '../../src/logs/parse.js';
import { wordReadsForTest } from '../../src/logs/fastbytes.js';
import { lineSink } from '../../src/logs/range.js';
import { MAX_LINE, readLines } from '../../src/logs/read.js';
import { sentShapes } from './sent-shapes.js';

const REF = new Date('2026-11-30T12:00:00Z');

/** The text cut into chunks at the given byte offsets (sorted, deduplicated). */
function pieces(buf: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => Math.min(buf.length, c)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let p = 0;
  for (const c of at) {
    if (c > p) out.push(buf.subarray(p, c));
    p = Math.max(p, c);
  }
  if (p < buf.length) out.push(buf.subarray(p));
  return out;
}

async function both(lines: string[], cuts: number[] = [], format: LogFormat = 'auto', opts: Partial<AggregateOptions> = {}) {
  const o: AggregateOptions = { bucket: 'hour', since: null, until: null, ...opts };
  const fast = new LogAggregator(o);
  const slow = new LogAggregator(o);
  const stats = { bytes: 0 };
  const text = lines.length === 0 ? '' : `${lines.join('\n')}\n`;
  await readLines(Readable.from(pieces(Buffer.from(text, 'utf8'), cuts)), 'test', lineSink(newParseContext(format, REF, 'r0'), fast, stats));
  // The reference: each line as the reader hands it out (a CR before the LF dropped), parseLine only.
  const cs = newParseContext(format, REF, 'r0');
  for (const raw of lines) {
    let line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.length > MAX_LINE) {
      slow.noteCapped();
      line = line.slice(0, MAX_LINE);
    }
    slow.add(parseLine(line, cs), line);
  }
  return { fast: fast.summary(), slow: slow.summary(), bytes: stats.bytes };
}

const generated: string[] = (generateText(30_000) as string).split('\n').slice(0, -1);

/** Odd headers, messages and delivery lines (hand-picked edge cases of both fast paths). */
function edgeLines(): string[] {
  const at = 'Nov 30 14:29:21 host postfix/smtp[5]: ';
  return [
    'Nov 30 14:29:21 host postfix/smtpd[1]: disconnect from x[1.2.3.4]',
    'Nov 30 14:29:21 host postfix/smtpd: disconnect from x[1.2.3.4]', // no pid: fast.ts reads it
    'Nov 30 14:29:21 host post:fix/smtpd[1]: connect from x', // ":" in the tag
    'Nov 30 14:29:21 host postfix/smtpd[1]: info: RCPT from x[1.2.3.4]: helo=<a b>',
    'Nov 30 14:29:21 host postfix/smtpd[1]: NOQUEUE: reject: RCPT from x[1.2.3.4]: 450 4.7.1 <a>: Helo command rejected: Host not found; from=<> to=<b@c> proto=ESMTP helo=<a>',
    'Nov 30 14:29:21 host postfix/smtpd[1]: NOQUEUE: reject_warning: RCPT from x[1.2.3.4]: 450 4.7.1 <a>: Helo command rejected: Host not found; from=<> to=<b@c> proto=ESMTP helo=<a>',
    'Nov 30 14:29:21 host postfix/smtpd[1]: NOQUEUE: milter-reject: END-OF-MESSAGE from x[1.2.3.4]: 5.7.1 spam; from=<> to=<b@c> proto=ESMTP helo=<a>',
    'Nov 30 14:29:21 host postfix/smtpd[1]: 4ABC: client=x[1.2.3.4]',
    'Nov 30 14:29:21 host postfix/smtpd[1]: 4A-BC: client=x[1.2.3.4]',
    `${at}4ABC: to=<a@b.example>, relay=mx[192.0.2.1]:25, delay=1, dsn=4.7.1, status=deferred (host mx[192.0.2.1] said: 450 4.7.1 no PTR (in reply to RCPT TO command))`,
    'Nov 30 14:29:21 host postfix/qmgr[2]: 4ABC: removed ',
    'Nov 30 14:29:21 host postfix/qmgr[2]: 4ABC: removedx',
    'Nov 30 14:29:21 host postfix/qmgr[2]: 4ABC:removed',
    'Nov 30 14:29:21 host postfix/qmgrx[2]: 4ABC: removed',
    `${at}4ABC: to=<a@b.example>, relay=mx[192.0.2.1]:25, delay=1, dsn=2.0.0, status=sent (250 ok)`,
    `${at}4ABF: to=<a@b.example>, relay=mx[192.0.2.1]:25, delay=1, dsn=4.7.1, status=deferred (host mx[192.0.2.1] said: 450 4.7.1 no PTR (in reply to RCPT TO command))`,
    'Nov 30 14:29:21 host postfix/qmgr[2]: 4ABF: removed',
    `${at}4ABF: to=<a@b.example>, relay=mx[192.0.2.1]:25, delay=1, dsn=2.0.0, status=sent (250 ok)`,
    `${at}4ABG: to=<a@b.example>, relay=mx[192.0.2.1]:25, delay=1, dsn=4.7.1, status=deferred (x)`,
    `${at}4ABG: to=<a@b.example>, relay=mx[192.0.2.1]:25, delay=1, dsn=2.0.0, status=sent (250 ok)`,
    'Nov 30 14:29:21 host postfix/smtpd[7]: NOQUEUE: reject: RCPT from x[1.2.3.4]: 504 5.5.2 <h>: Helo command rejected: need fully-qualified hostname; from=<> to=<b@c> proto=ESMTP helo=<h>',
    'Nov 30 14:29:21 host postfix/smtpd[7]: disconnect  from x[1.2.3.4]',
    'Nov 30 14:29:21 host postfix/smtpd[7]: NOQUEUE: reject: RCPT from x[1.2.3.4]: 504 5.5.2 <h>: Helo command rejected: need fully-qualified hostname; from=<> to=<b@c> proto=ESMTP helo=<h>',
    'Nov 30 14:29:21 host postfix/smtpd[7]: disconnect from x[1.2.3.4]',
    'Nov 30 14:29:21 host postfix/smtpd[7]: NOQUEUE: reject: RCPT from x[1.2.3.4]: 504 5.5.2 <h>: Helo command rejected: need fully-qualified hostname; from=<> to=<b@c> proto=ESMTP helo=<h>',
    ...rejectShapes(),
    ...failShapes(),
    'Nov 30 15:29:21 host postfix/pickup[8]: 4ABH: sender=<a>',
    'Nov 30 14:29:21 host postfix/pickup[3]: 4ABD: uid=0 from=<root>',
    'Nov 30 14:29:21 host postfix/pickup[3]: 4ABD: other',
    'Nov 30 14:29:21 host postfix/cleanup[4]: 4ABD: reject: header Subject: x from y[1.2.3.4]; from=<> to=<> proto=ESMTP helo=<h>: 5.7.1 no',
    'Nov 30 14:29:21 host postfix/cleanup[4]: 4ABD: message-id=<x@y>',
    'Nov 30 14:29:21 host postfix/bounce[4]: 4ABD: sender non-delivery notification: 4ABE',
    'Nov 30 14:29:21 host postfix-out/smtp[5]: 4ABD: to=<a@B.example>, relay=mx[192.0.2.1]:25, delay=1, delays=1/0/0/0, dsn=2.0.0, status=sent (250 ok)',
    'Nov 30 14:29:21 other.host.example postfix/submission/smtpd[9]: 4ABD: client=x[1.2.3.4]',
    `${at}4ABD: to=<a@b>, relay=none, delay=1, dsn=4.4.1, status=deferred (connect to b[192.0.2.9]:25: Connection refused)`,
    `${at}4ABD: to=<a@b>, relay=none, delay=1, status=undeliverable (x)`,
    ...sentShapes(at),
    'Nov 30 14:29:21 host postfix/smtpd[1: x]: disconnect from x',
    'Nov 30 14:29:21 host postfix/smtpd [1]: connect from x',
    'Nov 30 14:29:21 host [1]: connect from x',
    'Nov 30 14:29:21  postfix/smtpd[1]: connect from x',
    'Nov 30 14:29:21 host postfix/smtpd[1]:connect',
    'Nov 30 14:29:21 host postfix/smtpd[1]: ',
    'Nov 30 14:29:21 host postfix/smtpd[1]: x: ',
    'Nov 30 14:29:21 host postfix/smtpd[1]',
    'Nov 30 14:29:21 host',
    'Nov 31 14:29:21 host postfix/smtpd[1]: connect from x',
    'Nov 30 24:29:21 host postfix/smtpd[1]: connect from x',
    'Nov 3a 14:29:21 host postfix/smtpd[1]: connect from x',
    'Nov 00 14:29:21 host postfix/smtpd[1]: connect from x',
    'Nov 30 14:60:21 host postfix/smtpd[1]: connect from x',
    'Nov 30 14:29:61 host postfix/smtpd[1]: connect from x',
    'Nov 30 14:29:60 host postfix/smtpd[1]: connect from x',
    'Nox 30 14:29:21 host postfix/smtpd[1]: connect from x',
    'nov 30 14:29:21 host postfix/smtpd[1]: connect from x',
    'Dec 31 23:59:59 host postfix/qmgr[2]: 4ABC: removed',
    'Jan  1 00:00:00 host postfix/qmgr[2]: 4ABC: removed', // year wrap
    'Jan  1 00:00:01 host rspamd[9]: <abc>; task; rspamd_task_write_log: id: <x>, qid: <4ABC>, ip: 1.2.3.4, from: <a@b>, (default: F (no action): [1.50/15.00] [HFILTER_HELO_NORES_A_OR_MX(0.30){x;}])',
    'Jan  1 00:00:02 host spamd[9]: spamd: result: . 2 - RDNS_NONE,HELO_DYNAMIC_IPADDR scantime=0.1',
    '2026-11-30T14:29:21.123456+00:00 host postfix/smtpd[1]: connect from x',
    '',
    'garbage',
  ];
}

/** status=deferred/bounced lines (the byte path hands them to the regex, slowB): odd reason, relay and status fields. */
function failShapes(): string[] {
  const h = 'Nov 30 14:29:23 relay8 postfix/smtp[81]: ';
  const said = 'host mx.d.example[192.0.2.7] said: 450 4.7.1 Client host rejected: cannot find your reverse hostname, [198.51.100.3] (in reply to RCPT TO command)';
  return [
    `${h}4AF1: to=<u@d.example>, relay=mx.d.example[192.0.2.7]:25, delay=5, delays=0.1/0/5/0, dsn=4.7.1, status=deferred (${said})`,
    `${h}4AF1: to=<u@d.example>, orig_to=<v@d.example>, relay=mx.d.example[192.0.2.7]:25, conn_use=2, delay=5, dsn=4.7.1, status=deferred (${said})`,
    `${h}4AF1: to=<u@d.example>, relay=mx.d.example[192.0.2.7]:25, delay=5, delays=0.1/0/5/0, dsn=2.0.0, status=sent (250 ok)`,
    `${h}4AF2: to=<u@d.example>, relay=mx.d.example[192.0.2.7]:25, delay=5, status=bounced (${said.replace('450 4.7.1', '550 5.7.1')})`,
    `${h}4AF3: to=<u@d.example>, relay=none, delay=5, dsn=4.4.1, status=deferred (connect to mx.d.example[192.0.2.7]:25: Connection timed out)`,
    `${h}4AF3: to=<u@d.example>, relay=mx.d.example, delay=5, dsn=4.4.1, status=deferred (host mx.d.example refused to talk to me: 554 go away)`,
    `${h}4AF3: to=<u@d.example>, relay=mx.d.example[192.0.2.7, delay=5, dsn=4.4.1, status=deferred (x)`,
    `${h}4AF4: to=<u@D.example>, relay=mx.d.example[192.0.2.7]:25, delay=5, dsn=4.7.1, status=deferred (${said})`,
    `${h}4AF4: to=<u>, relay=mx.d.example[192.0.2.7]:25, delay=5, dsn=4.7.1, status=bounced (${said})`,
    `${h}4AF4: to=<U@d.example>, relay=mx.d.example[192.0.2.7]:25, delay=5, dsn=4.7.1, status=bounced (${said})`,
    `${h}4AF5: to=<u@d.example>, relay=mx.d.example[192.0.2.7]:25, delay=5, dsn=4.7.1, status=deferred`,
    `${h}4AF5: to=<u@d.example>, relay=mx.d.example[192.0.2.7]:25, delay=5, dsn=4.7.1, status=deferred `,
    `${h}4AF5: to=<u@d.example>, relay=mx.d.example[192.0.2.7]:25, delay=5, dsn=4.7.1, status=deferred ()`,
    `${h}4AF5: to=<u@d.example>, relay=mx.d.example[192.0.2.7]:25, delay=5, dsn=4.7.1, status=deferred (`,
    `${h}4AF5: to=<u@d.example>, relay=mx.d.example[192.0.2.7]:25, delay=5, dsn=4.7.1, status=deferred )`,
    `${h}4AF5: to=<u@d.example>, relay=mx.d.example[192.0.2.7]:25, delay=5, dsn=4.7.1, status=deferred  \t( ${said} ) \t`,
    `${h}4AF5: to=<u@d.example>, relay=mx.d.example[192.0.2.7]:25, delay=5, dsn=4.7.1, status=deferred\t(${said})`,
    `${h}4AF5: to=<u@d.example>, relay=mx.d.example[192.0.2.7]:25, delay=5, dsn=4.7.1, status=deferred(${said})`,
    `${h}4AF5: to=<u@d.example>, relay=mx.d.example[192.0.2.7]:25, delay=5, dsn=4.7.1, status=deferredx (${said})`,
    `${h}4AF5: to=<u@d.example>, relay=mx.d.example[192.0.2.7]:25, delay=5, dsn=4.7.1, status=bounce (${said})`,
    `${h}4AF5: to=<u@d.example>, relay=mx.d.example[192.0.2.7]:25, delay=5, dsn=4.7.1, status=expired (${said})`,
    `${h}4AF5: to=<u@d.example>, relay=mx.d.example[192.0.2.7]:25, delay=5, dsn=4.7.1, status=deferred (${said}\r x)`,
    `${h}4AF5: to=<u@d.example>, relay=mx.d.example[192.0.2.7]:25, delay=5, dsn=4.7.1, status=deferred (${'z'.repeat(3000)})`,
    `${h}4AF5: to=<u@d.example>, relay=mx.d.example[192.0.2.7]:25, delay=5, dsn=4.7.1,status=deferred (${said})`,
    `${h}4AF5: to=<u@d.example>, relay=mx.d.example[192.0.2.7]:25, delay=5, dsn=, status=deferred (${said})`,
    `${h}4AF5: to=<u@d.example>, relay=mx.d.example[192.0.2.7]:25, status=deferred (${said})`,
    `${h}4A-F5: to=<u@d.example>, relay=mx.d.example[192.0.2.7]:25, delay=5, status=deferred (${said})`,
    `${h}4AF6: to=<u@d.example>, relay=mx.d.example[192.0.2.7]:25, delay=5, dsn=5.0.0, status=bounced (host mx.d.example[192.0.2.7] said: 550 5.1.1 <u@d.example>: Recipient address rejected: User unknown (in reply to end of DATA command))`,
    'Nov 30 14:29:23 relay8 postfix/qmgr[82]: 4AF1: removed',
    `${h}4AF1: to=<u@d.example>, relay=mx.d.example[192.0.2.7]:25, delay=5, dsn=2.0.0, status=sent (250 ok)`,
  ];
}

/** smtpd "reject:" lines (the byte path hands them to the regex, slowB): ports, cuts, HELOs, odd fields. */
function rejectShapes(): string[] {
  const h = 'Nov 30 14:29:22 relay9 postfix/smtpd[71]: ';
  const r = '450 4.7.1 <a.b>: Helo command rejected: Host not found';
  return [
    `${h}connect from x[1.2.3.4]`,
    `${h}NOQUEUE: reject: RCPT from x[1.2.3.4]:25: ${r}; from=<> to=<b@c> proto=ESMTP helo=<a.b>`,
    `${h}NOQUEUE: reject: RCPT from x[1.2.3.4]:25: ${r}; from=<> to=<b@c> proto=ESMTP helo=<a.b>`,
    `${h}NOQUEUE: reject: RCPT from x[1.2.3.4]: ${r}; from=<> to=<b@c> proto=ESMTP helo=<other>`,
    `${h}disconnect from x[1.2.3.4]`,
    `${h}4ABQ: reject: RCPT from x[1.2.3.4]: ${r}, from=<a@b> to=<b@c> proto=ESMTP helo=<a.b>`,
    `${h}NOQUEUE: reject: CONNECT from [1.2.3.4]:5555: 550 5.3.2 Service currently unavailable; proto=SMTP`,
    `${h}NOQUEUE: reject: CONNECT from [1.2.3.4]:5555: 550 5.3.2 Service currently unavailable, proto=SMTP helo=<>`,
    `${h}NOQUEUE: reject: RCPT from x[1.2.3.4]: ${r}; from=<> to=<b@c> proto=ESMTP helo=<>`,
    // Where the reply is cut decides the check: the text after each cut names another one.
    `${h}NOQUEUE: reject: RCPT from x[1.2.3.4]: 554 5.7.1 no; from=<Relay access denied> to=<b@c> proto=ESMTP helo=<a>`,
    `${h}NOQUEUE: reject: RCPT from x[1.2.3.4]: 554 5.7.1 no, from=<Relay access denied> to=<b@c> proto=ESMTP helo=<a>`,
    `${h}NOQUEUE: reject: RCPT from x[1.2.3.4]: 554 5.7.1 no; proto=Relay access denied helo=<a>`,
    `${h}NOQUEUE: reject: RCPT from x[1.2.3.4]: 554 5.7.1 no, proto=Relay access denied helo=<a>`,
    `${h}NOQUEUE: reject: RCPT from x[1.2.3.4]: 554 5.7.1 no; from=<a> Relay access denied; from=<b>, proto=x helo=<a>`,
    `${h}NOQUEUE: reject: RCPT from x[1.2.3.4]: 554 5.7.1 no, from=<a> Relay access denied; from=<b>, from=<c> helo=<a>`,
    `${h}NOQUEUE: reject: RCPT from x[1.2.3.4]: ${r}; from=<> to=<b@c> proto=ESMTP helo=<abc`,
    `${h}NOQUEUE: reject: RCPT from x[1.2.3.4]: ${r} helo=<q> x>y`,
    `${h}NOQUEUE: reject: RCPT from x[1.2.3.4]: `,
    `${h}NOQUEUE: reject: RCPT from x[1.2.3.4]:`,
    `${h}NOQUEUE: reject: RCPT from x[1.2.3.4]:abc: ${r}`,
    `${h}NOQUEUE: reject: RCPT from x[1.2.3.4]:25 ${r}`,
    `${h}NOQUEUE: reject: RCPT from x[1.2.3.4]::25: ${r}`,
    `${h}NOQUEUE: reject: RCPT from x[1.2 .3.4]: ${r}; helo=<s p>`,
    `${h}NOQUEUE: reject: RCPT\tfrom x[1.2.3.4]: ${r}`,
    `${h}NOQUEUE: reject: RCPT  from x[1.2.3.4]: ${r}`,
    `${h}NOQUEUE: reject:  RCPT from x[1.2.3.4]: ${r}`,
    `${h}NOQUEUE: reject: RCPT from x y[1.2.3.4]: ${r}`,
    `${h}NOQUEUE: reject: RCPT from x[1.2.3.4: ${r}`,
    `${h}NOQUEUE: reject: RCPT from x[1.2.3.4]: ${r}\r; from=<> helo=<a>`,
    `${h}NOQUEUE: reject: RCPT from x[1.2.3.4]: ${r}\u000b; from=<> helo=<a\u000cb>`,
    `${h}NOQUEUE: reject: RCPT from x[1.2.3.4]: ${'x'.repeat(3000)}; from=<> helo=<a>`,
    `${h}NOQUEUE: reject: RCPT from x[1.2.3.4]: ${'y'.repeat(3000)} helo=<a>`,
    `${h}NOQUEUE: reject: RCPT from unknown[1.2.3.4]: 554 5.7.1 Service unavailable; Client host [1.2.3.4] blocked using zen.spamhaus.org; from=<> to=<b@c> proto=ESMTP helo=<dyn>`,
    `${h}NOQUEUE: reject: RCPT from unknown[1.2.3.4]: 501 5.5.2 <bad_name!>: Helo command rejected: Invalid name; from=<> to=<b@c> proto=ESMTP helo=<bad_name!>`,
    `${h}NOQUEUE: reject: RCPT from x[1.2.3.4]: 550 5.1.1 <b@c>: Recipient address rejected: User unknown; from=<> to=<b@c> proto=ESMTP`,
    'Nov 30 14:29:22 relay9 postfix/postscreen[72]: NOQUEUE: reject: RCPT from [1.2.3.4]:4444: 550 5.7.1 Service unavailable; client [1.2.3.4] blocked using zen; from=<a@b>, to=<b@c>, proto=ESMTP, helo=<h.example>',
    'Nov 30 14:29:22 relay9 postfix/strict/smtpd[73]: NOQUEUE: reject: RCPT from x[1.2.3.4]: 450 4.7.1 <a>: Helo command rejected: Host not found; from=<> to=<b@c> proto=ESMTP helo=<a>',
  ];
}

/**
 * A parallel range (the second part of a split file, LogAggregator.startRange): the lines through
 * the run's sink on bytes (fastbytes.ts), against the same sink handed characters only (fast.ts,
 * which records the range's births and operations by its own code). The whole snapshot (counters,
 * recorded operations, the births' Bloom filters) must be equal.
 */
async function bothRanged(lines: string[], cuts: number[] = []) {
  const o: AggregateOptions = { bucket: 'hour', since: null, until: null };
  const bytes = new LogAggregator(o);
  const chars = new LogAggregator(o);
  bytes.startRange(16);
  chars.startRange(16);
  const stats = { bytes: 0 };
  const text = lines.length === 0 ? '' : `${lines.join('\n')}\n`;
  await readLines(Readable.from(pieces(Buffer.from(text, 'utf8'), cuts)), 'test', lineSink(newParseContext('auto', REF, 'r0'), bytes, stats), MAX_LINE, { fileStart: false });
  const sink = lineSink(newParseContext('auto', REF, 'r0'), chars);
  for (const raw of lines) {
    let line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.length > MAX_LINE) {
      sink.capped();
      line = line.slice(0, MAX_LINE);
    }
    sink.chunk(null, null);
    sink.line(line, 0, line.length);
  }
  return { bytes: bytes.snapshot(), chars: chars.snapshot(), taken: stats.bytes };
}

describe('fastBytes (the byte-level fast path)', () => {
  it('counts a generated 30,000-line Postfix log exactly as parseLine + add, nearly all of it on bytes', async () => {
    const r = await both(generated, [65_536, 131_072, 1_000_000, 1_000_001]);
    expect(r.fast).toEqual(r.slow);
    expect(r.fast.totals.delivered).toBeGreaterThan(1000);
    // Every line but those joined across the chunk cuts (at most one per cut) is read on bytes.
    expect(r.bytes).toBeGreaterThanOrEqual(generated.length - 4);
  });

  it('the same with --log-format syslog, with --since/--until, and with day buckets', async () => {
    for (const [format, opts] of [
      ['syslog', {}],
      ['auto', { since: Date.UTC(2026, 10, 1, 3), until: Date.UTC(2026, 10, 1, 9) }],
      ['auto', { bucket: 'day' as const }],
    ] as const) {
      const r = await both(generated, [], format, opts);
      expect(r.fast).toEqual(r.slow);
      expect(r.bytes).toBe(generated.length);
    }
  });

  it('other --log-format values never use it', async () => {
    for (const format of ['rfc3339', 'exim', 'rspamd', 'journal-json', 'short-iso'] as const) {
      const r = await both(generated.slice(0, 500), [], format);
      expect(r.fast).toEqual(r.slow);
      expect(r.bytes).toBe(0);
    }
  });

  it('odd headers, messages and delivery lines: the same counts (hand-picked edge cases)', async () => {
    const lines = edgeLines();
    // Each line alone in its chunk, all in one chunk, and in the one chunk twice (the header table warm).
    const r1 = await both(lines, lines.map((_, i) => lines.slice(0, i + 1).reduce((n, l) => n + l.length + 1, 0)));
    expect(r1.fast).toEqual(r1.slow);
    const r2 = await both([...lines, ...lines]);
    expect(r2.fast).toEqual(r2.slow);
    expect(r2.bytes).toBeGreaterThan(40);
  });

  it('many hosts and programs (the header table replaces entries), and many destinations (the in-place index)', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const host = `relay${i % 300}.example`;
      const prog = ['postfix/smtp', 'postfix/smtpd', 'postfix/qmgr', 'postfix-out/smtp', `postfix${i % 7}/smtp`][i % 5];
      lines.push(`Nov 30 14:29:${String(i % 60).padStart(2, '0')} ${host} ${prog}[${i}]: 4A${i}: to=<u${i}@dest${i % 997}.test>, relay=mx.dest${i % 997}.test[192.0.2.${i % 250}]:25, delay=1, dsn=2.0.0, status=sent (250 ok)`);
      lines.push(`Nov 30 14:29:${String(i % 60).padStart(2, '0')} ${host} ${prog}[${i}]: disconnect from x[1.2.3.4]`);
      lines.push(`Nov 30 14:29:${String(i % 60).padStart(2, '0')} ${host} ${prog}[${i}]: 4A${i}: removed`);
    }
    const r = await both(lines);
    expect(r.fast).toEqual(r.slow);
    expect(r.fast.destinations.length).toBe(997);
    expect(r.bytes).toBeGreaterThan(8000);
  });

  it('a repeated stamp is re-read after the year tracker moved on the character path (the per-second stamp cache)', async () => {
    // Dec 31 (2025: after the Nov 30 reference), then Jan 1 in a non-ASCII chunk (read on characters:
    // the year wraps to 2026 there), then the first stamp again: Dec 31 of 2026 now, not the time
    // the byte path read for the same 15 bytes before.
    const a = 'Dec 31 23:59:59 relay1 postfix/smtpd[1]: connect from a.example[192.0.2.1]';
    const b = 'Jan  1 00:00:00 relay1 postfix/smtpd[1]: connect from \u00e9.example[192.0.2.1]';
    const lines = [a, a, b, a, a];
    const r = await both(lines, lines.map((_, i) => Buffer.byteLength(lines.slice(0, i + 1).join('\n'), 'utf8') + 1));
    expect(r.fast).toEqual(r.slow);
    expect(r.fast.time.last).toBe('2026-12-31T23:59:59.000Z');
    expect(r.bytes).toBe(4);
    // The same 15 bytes followed by something other than the space: no stamp, an unparsed line.
    const odd = [a, `${a.slice(0, 15)}X${a.slice(16)}`, a];
    const r2 = await both(odd);
    expect(r2.fast).toEqual(r2.slow);
    expect(r2.fast.unparsed.count).toBe(1);
  });

  it('a queue id followed by ":" but not ": " is not a queue id (the scan that ends at ": " only)', async () => {
    const lines = [
      'Nov 30 14:29:21 relay1 postfix/smtpd[1]: 4ABC:xclient=a.example[192.0.2.1]',
      'Nov 30 14:29:21 relay1 postfix/smtp[2]: 4ABC:xto=<a@b.example>, relay=mx.b.example[192.0.2.2]:25, delay=1, dsn=2.0.0, status=sent (250 ok)',
      'Nov 30 14:29:22 relay1 postfix/smtpd[1]: 4ABD: client=a.example[192.0.2.1]',
    ];
    const r = await both(lines);
    expect(r.fast).toEqual(r.slow);
    expect(r.fast.totals.received).toBe(1);
    expect(r.fast.totals.delivered).toBe(0);
  });

  it('a line over the cap inside an ASCII chunk is cut and counted, the lines around it read on bytes', async () => {
    const long = `Nov  1 01:00:00 relay1 postfix/smtp[5]: 4ABD: to=<a@b.example>, relay=mx[192.0.2.1]:25, delay=1, status=sent (${'x'.repeat(70_000)})`;
    const lines = [...generated.slice(0, 200), long, `${long}\r`, ...generated.slice(200, 400)];
    for (const cuts of [[], [1_000_000], [20_000, 60_000, 90_000, 130_000, 200_000]]) {
      const r = await both(lines, cuts);
      expect(r.fast).toEqual(r.slow);
      expect(r.fast.lines.capped).toBe(2);
      expect(r.bytes).toBeGreaterThan(390);
    }
  });

  it('any chunk cuts of a mixed log (non-ASCII lines, CRLF, hostile lines) give the same counts (property)', async () => {
    const base = generated.slice(0, 300);
    const extra = ['Nov  1 00:00:00 h\u00e9st postfix/smtpd[1]: 4ABE: client=x', 'Nov  1 00:00:01 relay1 postfix/smtp[5]: 4ABD: to=<a@b.\u00e9xample>, relay=mx[192.0.2.1]:25, delay=1, status=sent (250 ok)', 'Nov  1 00:00:02 relay1 postfix/qmgr[2]: 4ABD: removed\r', '\u0001\u00ff garbage'];
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(40_000), { maxLength: 12 }), fc.array(fc.tuple(fc.nat(base.length), fc.nat(extra.length - 1)), { maxLength: 6 }), async (cuts, adds) => {
        const lines = [...base];
        for (const [at, k] of adds) lines.splice(at, 0, extra[k] as string);
        // (Cuts every 4 KiB as well: a chunk with a non-ASCII line has no bytes, the others do.)
        const r = await both(lines, [...cuts, ...Array.from({ length: 10 }, (_, i) => (i + 1) * 4096)]);
        expect(r.fast).toEqual(r.slow);
        expect(r.bytes).toBeGreaterThan(0);
      }),
      { numRuns: 40, seed: 14 },
    );
  });

  it('random mutations of real lines: the same counts (property)', async () => {
    const base = generated.slice(0, 400);
    const alphabet = [' ', ':', ': ', '[', ']', 'x', '\r', '0', '9', 'removed', 'to=<', 'client=', 'disconnect from ', 'postfix/', ', ', ',', '>', '<', '@', 'A', 'Z', '\t', 'forwarded as ', 'status=sent', 'status=deferred', 'orig_to=<a@b>, ', 'conn_use=2, ', 'delays=1, ', 'dsn=2.0.0, ', 'reject: ', 'info: ', 'uid=', 'Dec', ' 1', '\u00e9', ' helo=<', '; from=<', ', from=<', '; proto=', ', proto=', ' from ', ']:25: ', 'status=bounced', ' (', ')', 'relay=none, ', 'delay=1, '];
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(base.length - 1), fc.nat(200), fc.nat(12), fc.constantFrom(...alphabet)), { minLength: 1, maxLength: 60 }), async (edits) => {
        const lines = edits.map(([i, at, cut, ins]) => {
          const l = base[i] as string;
          const p = Math.min(at, l.length);
          return l.slice(0, p) + ins + l.slice(p + (cut % 3 === 0 ? cut : 0));
        });
        // Lines made non-ASCII by an edit go through the strings (their chunk has no bytes): split
        // the ASCII ones off into their own run so that the byte path sees every other shape.
        const ascii = lines.filter((l) => !/[^\x00-\x7f]/.test(l));
        const r = await both(ascii);
        expect(r.fast).toEqual(r.slow);
        const m = await both(lines, [1000, 5000]);
        expect(m.fast).toEqual(m.slow);
      }),
      { numRuns: 150, seed: 14 },
    );
  });
});

describe('fastBytes on a parallel range (src/logs/range.ts: the worker thread reads on bytes too)', () => {
  it('the second half of a generated log: the same snapshot as fast.ts, births and recorded operations included', async () => {
    const r = await bothRanged(generated.slice(14_321), [65_536, 200_000]);
    expect(r.bytes).toEqual(r.chars);
    // The operations the byte path records itself were met: a delivery, a removal and a disconnect
    // of a queue id or session born before the range.
    const kinds = new Set(r.bytes.ops.map((op) => op[0]));
    for (const k of ['s', 'r', 'e'] as const) expect(kinds.has(k)).toBe(true);
    expect(r.bytes.ops.length).toBeGreaterThan(50);
    expect(r.bytes.overflow).toBeNull();
    expect(r.taken).toBeGreaterThanOrEqual(generated.length - 14_321 - 3);
  });

  it('the hand-picked edge cases, alone in their chunks and twice in one: the same snapshot', async () => {
    const lines = edgeLines();
    const r1 = await bothRanged(lines, lines.map((_, i) => lines.slice(0, i + 1).reduce((n, l) => n + l.length + 1, 0)));
    expect(r1.bytes).toEqual(r1.chars);
    const r2 = await bothRanged([...lines, ...lines]);
    expect(r2.bytes).toEqual(r2.chars);
    expect(r2.taken).toBeGreaterThan(40);
  });

  it('a journald JSON line in an ASCII chunk refuses the range, as on characters', async () => {
    const json = '{"MESSAGE":"x","SYSLOG_IDENTIFIER":"postfix/smtp","_HOSTNAME":"h","__REALTIME_TIMESTAMP":"1764512961000000"}';
    const r = await bothRanged([...generated.slice(100, 200), json, ...generated.slice(200, 300)]);
    expect(r.bytes).toEqual(r.chars);
    expect(r.bytes.overflow).toBe('a journald JSON line in the range');
  });

  it('random mutations of real lines: the same snapshot (property)', async () => {
    const base = generated.slice(5000, 5400);
    const alphabet = [' ', ':', ': ', '[', ']', 'x', '\r', '0', 'removed', 'to=<', 'client=', 'connect from ', 'disconnect from ', 'uid=', 'sender=', 'postfix/', ', ', '>', '@', 'A', 'status=sent', 'status=deferred', 'status=bounced', 'dsn=2.0.0, ', 'reject: ', 'info: ', '{'];
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(base.length - 1), fc.nat(200), fc.nat(12), fc.constantFrom(...alphabet)), { minLength: 1, maxLength: 80 }), async (edits) => {
        const lines = [...base.slice(0, 40)];
        for (const [i, at, cut, ins] of edits) {
          const l = base[i] as string;
          const p = Math.min(at, l.length);
          lines.push(l.slice(0, p) + ins + l.slice(p + (cut % 3 === 0 ? cut : 0)), base[(i + 1) % base.length] as string);
        }
        const r = await bothRanged(lines, [3000]);
        expect(r.bytes).toEqual(r.chars);
      }),
      { numRuns: 100, seed: 14 },
    );
  });
});

describe('the four-bytes-at-a-time reads of fastBytes (findB, eqAt)', () => {
  // A wrong answer here would not change any count (the line would go to the fallback and be
  // counted the same), so they are checked against the plain loops directly.
  const naiveFind = (u: Uint8Array, from: number, e: number, ch: number): number => {
    for (let i = from; i < e; i++) if (u[i] === ch) return i;
    return -1;
  };
  const naiveEq = (u: Uint8Array, i: number, e: number, p: string): boolean => {
    if (i + p.length > e) return false;
    for (let j = 0; j < p.length; j++) if (u[i + j] !== p.charCodeAt(j)) return false;
    return true;
  };
  it('findB finds the first byte as a byte loop does, at every offset, in views at any byte offset (property)', () => {
    // Few distinct byte values (the searched one among them, and its neighbours, 0x00, 0x7f, 0x80, 0xff), so matches are frequent.
    const alphabet = [0, 1, 43, 44, 45, 61, 62, 63, 0x7f, 0x80, 0x81, 0xfe, 0xff];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...alphabet), { maxLength: 40 }), fc.nat(7), fc.constantFrom(0, 44, 62, 0x80, 0xff, 1), (bytes, pad, ch) => {
        const backing = new Uint8Array(pad + bytes.length + 5).fill(ch); // (bytes past e hold ch: a read past the end would show)
        backing.set(bytes, pad);
        const u = backing.subarray(pad, pad + bytes.length);
        const w = wordReadsForTest(u);
        for (let from = 0; from <= u.length; from++) {
          for (let e = from; e <= u.length; e++) expect(w.findB(from, e, ch)).toBe(naiveFind(u, from, e, ch));
        }
      }),
      { numRuns: 300 },
    );
  });
  it('eqAt compares as a byte loop does, for literals of 1 to 16 bytes, inside and across the line end (property)', () => {
    const lits = ['d', 'to=<', 'dsn=', 'relay=', 'client=', 'removed', 'reject: ', 'conn_use=', 'status=sent', 'connect from ', 'forwarded as ', 'disconnect from '];
    fc.assert(
      fc.property(fc.constantFrom(...lits), fc.nat(5), fc.nat(4), fc.nat(17), fc.integer({ min: -1, max: 20 }), (p, pre, pad, flipAt, cut) => {
        const line = 'x'.repeat(pre) + p + ' tail';
        const bytes = Buffer.from(line, 'latin1');
        if (flipAt < p.length && cut >= 0) bytes[pre + flipAt] = (bytes[pre + flipAt] as number) ^ (1 << (cut % 7)); // one bit off inside the literal
        const backing = new Uint8Array(pad + bytes.length);
        backing.set(bytes, pad);
        const u = backing.subarray(pad);
        const w = wordReadsForTest(u);
        const e = cut < 0 ? u.length : Math.min(u.length, pre + cut);
        for (let i = 0; i <= u.length; i++) expect(w.eqAt(i, e, p)).toBe(naiveEq(u, i, e, p));
      }),
      { numRuns: 500 },
    );
  });
});
