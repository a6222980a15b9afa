/**
 * The fast path (src/logs/fast.ts) must count every line exactly as parseLine() + add() does: it is
 * an optimisation, never a second reading of the log. Each test feeds the same lines to two
 * aggregators, one through fastLine (falling back to parseLine when it declines, as run.ts does)
 * and one through parseLine only, and compares the whole summaries.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs bench script without types
import { generateText } from '../../bench/logs-gen.mjs';
import { LogAggregator, type AggregateOptions } from '../../src/logs/aggregate.js';
import type { LogFormat } from '../../src/logs/events.js';
import { fastLine } from '../../src/logs/fast.js';
import { newParseContext, parseLine } from '../../src/logs/parse.js';
import { sentShapes } from './sent-shapes.js';

const REF = new Date('2026-11-30T12:00:00Z');
const FIX = join(import.meta.dirname, '..', 'fixtures', 'logs');

/** Both summaries, and how many lines the fast path took (so a test can check it ran at all). */
function both(lines: string[], format: LogFormat = 'auto', opts: Partial<AggregateOptions> = {}) {
  const o: AggregateOptions = { bucket: 'hour', since: null, until: null, ...opts };
  const fast = new LogAggregator(o);
  const slow = new LogAggregator(o);
  const cf = newParseContext(format, REF, 'r0');
  const cs = newParseContext(format, REF, 'r0');
  let taken = 0;
  // One text holding every line, as read.ts hands them out (ranges of a decoded chunk).
  const text = lines.join('\n');
  let pos = 0;
  for (const line of lines) {
    if (fastLine(text, pos, pos + line.length, cf, fast)) taken++;
    else fast.add(parseLine(line, cf), line);
    slow.add(parseLine(line, cs), line);
    pos += line.length + 1;
  }
  return { fast: fast.summary(), slow: slow.summary(), taken };
}

const generated: string[] = (generateText(30_000) as string).split('\n').slice(0, -1);

