/**
 * The two memos of the slow path (logsfast3): remoteReply() in postfix.ts keys a "host X said: ..."
 * reason by its part from "said: " on, and LogAggregator.refusal() remembers what it derived from a
 * reply. Both must give what a fresh computation gives.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseClassifyInput } from '../../src/analysis/log-line.js';
import { LIMITS, LogAggregator } from '../../src/logs/aggregate.js';
import type { DeliveryEvent } from '../../src/logs/events.js';
import { KNOWN_CLEANUP_REJECT, KNOWN_DELIVERY, KNOWN_SMTPD_INFO, KNOWN_SMTPD_REJECT, parsePostfix, parsePostfixKnown } from '../../src/logs/postfix.js';

function deliveryReply(reason: string, status = 'deferred') {
  const ev = parsePostfix('smtp', 'postfix/smtp', `4ABC: to=<a@b.example>, relay=mx[192.0.2.1]:25, delay=1, dsn=4.7.1, status=${status} (${reason})`, 0, 'r1', 'postfix/smtp[1]') as DeliveryEvent;
  expect(ev.kind).toBe('delivery');
  return ev.reply;
}

/** What the reply must be: the classifier's reading of the whole reason (the stage only where the case fixes it). */
function expected(reason: string) {
  const p = parseClassifyInput(reason);
  return { code: p.reply.code, enhanced: p.reply.enhanced, text: p.reply.text };
}

describe('remoteReply keyed by the part from "said: " on', () => {
  it('the same tail after different hosts reads the same, and as the whole reason reads', () => {
    const tail = 'said: 450 4.7.1 Client host rejected: cannot find your reverse hostname, [198.51.100.3] (in reply to RCPT TO command)';
    for (const host of ['mx1.a.example[192.0.2.1]', 'mx2.b.example[192.0.2.2]', 'x', 'mx(in[1.2.3.4]']) {
      const reason = `host ${host} ${tail}`;
      const r = deliveryReply(reason);
      expect(r).toMatchObject(expected(reason));
      expect(r?.stage).toBe('rcpt');
      expect(r?.text).toBe('4.7.1 Client host rejected: cannot find your reverse hostname, [198.51.100.3]');
    }
  });

  it('a tail without a reply code is read with its prefix (never keyed by the tail); a reason that itself starts with "said:" does not answer for one', () => {
    // Without a code after "said:" the classifier reads the whole reason as text: each host differs.
    const a = deliveryReply('host h1 said: hello there');
    const b = deliveryReply('host h2 said: hello there');
    expect(a).toMatchObject(expected('host h1 said: hello there'));
    expect(b).toMatchObject(expected('host h2 said: hello there'));
    expect(a?.text).not.toBe(b?.text);
    // A reason not keyed by its tail first, then a host with the same tail.
    const c = deliveryReply('relay said: greetings');
    const d = deliveryReply('host h3 said: greetings');
    expect(c).toMatchObject(expected('relay said: greetings'));
    expect(d).toMatchObject(expected('host h3 said: greetings'));
  });

  it('hosts with ":" or odd characters, random tails: each reply as the whole reason reads (property)', () => {
    const hosts = ['mx[2001:db8::1]', 'a:b', 'mx[192.0.2.1]', 'h(in', 'said:', 'refused', 'x]said:', 'reject'];
    const tails = [
      'said: 550 5.7.1 blocked (in reply to end of DATA command)',
      'said: 421 4.7.0 try later (in reply to MAIL FROM command)',
      'said: 550-5.7.25 a 550-5.7.25 b 550 5.7.25 c (in reply to RCPT TO command)',
      'said: no code here',
      'said: 554 refused to talk to me: 554 no',
      'said: 250 ok)',
      'said:   451 x',
      'said: reject: RCPT from x[1.2.3.4]: 550 y',
    ];
    fc.assert(
      fc.property(fc.constantFrom(...hosts), fc.constantFrom(...tails), fc.nat(3), (host, tail, order) => {
        const reason = `host ${host} ${tail}`;
        // Seen in different orders against the other tails, so that the keyed entry may come from another host.
        if (order === 1) deliveryReply(`host other.example ${tail}`);
        const r = deliveryReply(reason);
        expect(r).toMatchObject(expected(reason));
      }),
      { numRuns: 200, seed: 14 },
    );
  });
});

