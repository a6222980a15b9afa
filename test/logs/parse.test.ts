import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { LogEvent } from '../../src/logs/events.js';
import { YearTracker, parseClassic } from '../../src/logs/header.js';
import { newParseContext, parseLine } from '../../src/logs/parse.js';
import { lastFieldCut } from '../../src/logs/postfix.js';
import { parseRspamdSymbols, parseSpamdResult, isHostnameSymbol } from '../../src/logs/spam.js';

const fixture = (name: string): string[] =>
  readFileSync(new URL(`../fixtures/logs/${name}`, import.meta.url), 'utf8')
    .split('\n')
    .filter((l) => l.length > 0);
const parseAll = (lines: string[], ref = new Date('2026-12-01T00:00:00Z'), format: Parameters<typeof newParseContext>[0] = 'auto'): LogEvent[] => {
  const ctx = newParseContext(format, ref, 'exim-host');
  return lines.map((l) => parseLine(l, ctx));
};
const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());

describe('classic syslog stamps: year inference from the file time, and a year wrap', () => {
  it('a December line read with a January reference belongs to the year before; Dec -> Jan moves forward', () => {
    const years = YearTracker.fromDate(new Date('2027-01-01T02:00:00Z'));
    const a = parseClassic('Dec 31 23:59:58 relay1 postfix/pickup[1]: X: uid=0 from=<a>', years);
    const b = parseClassic('Jan  1 00:00:01 relay1 postfix/smtp[2]: X: to=<a@b>', years);
    expect(iso(a?.time ?? null)).toBe('2026-12-31T23:59:58.000Z');
    expect(iso(b?.time ?? null)).toBe('2027-01-01T00:00:01.000Z');
    expect(a).toMatchObject({ host: 'relay1', program: 'postfix/pickup', msg: 'X: uid=0 from=<a>' });
  });
  it('a log whose months are all at or before the reference month stays in the reference year', () => {
    const years = YearTracker.fromDate(new Date('2026-11-30T12:00:00Z'));
    expect(iso(parseClassic('Nov  3 01:02:03 h postfix/qmgr[9]: m', years)?.time ?? null)).toBe('2026-11-03T01:02:03.000Z');
    expect(iso(parseClassic('Nov 30 11:00:00 h postfix/qmgr[9]: m', years)?.time ?? null)).toBe('2026-11-30T11:00:00.000Z');
  });
  it('a first line more than a day after the reference date is last year\'s (stdin on Dec 1 given a Dec 31 line)', () => {
    const a = YearTracker.fromDate(new Date('2026-12-01T10:00:00Z'));
    expect(iso(parseClassic('Dec 31 23:59:59 relay1 postfix/smtp[1]: A1: to=<a@b.test>', a)?.time ?? null)).toBe('2025-12-31T23:59:59.000Z');
    // A day of slack (local stamps, UTC reference): the next day is still this year.
    const b = YearTracker.fromDate(new Date('2026-12-01T10:00:00Z'));
    expect(iso(parseClassic('Dec  2 01:00:00 relay1 postfix/smtp[1]: A1: to=<a@b.test>', b)?.time ?? null)).toBe('2026-12-02T01:00:00.000Z');
    const c = YearTracker.fromDate(new Date('2026-12-01T10:00:00Z'));
    expect(iso(parseClassic('Dec  3 01:00:00 relay1 postfix/smtp[1]: A1: to=<a@b.test>', c)?.time ?? null)).toBe('2025-12-03T01:00:00.000Z');
  });
  it('--year fixes the year; non-stamps are null', () => {
    expect(iso(parseClassic('Mar  1 00:00:00 h postfix/qmgr[9]: m', YearTracker.fixed(2020))?.time ?? null)).toBe('2020-03-01T00:00:00.000Z');
    expect(parseClassic('Foo  1 00:00:00 h postfix/qmgr[9]: m', YearTracker.fixed(2020))).toBeNull();
    expect(parseClassic('Mar 41 00:00:00 h postfix/qmgr[9]: m', YearTracker.fixed(2020))).toBeNull();
    expect(parseClassic('Mar  1 00:00:00 h no colon here', YearTracker.fixed(2020))).toBeNull();
  });
});

