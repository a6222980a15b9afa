/**
 * Exim's own HELO syntax check logs without "H=" (seen from a real Exim 4.96 in
 * test/mta/exim-logs.test.ts); these lines were missed before, so eximstats counted more rejects.
 */
import { describe, expect, it } from 'vitest';
import { parseEximBody } from '../../src/logs/exim.js';

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
