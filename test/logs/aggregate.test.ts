import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LogAggregator, normaliseReply, type LogSummary } from '../../src/logs/aggregate.js';
import { newParseContext, parseLine } from '../../src/logs/parse.js';
import { lineSink } from '../../src/logs/range.js';
import { readLines } from '../../src/logs/read.js';
import { heloPtrTargets, targetsFileText } from '../../src/logs/targets.js';

function summarise(text: string, opts: Partial<{ since: number; until: number; bucket: 'hour' | 'day' }> = {}, ref = new Date('2027-01-01T02:00:00Z')): LogSummary {
  const agg = new LogAggregator({ bucket: opts.bucket ?? 'hour', since: opts.since ?? null, until: opts.until ?? null });
  const ctx = newParseContext('auto', ref, 'exim-host');
  for (const l of text.split('\n')) if (l.length > 0) agg.add(parseLine(l, ctx), l);
  return agg.summary();
}
const fx = (n: string): string => readFileSync(new URL(`../fixtures/logs/${n}`, import.meta.url), 'utf8');

describe('LogAggregator on the classic fixture', () => {
  const s = summarise(fx('postfix-classic.txt'));
  it('totals as pflogsumm 1.1.5 prints them for this file (received 2, delivered 2, deferred 2 (3 deferrals), bounced 2, rejected 4, forwarded 1)', () => {
    expect(s.totals).toEqual({ received: 2, delivered: 2, deferred: 2, deferrals: 3, bounced: 2, rejected: 4, forwarded: 1, expired: 0, deliveredAfterDeferral: 1 });
  });
  it('per relay: relay2 is refused by outlook.test for no-ptr, relay1 is not', () => {
    const r = s.refusals.find((x) => x.relay === 'relay2' && x.domain === 'outlook.test');
    expect(r).toEqual({ relay: 'relay2', domain: 'outlook.test', cause: 'no-ptr', heloOrPtr: true, deferrals: 2, bounced: 0 });
    expect(s.refusals.filter((x) => x.relay === 'relay1').map((x) => x.cause)).toEqual(['blocklist']);
    expect(s.refusals[0]?.heloOrPtr).toBe(true); // HELO/PTR causes first
  });
  it('per destination and MX: deferred-then-delivered counts once as deferred and once as delivered after deferral', () => {
    const d = s.destinations.find((x) => x.domain === 'outlook.test');
    expect(d).toMatchObject({ sent: 1, deferred: 1, deferrals: 2, bounced: 1, deliveredAfterDeferral: 1, acceptanceRate: 0.5 });
    expect(d?.mx.map((m) => [m.ip, m.sent, m.deferrals, m.bounced])).toEqual([
      ['192.0.2.10', 0, 2, 1],
      ['192.0.2.11', 1, 0, 0],
    ]);
    expect(s.destinations.find((x) => x.domain === 'relay2.our.test')).toBeUndefined(); // a forward is not a delivery
  });
  it('inbound: rejects by check, HELO names and the share failing the syntactic rules', () => {
    expect(s.inbound.rejects).toEqual({ reject_non_fqdn_helo_hostname: 1, reject_unknown_client_hostname: 1, reject_invalid_helo_hostname: 1, reject_unknown_helo_hostname: 1 });
    expect(s.inbound.warnings).toBe(1);
    expect(s.inbound.heloObserved).toBe(5);
    expect(s.inbound.heloRules).toEqual([
      { rule: 'reject_invalid_helo_hostname', failing: 1, observed: 5, share: 0.2 },
      { rule: 'reject_non_fqdn_helo_hostname', failing: 1, observed: 5, share: 0.2 },
    ]);
  });
  it('unparsed lines are counted with examples; time buckets cross the year wrap', () => {
    expect(s.unparsed).toEqual({ count: 1, examples: ['this line is not a log line at all'] });
    expect(s.time.series.map((b) => b.start)).toEqual(['2026-12-31T23:00:00.000Z', '2027-01-01T00:00:00.000Z', '2027-01-01T01:00:00.000Z']);
    expect(s.time.series[1]).toMatchObject({ delivered: 1, deferrals: 2, bounced: 1, rejected: 4 });
  });
  it('--since/--until keep only events in range, counting the rest', () => {
    const w = summarise(fx('postfix-classic.txt'), { since: Date.parse('2027-01-01T01:00:00Z') });
    expect(w.totals).toMatchObject({ delivered: 1, deferrals: 1, bounced: 1, rejected: 0, received: 0 });
    expect(w.lines.outOfRange).toBeGreaterThan(10);
  });
  it('emit-targets: the destinations refused for HELO or reverse-DNS reasons, as a probe targets file', () => {
    expect(heloPtrTargets(s)).toEqual([{ domain: 'outlook.test', causes: ['no-ptr'], refusals: 2 }]);
    expect(targetsFileText(heloPtrTargets(s))).toContain('\noutlook.test  # no-ptr (2 refusals)\n');
    expect(targetsFileText([{ domain: 'evil.test\n--helo x', causes: ['no-ptr'], refusals: 1 }])).not.toContain('evil');
  });
});