describe('postfix lines', () => {
  const ev = parseAll(fixture('postfix-classic.txt'), new Date('2027-01-01T02:00:00Z'));
  it('reads a bounce with the MX, the remote reply, its code and its stage', () => {
    expect(ev[3]).toMatchObject({
      kind: 'delivery',
      relay: 'relay1',
      queueId: '4R1aB2cD3e',
      to: 'bob@outlook.test',
      domain: 'outlook.test',
      mxHost: 'outlook-mx.test',
      mxIp: '192.0.2.10',
      status: 'bounced',
      dsn: '5.7.1',
      reply: { code: 550, enhanced: '5.7.1', stage: 'rcpt' },
    });
    expect((ev[3] as { reply: { text: string } }).reply.text).toContain('blocked using Spamhaus');
  });
  it('end-of-DATA refusals keep the data stage; connect failures have no reply and no MX', () => {
    const data = ev.find((e) => e.kind === 'delivery' && e.to === 'gina@yahoo.test');
    expect(data).toMatchObject({ status: 'bounced', reply: { code: 554, stage: 'data' } });
    const conn = ev.find((e) => e.kind === 'delivery' && e.to === 'frank@yahoo.test');
    expect(conn).toMatchObject({ status: 'deferred', reply: null, mxHost: null, mxIp: null });
  });
  it('smtpd rejects: check, client, HELO, code; reject_warning is not counted', () => {
    const rejects = ev.filter((e) => e.kind === 'reject');
    expect(rejects.map((r) => (r.kind === 'reject' ? [r.check, r.helo, r.code, r.counted] : null))).toEqual([
      ['reject_non_fqdn_helo_hostname', 'localhost', 504, true],
      ['reject_unknown_client_hostname', 'mail.example.test', 450, true],
      ['reject_invalid_helo_hostname', 'bad_helo!', 501, true],
      ['reject_unknown_helo_hostname', 'nx.example.test', 450, true],
      ['reject_unknown_reverse_client_hostname', '[203.0.113.11]', 450, false],
    ]);
    expect(rejects[0]).toMatchObject({ service: 'postfix/smtpd', clientIp: '203.0.113.7', command: 'RCPT', enhanced: '5.5.2' });
  });
  it('received via pickup and smtpd; forwarded; other and unknown lines', () => {
    expect(ev[0]).toMatchObject({ kind: 'received', via: 'pickup', queueId: '4R1aB2cD3e' });
    expect(ev.filter((e) => e.kind === 'received').map((e) => (e.kind === 'received' ? e.via : ''))).toEqual(['pickup', 'smtpd']);
    expect(ev.find((e) => e.kind === 'delivery' && e.forwarded)).toMatchObject({ to: 'root@relay2.our.test' });
    expect(ev[ev.length - 2]).toEqual({ kind: 'unknown' });
    expect(ev[ev.length - 1]).toMatchObject({ kind: 'other', relay: 'relay2' });
  });
  it('multi-instance and custom syslog names are Postfix too', () => {
    const [a, b] = parseAll([
      'Nov 30 10:00:00 h postfix-out/smtp[1]: ABC: to=<x@y.test>, relay=none, delay=1, delays=0/0/1/0, dsn=4.4.1, status=deferred (connect to y.test[192.0.2.1]:25: Connection refused)',
      'Nov 30 10:00:00 h postfix/strict/smtpd[2]: NOQUEUE: reject: RCPT from unknown[192.0.2.9]: 450 4.7.25 Client host rejected: cannot find your hostname, [192.0.2.9]; from=<> to=<a@b.test> proto=ESMTP helo=<[192.0.2.9]>',
    ]);
    expect(a).toMatchObject({ kind: 'delivery', status: 'deferred', agent: 'smtp' });
    expect(b).toMatchObject({ kind: 'reject', service: 'postfix/strict/smtpd', check: 'reject_unknown_client_hostname', counted: true });
  });
  it('cleanup header_checks and milter rejects count as rejected, as pflogsumm counts them', () => {
    const [h, m] = parseAll([
      'Nov 30 10:00:00 h postfix/cleanup[1]: 4ABC: reject: header Subject: buy now from unknown[192.0.2.9]; from=<a@b.test> to=<c@d.test> proto=ESMTP helo=<spam.test>: 5.7.1 Spam subject',
      'Nov 30 10:00:00 h postfix/cleanup[1]: 4ABD: milter-reject: END-OF-MESSAGE from unknown[192.0.2.9]: 5.7.1 Rejected by rspamd; from=<a@b.test> to=<c@d.test> proto=ESMTP helo=<spam.test>',
    ]);
    expect(h).toMatchObject({ kind: 'reject', check: 'header_body_checks', counted: true, helo: 'spam.test', enhanced: '5.7.1', text: 'Spam subject' });
    expect(m).toMatchObject({ kind: 'reject', check: 'milter', counted: true });
  });
});

