import { describe, expect, it } from 'vitest';
import { mtaStsVerdict, mxMatchesPattern, parseStsPolicy, parseStsTxt, pickStsTxt, type HostTlsFacts } from '../../src/transport/mta-sts.js';
import { parseTlsRptRecord, tlsRptVerdict } from '../../src/transport/tls-rpt.js';
import type { TlsDetails } from '../../src/results.js';

describe('MTA-STS TXT (RFC 8461 §3.1)', () => {
  it.each([
    ['v=STSv1; id=20160831085700Z;', true],
    ['v=STSv1;id=abc', true],
    ['v = STSv1 ; id = abc ; ext=val', true],
    ['v=STSv1; id=', false],
    ['v=STSv1; id=has-dash', false],
    ['v=STSv1; id=' + 'a'.repeat(33), false],
    ['v=STSv1;', false],
    ['v=STSv2; id=abc', false],
    ['v=STSv1; id=a; id=b', false],
    ['v=STSv1; id=a; bad field', false],
  ])('%s -> %s', (txt, ok) => expect(parseStsTxt(txt).ok).toBe(ok));
  it('several STSv1 records are invalid; others are ignored', () => {
    expect(pickStsTxt(['v=spf1 -all'])).toEqual({ kind: 'none' });
    expect(pickStsTxt(['v=STSv1; id=a', 'v=STSv1; id=b']).kind).toBe('invalid');
    expect(pickStsTxt(['v=STSv1; id=a', 'other'])).toEqual({ kind: 'ok', id: 'a' });
  });
});