describe('fastLine', () => {
  it('counts a generated 30,000-line Postfix log exactly as parseLine + add, taking most lines itself', () => {
    const r = both(generated);
    expect(r.fast).toEqual(r.slow);
    expect(r.fast.totals.delivered).toBeGreaterThan(1000);
    expect(r.taken).toBe(generated.length);
  });

  it('the same with --log-format syslog, with --since/--until, and with day buckets', () => {
    for (const [format, opts] of [
      ['syslog', {}],
      ['auto', { since: Date.UTC(2026, 10, 1, 3), until: Date.UTC(2026, 10, 1, 9) }],
      ['auto', { bucket: 'day' as const }],
    ] as const) {
      const r = both(generated, format, opts);
      expect(r.fast).toEqual(r.slow);
    }
  });

  it('declines every format it does not read: fixtures of all formats give the same summary', () => {
    for (const f of ['postfix-classic.txt', 'postfix-rfc3339.txt', 'journal.json', 'journal-short-iso.txt', 'exim-mainlog.txt', 'rspamd.txt', 'spamd.txt']) {
      const lines = readFileSync(join(FIX, f), 'utf8').split('\n');
      for (const format of ['auto', 'syslog', 'rfc3339', 'exim', 'rspamd'] as const) {
        const r = both(lines, format);
        expect(r.fast, `${f} as ${format}`).toEqual(r.slow);
      }
    }
  });

  it('odd headers and messages: the same counts (hand-picked edge cases)', () => {
    const lines = [
      'Nov 30 14:29:21 host postfix/smtpd[1]: disconnect from x[1.2.3.4]',
      'Nov 30 14:29:21 host postfix/smtpd: disconnect from x[1.2.3.4]', // no pid: not a session end
      'Nov 30 14:29:21 host postfix/smtpd[1]: info: RCPT from x[1.2.3.4]: helo=<a b>',
      'Nov 30 14:29:21 host postfix/smtpd[1]: NOQUEUE: reject: RCPT from x[1.2.3.4]: 450 4.7.1 <a>: Helo command rejected: Host not found; from=<> to=<b@c> proto=ESMTP helo=<a>',
      'Nov 30 14:29:21 host postfix/smtpd[1]: 4ABC: client=x[1.2.3.4]',
      'Nov 30 14:29:21 host postfix/smtpd[1]: 4A-BC: client=x[1.2.3.4]', // not a queue id
      // A deferral, then lines that only look like its removal, then the delivery: still "after a deferral".
      'Nov 30 14:29:21 host postfix/smtp[5]: 4ABC: to=<a@b.example>, relay=mx[192.0.2.1]:25, delay=1, dsn=4.7.1, status=deferred (host mx[192.0.2.1] said: 450 4.7.1 no PTR (in reply to RCPT TO command))',
      'Nov 30 14:29:21 host postfix/qmgr[2]: 4ABC: removed ',
      'Nov 30 14:29:21 host postfix/qmgr[2]: 4ABC: removedx',
      'Nov 30 14:29:21 host postfix/qmgr[2]: 4ABC:removed',
      'Nov 30 14:29:21 host postfix/qmgrx[2]: 4ABC: removed',
      'Nov 30 14:29:21 host postfix/smtp[5]: 4ABC: to=<a@b.example>, relay=mx[192.0.2.1]:25, delay=1, dsn=2.0.0, status=sent (250 ok)',
      'Nov 30 14:29:21 host postfix/smtp[5]: 4ABF: to=<a@b.example>, relay=mx[192.0.2.1]:25, delay=1, dsn=4.7.1, status=deferred (host mx[192.0.2.1] said: 450 4.7.1 no PTR (in reply to RCPT TO command))',
      'Nov 30 14:29:21 host postfix/qmgr[2]: 4ABF: removed',
      'Nov 30 14:29:21 host postfix/smtp[5]: 4ABF: to=<a@b.example>, relay=mx[192.0.2.1]:25, delay=1, dsn=2.0.0, status=sent (250 ok)',
      // A session's HELO counts once until its disconnect (only a real one ends it).
      'Nov 30 14:29:21 host postfix/smtpd[7]: NOQUEUE: reject: RCPT from x[1.2.3.4]: 504 5.5.2 <h>: Helo command rejected: need fully-qualified hostname; from=<> to=<b@c> proto=ESMTP helo=<h>',
      'Nov 30 14:29:21 host postfix/smtpd[7]: disconnect  from x[1.2.3.4]',
      'Nov 30 14:29:21 host postfix/smtpd[7]: NOQUEUE: reject: RCPT from x[1.2.3.4]: 504 5.5.2 <h>: Helo command rejected: need fully-qualified hostname; from=<> to=<b@c> proto=ESMTP helo=<h>',
      'Nov 30 14:29:21 host postfix/smtpd[7]: disconnect from x[1.2.3.4]',
      'Nov 30 14:29:21 host postfix/smtpd[7]: NOQUEUE: reject: RCPT from x[1.2.3.4]: 504 5.5.2 <h>: Helo command rejected: need fully-qualified hostname; from=<> to=<b@c> proto=ESMTP helo=<h>',
      'Nov 30 14:29:21 host postfix/smtpd[8]: 4ABG: client=x[1.2.3.4]',
      'Nov 30 14:29:21 host postfix/smtpd[8]: 4ABG: client =x[1.2.3.4]',
      'Nov 30 15:29:21 host postfix/pickup[8]: 4ABH: sender=<a>',
      'Nov 30 14:29:21 host postfix/pickup[3]: 4ABD: uid=0 from=<root>',
      'Nov 30 14:29:21 host postfix/cleanup[4]: 4ABD: reject: header Subject: x from y[1.2.3.4]; from=<> to=<> proto=ESMTP helo=<h>: 5.7.1 no',
      'Nov 30 14:29:21 host postfix-out/smtp[5]: 4ABD: to=<a@B.example>, relay=mx[192.0.2.1]:25, delay=1, delays=1/0/0/0, dsn=2.0.0, status=sent (250 ok)',
      'Nov 30 14:29:21 host postfix/smtp[5]: 4ABD: to=<a@b>, relay=none, delay=1, dsn=4.4.1, status=deferred (connect to b[192.0.2.9]:25: Connection refused)',
      'Nov 30 14:29:21 host postfix/smtp[5]: 4ABD: to=<a@b>, relay=none, delay=1, status=undeliverable (x)',
      'Nov 30 14:29:21 host postfix/smtpd[1: x]: disconnect from x', // ": " inside the brackets
      'Nov 30 14:29:21 host postfix/smtpd [1]: connect from x', // space in the tag
      'Nov 30 14:29:21 host [1]: connect from x', // empty tag
      'Nov 30 14:29:21  postfix/smtpd[1]: connect from x', // empty host
      'Nov 30 14:29:21 host postfix/smtpd[1]:connect', // no ": "
      'Nov 30 14:29:21 host postfix/smtpd[1]: ',
      'Nov 30 14:29:21 host postfix/smtpd[1]: x: ',
      'Nov 30 14:29:21 host',
      'Nov 30 14:29:21 h\u00e9st postfix/smtpd[1]: 4ABE: client=x', // non-ASCII host
      'Nov 30 14:29:21 host postf\u00efx/smtpd[1]: 4ABE: client=x',
      'Nov 31 14:29:21 host postfix/smtpd[1]: connect from x', // day 31 of November: JS Date rolls over, as parseClassic does
      'Nov 30 24:29:21 host postfix/smtpd[1]: connect from x', // bad hour
      'Nox 30 14:29:21 host postfix/smtpd[1]: connect from x',
      'N\u0100v 30 14:29:21 host postfix/smtpd[1]: connect from x',
      'Dec 31 23:59:59 host postfix/qmgr[2]: 4ABC: removed',
      'Jan  1 00:00:00 host postfix/qmgr[2]: 4ABC: removed', // year wrap
      'Jan  1 00:00:01 host rspamd[9]: <abc>; task; rspamd_task_write_log: id: <x>, qid: <4ABC>, ip: 1.2.3.4, from: <a@b>, (default: F (no action): [1.50/15.00] [HFILTER_HELO_NORES_A_OR_MX(0.30){x;}])',
      'Jan  1 00:00:02 host spamd[9]: spamd: result: . 2 - RDNS_NONE,HELO_DYNAMIC_IPADDR scantime=0.1',
      '',
      'garbage',
    ];
    const r = both(lines);
    expect(r.fast).toEqual(r.slow);
    expect(r.taken).toBeGreaterThan(10);
  });

  it('status=sent lines read in place (sentLine): every optional field, and each shape it must leave to parsePostfix', () => {
    const at = 'Nov 30 14:29:21 host postfix/smtp[5]: ';
    const lines = [
      ...sentShapes(at),
      // Non-ASCII shapes: parsePostfix's business too.
      `${at}4ABD: to=<a@b.\u00e9xample>, relay=mx[192.0.2.1]:25, delay=1, status=sent (250 ok)`,
      `${at}4ABD: to=<a@b.example>, relay=mx[192.0.2.1]:25, delay=1, status=sent (250\u2028ok)`,
      `${at}4ABD: to=<a@b.example>, relay=mx[192.0.2.1]:25, delay=1, status=sent (250\u2029ok)`,
    ];
    const r = both(lines);
    expect(r.fast).toEqual(r.slow);
    expect(r.taken).toBeGreaterThan(10);
  });

  it('searches that remember the next "," and ">" of a chunk: lines out of order, and lines without them', () => {
    const at = 'Nov 30 14:29:21 host postfix/smtp[5]: ';
    const lines = [
      `${at}4ABD: to=<a@b.example`,
      `${at}4ABD: to=<a@b.example> relay=mx[192.0.2.1]:25 delay=1 status=sent (no commas)`,
      `${at}4ABC: to=<a@b.example>, relay=mx[192.0.2.1]:25, delay=1, dsn=2.0.0, status=sent (250 ok)`,
      `${at}4ABE: to=<c@d.example>, relay=mx.d.example[192.0.2.7]:25, delay=1, dsn=2.0.0, status=sent (250 ok)`,
    ];
    const text = lines.join('\n');
    const starts = lines.map((_, i) => lines.slice(0, i).reduce((n, l) => n + l.length + 1, 0));
    for (const order of [[0, 1, 2, 3], [3, 2, 1, 0], [2, 0, 3, 1]]) {
      const o: AggregateOptions = { bucket: 'hour', since: null, until: null };
      const fast = new LogAggregator(o);
      const slow = new LogAggregator(o);
      const cf = newParseContext('auto', REF, 'r0');
      const cs = newParseContext('auto', REF, 'r0');
      for (const i of order) {
        const line = lines[i] as string;
        const st = starts[i] as number;
        if (!fastLine(text, st, st + line.length, cf, fast)) fast.add(parseLine(line, cf), line);
        slow.add(parseLine(line, cs), line);
      }
      expect(fast.summary(), order.join()).toEqual(slow.summary());
      expect(fast.summary().totals.delivered).toBe(2);
    }
  });

  it('random mutations of real lines: the same counts (property)', () => {
    const base = generated.slice(0, 400);
    const alphabet = [' ', ':', ': ', '[', ']', 'x', '\u00e9', '\r', '0', 'removed', 'to=<', 'client=', 'disconnect from ', 'postfix/', ', ', ',', '>', '@', 'A', '\t', '\u2028', 'forwarded as ', 'status=sent', 'orig_to=<a@b>, ', 'conn_use=2, '];
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(base.length - 1), fc.nat(200), fc.nat(12), fc.constantFrom(...alphabet)), { minLength: 1, maxLength: 60 }),
        (edits) => {
          const lines = edits.map(([i, at, cut, ins]) => {
            const l = base[i] as string;
            const p = Math.min(at, l.length);
            return l.slice(0, p) + ins + l.slice(p + (cut % 3 === 0 ? cut : 0));
          });
          const r = both(lines);
          expect(r.fast).toEqual(r.slow);
        },
      ),
      { numRuns: 150, seed: 14 },
    );
  });
});
