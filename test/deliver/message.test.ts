import { describe, expect, it } from 'vitest';
import { assertPlainAddress, buildMessage, defaultFrom, formatDate, newToken } from '../../src/deliver/message.js';
import { parseQueueId } from '../../src/deliver/queue-id.js';
import { readHostResults, verdictLines } from '../../src/deliver/results-file.js';
import { UsageError } from '../../src/errors.js';
import type { HostResult, ProbeResult } from '../../src/results.js';

const base = {
  from: 'postmaster@mail.sender.example.test',
  to: 'seed@example.test',
  helo: 'mail.sender.example.test',
  source: '192.0.2.7',
  token: '0123456789abcdef0123456789abcdef',
  date: new Date(Date.UTC(2023, 10, 7, 10, 0, 1)),
  tls: 'opportunistic',
  route: ['mx1.example.test 192.0.2.10:25 (MX 10)'],
  verdicts: [],
  verdictSource: null,
  toolVersion: '0.1.0',
};

describe('buildMessage', () => {
  it('writes RFC 5322 headers, the token twice, CRLF line ends and the identity in the body', () => {
    const m = buildMessage(base);
    const cut = m.raw.indexOf('\r\n\r\n');
    const head = m.raw.slice(0, cut);
    const body = m.raw.slice(cut + 4);
    expect(head.split('\r\n')).toEqual([
      'Date: Tue, 07 Nov 2023 10:00:01 +0000',
      'From: postmaster@mail.sender.example.test',
      'To: seed@example.test',
      'Subject: mxprobe test 0123456789abcdef0123456789abcdef',
      'Message-ID: <0123456789abcdef0123456789abcdef.mxprobe@mail.sender.example.test>',
      'X-Mxprobe-Token: 0123456789abcdef0123456789abcdef',
      'X-Mxprobe-Helo: mail.sender.example.test',
      'X-Mxprobe-Source: 192.0.2.7',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=us-ascii',
      'Content-Transfer-Encoding: 7bit',
      'Auto-Submitted: auto-generated',
    ]);
    expect(body).toContain('\r\nHELO: mail.sender.example.test\r\n');
    expect(body).toContain('\r\nSource IP: 192.0.2.7\r\n');
    expect(body).toContain('Time: 2023-11-07T10:00:01.000Z');
    expect(m.raw).not.toMatch(/(?<!\r)\n/);
    expect(m.raw).toMatch(/^[\x00-\x7f]*$/);
    expect(m.messageId).toBe('<0123456789abcdef0123456789abcdef.mxprobe@mail.sender.example.test>');
  });

  it('quotes probe verdicts and clips very long lines below 998 octets', () => {
    const m = buildMessage({ ...base, source: null, verdicts: ['x'.repeat(2000)], verdictSource: 'run.json' });
    expect(m.raw).toContain('Source IP: system-chosen');
    expect(m.raw).toContain('Probe verdicts for this route (from run.json):');
    for (const line of m.raw.split('\r\n')) expect(line.length).toBeLessThanOrEqual(998);
  });

  it('tokens are 128-bit hex and distinct', () => {
    const tokens = new Set(Array.from({ length: 100 }, newToken));
    expect(tokens.size).toBe(100);
    for (const t of tokens) expect(t).toMatch(/^[0-9a-f]{32}$/);
  });

  it('formatDate uses a numeric zone', () => expect(formatDate(new Date(0))).toBe('Thu, 01 Jan 1970 00:00:00 +0000'));

  it('defaultFrom borrows the HELO domain, refuses bare IPs and literals', () => {
    expect(defaultFrom('mail.example.test.')).toBe('postmaster@mail.example.test');
    expect(() => defaultFrom('192.0.2.7')).toThrow(UsageError);
    expect(() => defaultFrom('[192.0.2.7]')).toThrow(UsageError);
    expect(() => defaultFrom('localhost')).toThrow(UsageError);
  });

  it('assertPlainAddress refuses non-ASCII, missing domain and header-breaking characters', () => {
    expect(() => assertPlainAddress('seed@example.test', '--to')).not.toThrow();
    expect(() => assertPlainAddress('séed@example.test', '--to')).toThrow(UsageError);
    expect(() => assertPlainAddress('seed', '--to')).toThrow(UsageError);
    expect(() => assertPlainAddress('a@b.test, c@d.test', '--to')).toThrow(UsageError);
    expect(() => assertPlainAddress('<a@b.test>', '--to')).toThrow(UsageError);
  });
});

describe('parseQueueId', () => {
  it.each([
    ['250 2.0.0 Ok: queued as 4XyzQ1Hd7Gz9sWZ', { id: '4XyzQ1Hd7Gz9sWZ', style: 'postfix' }],
    ['250 OK id=1rAbCd-000123-4x', { id: '1rAbCd-000123-4x', style: 'exim' }],
    ['250 2.0.0 3A7A02xk012345 Message accepted for delivery', { id: '3A7A02xk012345', style: 'sendmail' }],
    ['250 2.6.0 <a1b2@EX01.corp.example> [InternalId=12345, Hostname=EX01.corp.example] Queued mail for delivery', { id: '<a1b2@EX01.corp.example>', style: 'exchange' }],
    ['250 2.0.0 OK  1700000000 x12si1234567abc.12 - gsmtp', { id: 'x12si1234567abc.12', style: 'gmail' }],
    ['250 OK: message queued', null],
    ['250 Accepted', null],
  ])('%s', (reply, want) => expect(parseQueueId(reply)).toEqual(want));
});

describe('results file', () => {
  const probe = (name: string, outcome: 'accepted' | 'rejected'): ProbeResult =>
    ({
      identity: { kind: 'primary', name, source: null },
      status: 'success',
      verdict: { outcome, stage: 'rcpt', code: outcome === 'accepted' ? 250 : 550, enhanced: outcome === 'accepted' ? '2.1.5' : '5.7.1', text: '', cause: outcome === 'accepted' ? 'none' : 'helo-policy' },
    }) as unknown as ProbeResult;
  const host = (exchange: string, ip: string, probes: ProbeResult[]): HostResult => ({ exchange, ip, port: 25, family: 4, probes }) as unknown as HostResult;
  const hosts = [host('mx1.example.test', '192.0.2.10', [probe('a.example', 'accepted'), probe('b.example', 'rejected')]), host('mx2.example.test', '192.0.2.11', [probe('a.example', 'accepted')])];

  it('reads RunResult JSON and NDJSON alike', () => {
    const json = JSON.stringify({ schemaVersion: 1, targets: [{ hosts }] });
    const ndjson = [{ type: 'run' }, ...hosts.map((h) => ({ type: 'host', ...h })), { type: 'summary' }].map((r) => JSON.stringify(r)).join('\n');
    expect(readHostResults(json).map((h) => h.exchange)).toEqual(['mx1.example.test', 'mx2.example.test']);
    expect(readHostResults(ndjson).map((h) => h.exchange)).toEqual(['mx1.example.test', 'mx2.example.test']);
    expect(() => readHostResults('not json\n{}', 'x.ndjson')).toThrow(/x\.ndjson:1/);
  });

  it('quotes only the probes of hosts on the route', () => {
    const lines = verdictLines(hosts, [{ exchange: 'MX1.example.test.', ip: '192.0.2.10' }]);
    expect(lines).toEqual([
      'mx1.example.test [192.0.2.10] primary HELO a.example: accepted at rcpt 250 2.1.5',
      'mx1.example.test [192.0.2.10] primary HELO b.example: rejected at rcpt 550 5.7.1 cause=helo-policy',
    ]);
  });
});