describe('other syslog stamp formats', () => {
  it('RFC 3339 (Debian 12 rsyslog): the zone is applied, the year is the stamp\'s', () => {
    const ev = parseAll(fixture('postfix-rfc3339.txt'));
    expect(ev.map((e) => (e.kind === 'unknown' ? null : iso(e.time)))).toEqual(['2026-11-30T14:29:21.123Z', '2026-11-30T14:29:21.500Z', '2026-11-30T14:31:00.000Z']);
    expect(ev[0]).toMatchObject({ kind: 'delivery', relay: 'mx1', status: 'bounced', reply: { code: 550, stage: 'rcpt' } });
    expect(ev[2]).toMatchObject({ kind: 'reject', check: 'reject_unknown_reverse_client_hostname' });
  });
  it('journalctl -o short-iso, with its banner line unparsed', () => {
    const ev = parseAll(fixture('journal-short-iso.txt'));
    expect(ev[0]).toEqual({ kind: 'unknown' });
    expect(ev[1]).toMatchObject({ kind: 'delivery', status: 'deferred', relay: 'mx2', time: Date.parse('2026-11-30T14:29:21Z') });
    expect(ev[2]).toMatchObject({ kind: 'delivery', status: 'sent', time: Date.parse('2026-11-30T14:29:21Z') });
  });
  it('journalctl -o json, including a MESSAGE logged as a byte array', () => {
    const ev = parseAll(fixture('journal.json'));
    expect(ev[0]).toMatchObject({ kind: 'delivery', relay: 'mx3', status: 'bounced', reply: { code: 550, enhanced: '5.7.25', stage: 'data' }, time: 1796048961123 });
    expect(ev[1]).toMatchObject({ kind: 'reject', check: 'reject_non_fqdn_helo_hostname', code: 504 });
    expect(ev[2]).toMatchObject({ kind: 'other' });
    expect(parseAll(['{"MESSAGE": 5}', '{not json'])).toEqual([{ kind: 'unknown' }, { kind: 'unknown' }]);
  });
  it('--log-format forces one reader: a classic line is unknown to the rfc3339 reader', () => {
    const line = 'Nov 30 10:00:00 h postfix/qmgr[1]: ABC: removed';
    expect(parseAll([line], undefined, 'rfc3339')[0]).toEqual({ kind: 'unknown' });
    expect(parseAll([line], undefined, 'syslog')[0]).toMatchObject({ kind: 'queue-removed', queueId: 'ABC' });
  });
});