describe('other formats through the aggregator', () => {
  it('exim: deliveries, a deferral later delivered, inbound HELO checks and HELO names', () => {
    const s = summarise(fx('exim-mainlog.txt'));
    expect(s.totals).toMatchObject({ received: 4, delivered: 3, deferred: 1, deferrals: 1, bounced: 1, rejected: 5, deliveredAfterDeferral: 1 });
    expect(s.relays.map((r) => r.relay)).toEqual(['exim-host']);
    expect(s.destinations.find((d) => d.domain === 'strict.test')?.causes).toEqual({ 'fcrdns-fail': 1 });
    expect(s.destinations.find((d) => d.domain === 'grey.test')?.causes).toEqual({ 'helo-not-resolving': 1 });
    expect(s.inbound.rejects).toMatchObject({ exim_helo_verify: 2, reject_invalid_helo_hostname: 1, reject_unlisted_recipient: 1, reject_rbl_client: 1 });
  });
  it('rspamd and spamd: hostname symbols with count and the score they added (null when not logged)', () => {
    const s = summarise(`${fx('rspamd.txt')}${fx('spamd.txt')}`);
    expect(s.spam.scanned).toEqual({ rspamd: 2, spamassassin: 2 });
    expect(s.spam.symbols).toEqual({
      RDNS_NONE: { count: 3, score: 2 },
      HFILTER_HELO_BAREIP: { count: 1, score: 3 },
      HFILTER_HOSTNAME_UNKNOWN: { count: 1, score: 2.5 },
      HFILTER_HELO_NOT_FQDN: { count: 1, score: 2 },
      HELO_DYNAMIC_IPADDR: { count: 1, score: null },
      RDNS_DYNAMIC: { count: 1, score: null },
    });
  });
});

describe('normaliseReply groups refusals that differ only in per-message tokens', () => {
  it('queue ids, addresses, IPs and tokens are replaced; words stay', () => {
    const a = normaliseReply('5.7.25 [198.51.100.3] The IP address sending this message does not have a PTR record setup. a640c23a62f3a-abc123si1234567.12 - gsmtp');
    const b = normaliseReply('5.7.25 [198.51.100.9] The IP address sending this message does not have a PTR record setup. zz40c23a62f3a-q9si7654321.99 - gsmtp');
    expect(a).toBe(b);
    expect(a).toContain('PTR record setup');
    expect(normaliseReply('5.1.1 <joe@x.test>: Recipient address rejected: User unknown')).toBe(normaliseReply('5.1.1 <ann@y.test>: Recipient address rejected: User unknown'));
    expect(normaliseReply('Helo command rejected: Host not found')).toBe('Helo command rejected: Host not found');
  });
});