describe('LogAggregator.refusal memo', () => {
  function agg(lines: Array<[string, string]>): ReturnType<LogAggregator['summary']> {
    const a = new LogAggregator({ bucket: 'hour', since: null, until: null });
    lines.forEach(([status, reason], i) => {
      const ev = parsePostfix('smtp', 'postfix/smtp', `4A${i}: to=<u${i}@d${i % 3}.example>, relay=mx[192.0.2.1]:25, delay=1, status=${status} (${reason})`, 0, 'relay1', 'postfix/smtp[5]');
      a.add(ev, '');
    });
    return a.summary();
  }

  it('the same text with another code, enhanced code or stage is another reply; repeats count on the first', () => {
    const s = agg([
      ['deferred', 'host a[1.2.3.4] said: 450 4.7.1 Greylisted (in reply to RCPT TO command)'],
      ['deferred', 'host b[1.2.3.5] said: 451 4.7.1 Greylisted (in reply to RCPT TO command)'],
      ['deferred', 'host c[1.2.3.6] said: 450 4.7.2 Greylisted (in reply to RCPT TO command)'],
      ['deferred', 'host d[1.2.3.7] said: 450 4.7.1 Greylisted (in reply to MAIL FROM command)'],
      ['deferred', 'host e[1.2.3.8] said: 450 4.7.1 Greylisted (in reply to RCPT TO command)'],
      ['bounced', 'host e[1.2.3.8] said: 450 4.7.1 Greylisted (in reply to RCPT TO command)'],
      ['deferred', 'connect to x[1.2.3.9]:25: Connection timed out'],
      ['deferred', 'connect to x[1.2.3.9]:25: Connection timed out'],
    ]);
    // (A distinct reply is code, enhanced code and normalised text: the MAIL FROM one counts on the first.)
    expect(s.replies.map((r) => [r.code, r.enhanced, r.stage, r.count])).toEqual([
      [450, '4.7.1', 'rcpt', 4],
      [null, null, null, 2],
      [451, '4.7.1', 'rcpt', 1],
      [450, '4.7.2', 'rcpt', 1],
    ]);
    expect(s.refusals.reduce((n, r) => n + r.deferrals + r.bounced, 0)).toBe(8);
  });

  it('past the cap of distinct replies a new reply counts in the overflow every time, an old one still counts', () => {
    const lines: Array<[string, string]> = [];
    // Letters only: the normalisation keeps them apart (it folds digit-bearing tokens).
    const word = (i: number): string => (i < 26 ? String.fromCharCode(97 + i) : word(Math.floor(i / 26) - 1) + String.fromCharCode(97 + (i % 26)));
    for (let i = 0; i < LIMITS.replies; i++) lines.push(['deferred', `host a[1.2.3.4] said: 450 4.7.1 reason ${word(i)} here`]);
    for (let i = 0; i < 5; i++) lines.push(['deferred', 'host a[1.2.3.4] said: 450 4.7.1 one more reason, past the cap']);
    for (let i = 0; i < 3; i++) lines.push(['deferred', lines[0]![1]]);
    const s = agg(lines);
    expect(s.replies.length).toBe(LIMITS.replies);
    expect(s.limits.repliesOverflow).toBe(5);
    expect(s.replies.reduce((n, r) => n + r.count, 0)).toBe(LIMITS.replies + 3);
    expect(s.totals.deferrals).toBe(LIMITS.replies + 8);
  });
});