describe('exim mainlog', () => {
  const ev = parseAll(fixture('exim-mainlog.txt'));
  it('arrivals, deliveries (=> and ->), bounces and deferrals with the remote reply and stage', () => {
    expect(ev[0]).toMatchObject({ kind: 'received', source: 'exim', helo: 'app', relay: 'exim-host' });
    expect(ev[1]).toMatchObject({ kind: 'delivery', status: 'sent', to: 'bob@dest.test', mxHost: 'mx.dest.test', mxIp: '192.0.2.80', agent: 'remote_smtp' });
    expect(ev[2]).toMatchObject({ kind: 'delivery', status: 'sent', to: 'carol@dest.test' });
    expect(ev[5]).toMatchObject({ kind: 'delivery', status: 'bounced', domain: 'strict.test', reply: { code: 550, enhanced: '5.7.1', stage: 'rcpt' } });
    expect(ev[9]).toMatchObject({ kind: 'delivery', status: 'deferred', queueId: '1vAbCg-000Ab4-Zz', reply: { code: 450, stage: 'rcpt' } });
    expect(ev[10]).toMatchObject({ kind: 'delivery', status: 'sent', queueId: '1vAbCg-000Ab4-Zz' });
  });
  it('rejections: HELO checks (helo_verify, syntax), recipients, DNSBL; pid prefix allowed', () => {
    const r = ev.filter((e) => e.kind === 'reject');
    expect(r.map((e) => (e.kind === 'reject' ? [e.check, e.helo, e.clientIp] : null))).toEqual([
      ['exim_helo_verify', 'localhost', '203.0.113.20'],
      ['reject_invalid_helo_hostname', 'bad_name!', '203.0.113.21'],
      ['reject_unlisted_recipient', 'mail.friend.test', '203.0.113.22'],
      ['exim_helo_verify', 'fake.bank.test', '203.0.113.23'],
      ['reject_rbl_client', 'mail.spam.test', '203.0.113.24'],
    ]);
  });
});

describe('spam filters', () => {
  it('rspamd: every symbol with its score, options skipped even when they hold commas and brackets', () => {
    expect(parseRspamdSymbols('x rspamd_task_write_log: (default: F (no action): [1.00/15.00] [A_B(1.00){x,y;[z];},HFILTER_HELO_5(3.5){a{b}c;},C]), len: 1')).toEqual([
      { name: 'A_B', score: 1 },
      { name: 'HFILTER_HELO_5', score: 3.5 },
      { name: 'C', score: null },
    ]);
    const ev = parseAll(fixture('rspamd.txt'));
    expect(ev[0]).toMatchObject({ kind: 'spam', engine: 'rspamd' });
    expect(ev[0]?.kind === 'spam' ? ev[0].symbols.slice(0, 2) : null).toEqual([
      { name: 'HFILTER_HELO_BAREIP', score: 3 },
      { name: 'RDNS_NONE', score: 1 },
    ]);
    expect(ev[2]).toMatchObject({ kind: 'other' });
  });
  it('spamd: symbols without scores (spamd does not log them)', () => {
    expect(parseSpamdResult('spamd: result: Y 9 - HELO_DYNAMIC_IPADDR,RDNS_NONE scantime=0.6')).toEqual([
      { name: 'HELO_DYNAMIC_IPADDR', score: null },
      { name: 'RDNS_NONE', score: null },
    ]);
    const ev = parseAll(fixture('spamd.txt'));
    expect(ev.map((e) => e.kind)).toEqual(['spam', 'spam', 'other']);
  });
  it('hostname-related symbols are told from the rest', () => {
    expect(['HFILTER_HELO_5', 'HFILTER_HOSTNAME_UNKNOWN', 'RDNS_NONE', 'RDNS_DYNAMIC', 'HELO_DYNAMIC_IPADDR', 'RCVD_NUMERIC_HELO', 'FSL_HELO_BARE_IP_2'].every(isHostnameSymbol)).toBe(true);
    expect(['BAYES_SPAM', 'R_SPF_ALLOW', 'MIME_GOOD', 'URIBL_BLOCKED', 'DKIM_VALID'].some(isHostnameSymbol)).toBe(false);
  });
});

describe('lastFieldCut (the cut of an smtpd reject reply before its "; from=<" or "; proto=")', () => {
  it('equals the larger of the two lastIndexOf searches it replaces, on every string of up to 4 of these pieces', () => {
    // Exhaustive over the pieces that decide it: the separators, the field, a near-miss and filler.
    const pieces = [';', ',', ' ', ' from=<', '; from=<', ', from=<', 'x from=<', ' proto=', 'x'];
    let checked = 0;
    const walk = (s: string, depth: number): void => {
      for (const f of [' from=<', ' proto=']) {
        expect(lastFieldCut(s, f), JSON.stringify([s, f])).toBe(Math.max(s.lastIndexOf(`;${f}`), s.lastIndexOf(`,${f}`)));
        checked++;
      }
      if (depth < 4) for (const p of pieces) walk(s + p, depth + 1);
    };
    walk('', 0);
    expect(checked).toBeGreaterThan(10_000);
  });
});