describe('a recipient whose quoted local part holds ">" (RFC 5321 §4.1.2) is a delivery', () => {
  // Postfix logs the address as is: to=<"a>b"@example.test>. The pattern [^>]* stopped at that ">"
  // and these lines were counted as lines.other. (pflogsumm 1.1.5 does not count them either; with
  // an orig_to= it counts the orig_to address: README says where the totals differ.)
  const lines = [
    'Nov 30 14:29:20 relay1 postfix/smtpd[123]: 4ABC123: client=app.our.test[10.0.0.1]',
    'Nov 30 14:29:22 relay1 postfix/smtp[125]: 4ABC123: to=<"a>b"@Example.TEST>, relay=mx.example.test[192.0.2.1]:25, delay=1.2, delays=0.1/0/0.5/0.6, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as XYZ)',
    'Nov 30 14:29:23 relay1 postfix/smtp[125]: 4ABC123: to=<"c>, d"@example.test>, relay=mx.example.test[192.0.2.1]:25, delay=1.2, delays=0.1/0/0.5/0.6, dsn=4.7.1, status=deferred (host mx.example.test[192.0.2.1] said: 450 4.7.1 Client host rejected: cannot find your reverse hostname, [198.51.100.3] (in reply to RCPT TO command))',
    'Nov 30 14:29:24 relay1 postfix/smtp[125]: 4ABC123: to=<"c>, d"@example.test>, relay=mx.example.test[192.0.2.1]:25, delay=2, delays=0.1/0/0.5/0.6, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as XYZ)',
    'Nov 30 14:29:25 relay1 postfix/smtp[125]: 4ABC123: to=<"e\\">f"@example.test>, relay=mx.example.test[192.0.2.1]:25, delay=1.2, delays=0.1/0/0.5/0.6, dsn=5.7.1, status=bounced (host mx.example.test[192.0.2.1] said: 550 5.7.1 no (in reply to RCPT TO command))',
    'Nov 30 14:29:26 relay1 postfix/smtp[125]: 4ABC123: to=<"g>h"@example.test>, orig_to=<"i>j"@our.test>, relay=mx.example.test[192.0.2.1]:25, delay=1.2, delays=0.1/0/0.5/0.6, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as XYZ)',
  ];
  const ref = new Date('2026-12-01T00:00:00Z');
  const expectDeliveries = (s: LogSummary): void => {
    expect(s.totals).toMatchObject({ received: 1, delivered: 3, deferred: 1, deferrals: 1, bounced: 1, deliveredAfterDeferral: 1 });
    expect(s.lines.other).toBe(0);
    expect(s.destinations.map((d) => [d.domain, d.sent, d.deferred, d.bounced, d.deliveredAfterDeferral])).toEqual([['example.test', 3, 1, 1, 1]]);
    expect(s.refusals.map((r) => [r.domain, r.cause])).toEqual([['example.test', 'no-ptr'], ['example.test', 'policy']]);
  };
  it('parseLine reads the address whole, its domain lower-cased', () => {
    const ctx = newParseContext('auto', ref, 'x');
    expect(parseLine(lines[1] as string, ctx)).toMatchObject({ kind: 'delivery', to: '"a>b"@example.test', domain: 'example.test', status: 'sent', mxIp: '192.0.2.1' });
    expect(parseLine(lines[4] as string, ctx)).toMatchObject({ kind: 'delivery', to: '"e\\">f"@example.test', status: 'bounced' });
  });
  it('counted as deliveries by parseLine + add()', () => {
    expectDeliveries(summarise(lines.join('\n'), {}, ref));
  });
  it('counted as deliveries through the reader, on ASCII chunks (the byte path) and on others (the string path)', async () => {
    for (const extra of [[], ['Nov 30 14:29:27 relay1 postfix/cleanup[126]: 4ABC124: message-id=<\u00e9@our.test>']]) {
      const agg = new LogAggregator({ bucket: 'hour', since: null, until: null });
      await readLines(Readable.from([Buffer.from(`${[...lines, ...extra].join('\n')}\n`, 'utf8')]), 'test', lineSink(newParseContext('auto', ref, 'x'), agg));
      const s = agg.summary();
      expect(s.lines.other).toBe(extra.length);
      expect(s.totals).toMatchObject({ received: 1, delivered: 3, deferred: 1, deferrals: 1, bounced: 1, deliveredAfterDeferral: 1 });
      expect(s.destinations.map((d) => [d.domain, d.sent, d.deferred, d.bounced, d.deliveredAfterDeferral])).toEqual([['example.test', 3, 1, 1, 1]]);
    }
  });
});