describe('smtpd reject replies memoised; parsePostfixKnown', () => {
  it('the same reply after other clients and HELOs: the same code, enhanced code, text and check; the rest from the line', () => {
    const reply = '450 4.7.1 <nx.invalid.test>: Helo command rejected: Host not found';
    for (const [client, helo] of [['unknown[203.0.113.5]', 'nx.invalid.test'], ['a.example[203.0.113.6]:25', 'x'], ['b[203.0.113.7]', 'y']]) {
      const ev = parsePostfix('smtpd', 'postfix/smtpd', `NOQUEUE: reject: RCPT from ${client}: ${reply}; from=<a@b> to=<c@d> proto=ESMTP helo=<${helo}>`, 0, 'r1', 'postfix/smtpd[1]');
      expect(ev).toMatchObject({ kind: 'reject', code: 450, enhanced: '4.7.1', text: '<nx.invalid.test>: Helo command rejected: Host not found', check: 'reject_unknown_helo_hostname', helo, counted: true });
    }
    const m = parsePostfix('smtpd', 'postfix/smtpd', `NOQUEUE: milter-reject: RCPT from b[203.0.113.7]: ${reply}; from=<a@b> to=<c@d> proto=ESMTP helo=<h>`, 0, 'r1', 'postfix/smtpd[1]');
    expect(m).toMatchObject({ check: 'milter', counted: false, code: 450 });
  });

  it('parsePostfixKnown gives the event parsePostfix gives, for each kind it is told', () => {
    const cases: Array<[number, string, string]> = [
      [KNOWN_DELIVERY, 'smtp', '4ABC: to=<a@b.example>, relay=mx[192.0.2.1]:25, delay=1, dsn=4.7.1, status=deferred (host mx[192.0.2.1] said: 450 4.7.1 no PTR (in reply to RCPT TO command))'],
      [KNOWN_DELIVERY, 'smtp', '4ABC: to=<a@b.example>, relay=mx[192.0.2.1]:25, delay=1, status=undeliverable (x)'],
      [KNOWN_DELIVERY, 'smtpd', '4ABC: to=<broken'],
      [KNOWN_SMTPD_REJECT, 'smtpd', 'NOQUEUE: reject: RCPT from x[1.2.3.4]: 554 5.7.1 Service unavailable; Client host [1.2.3.4] blocked using zen; from=<> to=<b@c> proto=ESMTP helo=<h>'],
      [KNOWN_SMTPD_REJECT, 'postscreen', 'NOQUEUE: reject_warning: RCPT from x[1.2.3.4]: 450 4.7.1 x, from=<a>, to=<b>, proto=ESMTP, helo=<h>'],
      [KNOWN_SMTPD_REJECT, 'smtpd', 'NOQUEUE: reject: nonsense'],
      [KNOWN_SMTPD_INFO, 'smtpd', 'NOQUEUE: info: RCPT from x[1.2.3.4]: whatever; helo=<h>'],
      [KNOWN_SMTPD_INFO, 'smtpd', 'NOQUEUE: info: no helo here'],
      [KNOWN_CLEANUP_REJECT, 'cleanup', '4ABD: reject: header Subject: x from y[1.2.3.4]; from=<> to=<> proto=ESMTP helo=<h>: 5.7.1 no'],
      [KNOWN_CLEANUP_REJECT, 'cleanup', '4ABD: milter-reject: END-OF-MESSAGE from y[1.2.3.4]: 5.7.1 spam; from=<> to=<> proto=ESMTP helo=<h>'],
    ];
    for (const [known, service, msg] of cases) {
      const r = msg.indexOf(': ') + 2;
      expect(parsePostfixKnown(known, service, `postfix/${service}`, msg, r, 5, 'r1', `postfix/${service}[9]`), msg).toEqual(parsePostfix(service, `postfix/${service}`, msg, 5, 'r1', `postfix/${service}[9]`));
    }
  });
});
