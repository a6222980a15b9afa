/**
 * Exim's own HELO syntax check logs without "H=" (seen from a real Exim 4.96 in
 * test/mta/exim-logs.test.ts); these lines were missed before, so eximstats counted more rejects.
 */
import { describe, expect, it } from 'vitest';
import { parseEximBody } from '../../src/logs/exim.js';
import { newParseContext, parseLine } from '../../src/logs/parse.js';

describe('Exim HELO syntax rejects', () => {
  it('reads "rejected EHLO from [ip]: syntactically invalid argument(s): NAME"', () => {
    const e = parseEximBody('rejected EHLO from [127.0.0.1]: syntactically invalid argument(s): bad_name!', 0, 'r1');
    expect(e).toMatchObject({ kind: 'reject', command: 'EHLO', clientIp: '127.0.0.1', clientName: null, helo: 'bad_name!', check: 'reject_invalid_helo_hostname' });
  });
  it('with a host name looked up, and HELO', () => {
    const e = parseEximBody('rejected HELO from mx.example.net [192.0.2.7]: syntactically invalid argument(s): a b', 0, 'r1');
    expect(e).toMatchObject({ kind: 'reject', command: 'HELO', clientName: 'mx.example.net', clientIp: '192.0.2.7', helo: 'a b' });
  });
  it('other "rejected ..." lines without H= stay unjudged', () => {
    expect(parseEximBody('rejected connection from 192.0.2.7 for no reason', 0, 'r1').kind).toBe('other');
  });
});

describe('Exim continuation lines', () => {
  // Real Exim 4.96 output (a warning written over two lines, the second indented).
  const lines = [
    '2026-11-30 19:15:03 Warning: No server certificate defined; will use a selfsigned one.',
    ' Suggested action: either install a certificate or change tls_advertise_hosts option',
    '2026-11-30 19:15:04 rejected EHLO from [127.0.0.1]: syntactically invalid argument(s): bad_name!',
  ];
  for (const format of ['exim', 'auto'] as const) {
    it(`an indented line after a mainlog entry belongs to it (--log-format ${format})`, () => {
      const ctx = newParseContext(format, new Date('2026-12-01T00:00:00Z'), 'r1');
      const kinds = lines.map((l) => parseLine(l, ctx).kind);
      expect(kinds).toEqual(['other', 'other', 'reject']);
    });
  }
  it('an indented line with no mainlog entry before it stays unknown', () => {
    const ctx = newParseContext('auto', new Date('2026-12-01T00:00:00Z'), 'r1');
    expect(parseLine(lines[1]!, ctx).kind).toBe('unknown');
    expect(parseLine('Nov 30 14:29:21 host postfix/qmgr[1]: ABC123: removed', ctx).kind).not.toBe('unknown');
    expect(parseLine(lines[1]!, ctx).kind).toBe('unknown');
  });
});