describe('MTA-STS policy (RFC 8461 §3.2)', () => {
  const body = 'version: STSv1\nmode: enforce\nmx: mail.example.com\nmx: *.example.net\nmax_age: 604800\n';
  it('LF, CRLF and no final newline parse alike', () => {
    const a = parseStsPolicy(body);
    const b = parseStsPolicy(body.replace(/\n/g, '\r\n'));
    const c = parseStsPolicy(body.trimEnd());
    expect(a).toEqual(b);
    expect(a).toEqual(c);
    expect(a).toMatchObject({ ok: true, policy: { mode: 'enforce', maxAge: 604800, mx: ['mail.example.com', '*.example.net'] } });
  });
  it.each([
    ['version: STSv2\nmode: enforce\nmx: a.b\nmax_age: 1\n', /version/],
    ['version: STSv1\nmode: strict\nmx: a.b\nmax_age: 1\n', /mode/],
    ['version: STSv1\nmode: enforce\nmax_age: 1\n', /no mx/],
    ['version: STSv1\nmode: enforce\nmx: a.b\nmax_age: soon\n', /max_age/],
    ['version: STSv1\nmode: enforce\nmx: a.b\n', /max_age/],
    ['version: STSv1\nmode: enforce\nmode: testing\nmx: a.b\nmax_age: 1\n', /twice/],
    ['<html>hello</html>\n', /key: value/],
    ['version: STSv1\rmode: enforce\nmx: a.b\nmax_age: 1\n', /CR/],
    ['version: STSv1\nmode: enforce\nmx: bad name!\nmax_age: 1\n', /mx pattern/],
  ])('rejects %j', (text, err) => {
    const r = parseStsPolicy(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(err);
  });
  it('mode none needs no mx; unknown keys are ignored; max_age is capped', () => {
    expect(parseStsPolicy('version: STSv1\nmode: none\nmax_age: 1\nfoo: bar\n').ok).toBe(true);
    const r = parseStsPolicy('version: STSv1\nmode: testing\nmx: a.b\nmax_age: 9999999999\n');
    expect(r.ok && r.policy.maxAge).toBe(31557600);
  });
});

describe('MX patterns (RFC 8461 §4.1)', () => {
  it.each([
    ['mx.example.com', 'mx.example.com', true],
    ['MX.Example.COM.', 'mx.example.com', true],
    ['mx.example.com', '*.example.com', true],
    ['a.b.example.com', '*.example.com', false],
    ['example.com', '*.example.com', false],
    ['mx.example.org', '*.example.com', false],
    ['mx.example.com', 'mx2.example.com', false],
  ])('%s ~ %s = %s', (mx, p, want) => expect(mxMatchesPattern(mx, p)).toBe(want));
});

function tls(nameMatches: boolean): TlsDetails {
  return { mode: 'starttls', servername: 'x', protocol: 'TLSv1.3', cipher: null, authorized: true, authorizationError: null, nameMatches, nameError: nameMatches ? null : "Hostname/IP does not match certificate's altnames", certificate: null };
}
function host(exchange: string, over: Partial<HostTlsFacts> = {}): HostTlsFacts {
  return { exchange, ip: '192.0.2.1', tls: tls(true), pkixValid: true, pkixDetail: 'ok', noTlsReason: null, ...over };
}
const policy = (mode: string) => ({ ok: true as const, body: `version: STSv1\nmode: ${mode}\nmx: *.example.com\nmax_age: 86400\n` });
const txt = { kind: 'records' as const, records: ['v=STSv1; id=1'] };

describe('mtaStsVerdict', () => {
  it('enforce, every MX matches and validates', () => {
    const v = mtaStsVerdict({ txt, fetched: policy('enforce'), hosts: [host('mx1.example.com'), host('mx2.example.com')] });
    expect(v).toMatchObject({ status: 'mta-sts-valid', mode: 'enforce', id: '1', maxAge: 86400, mx: ['*.example.com'] });
  });
  it('enforce with an MX outside the patterns', () => {
    const v = mtaStsVerdict({ txt, fetched: policy('enforce'), hosts: [host('mx1.example.com'), host('mx.other.net')] });
    expect(v.status).toBe('mta-sts-mx-mismatch');
    expect(v.hosts?.[1]?.status).toBe('mta-sts-mx-mismatch');
  });
  it('enforce with a name mismatch, an untrusted chain, or no STARTTLS', () => {
    expect(mtaStsVerdict({ txt, fetched: policy('enforce'), hosts: [host('mx1.example.com', { tls: tls(false) })] }).status).toBe('mta-sts-tls-fail');
    expect(mtaStsVerdict({ txt, fetched: policy('enforce'), hosts: [host('mx1.example.com', { pkixValid: false })] }).status).toBe('mta-sts-tls-fail');
    expect(mtaStsVerdict({ txt, fetched: policy('enforce'), hosts: [host('mx1.example.com', { tls: null, noTlsReason: 'STARTTLS not offered' })] }).status).toBe('mta-sts-tls-fail');
  });
  it('an unreachable MX is not judged: never valid', () => {
    const v = mtaStsVerdict({ txt, fetched: policy('enforce'), hosts: [host('mx1.example.com', { tls: null, noTlsReason: 'not judged: connection-refused' })] });
    expect(v.status).toBe('indeterminate');
  });
  it('testing, fetch failure, none, invalid, absent, lookup failure', () => {
    expect(mtaStsVerdict({ txt, fetched: policy('testing'), hosts: [host('mx.other.net')] }).status).toBe('testing');
    expect(mtaStsVerdict({ txt, fetched: { ok: false, error: 'timeout' }, hosts: [] })).toMatchObject({ status: 'mta-sts-fetch-fail', error: 'timeout', id: '1' });
    expect(mtaStsVerdict({ txt, fetched: policy('none'), hosts: [] })).toMatchObject({ status: 'no-mta-sts', mode: 'none' });
    expect(mtaStsVerdict({ txt, fetched: { ok: true, body: 'garbage' }, hosts: [] }).status).toBe('mta-sts-invalid');
    expect(mtaStsVerdict({ txt: { kind: 'records', records: ['v=STSv1; id=a', 'v=STSv1; id=b'] }, fetched: null, hosts: [] }).status).toBe('mta-sts-invalid');
    expect(mtaStsVerdict({ txt: { kind: 'none' }, fetched: null, hosts: [] }).status).toBe('no-mta-sts');
    expect(mtaStsVerdict({ txt: { kind: 'failed', detail: 'servfail' }, fetched: null, hosts: [] }).status).toBe('indeterminate');
  });
});

describe('TLS-RPT (RFC 8460 §3)', () => {
  it('parses rua lists', () => {
    expect(parseTlsRptRecord('v=TLSRPTv1; rua=mailto:tls@example.com,https://r.example.com/x')).toEqual({ ok: true, rua: ['mailto:tls@example.com', 'https://r.example.com/x'] });
    expect(parseTlsRptRecord('v=TLSRPTv1;rua=mailto:a@b').ok).toBe(true);
    expect(parseTlsRptRecord('v=TLSRPTv1; rua=http://insecure/').ok).toBe(false);
    expect(parseTlsRptRecord('v=TLSRPTv1;').ok).toBe(false);
    expect(parseTlsRptRecord('v=TLSRPTv2; rua=mailto:a@b').ok).toBe(false);
  });
  it('verdicts', () => {
    expect(tlsRptVerdict({ kind: 'none' }).status).toBe('absent');
    expect(tlsRptVerdict({ kind: 'records', records: ['v=spf1 -all'] }).status).toBe('absent');
    expect(tlsRptVerdict({ kind: 'records', records: ['v=TLSRPTv1; rua=mailto:a@b'] })).toEqual({ status: 'valid', rua: ['mailto:a@b'] });
    expect(tlsRptVerdict({ kind: 'records', records: ['v=TLSRPTv1; rua=mailto:a@b', 'v=TLSRPTv1; rua=mailto:c@d'] }).status).toBe('invalid');
    expect(tlsRptVerdict({ kind: 'failed', detail: 'timeout' }).status).toBe('indeterminate');
  });
});
