import { describe, expect, it } from 'vitest';
import { judgeReply, type RawReply } from '../../src/transport/dnssec.js';

const reply = (over: Partial<Extract<RawReply, { kind: 'reply' }>> = {}): RawReply => ({ kind: 'reply', rcode: 'NOERROR', ad: false, edns: true, answers: [], authorities: [], ...over });
const tlsa = { type: 'TLSA', name: 'x', data: 1 };
const sig = { type: 'RRSIG', name: 'x', data: null };
const pick = (r: { data: unknown }) => r.data as number;

describe('judgeReply: DNSSEC status from a resolver reply', () => {
  it('AD set: secure', () => expect(judgeReply('TLSA', reply({ ad: true, answers: [tlsa, sig] }), null, pick)).toEqual({ kind: 'records', dnssec: 'secure', records: [1] }));
  it('no AD, no signatures: insecure', () => expect(judgeReply('TLSA', reply({ answers: [tlsa] }), null, pick)).toMatchObject({ dnssec: 'insecure' }));
  it('no AD but signatures: the resolver did not validate: indeterminate', () => expect(judgeReply('TLSA', reply({ answers: [tlsa, sig] }), null, pick)).toMatchObject({ dnssec: 'indeterminate' }));
  it('no EDNS in the reply: indeterminate', () => expect(judgeReply('TLSA', reply({ edns: false, answers: [tlsa] }), null, pick)).toMatchObject({ dnssec: 'indeterminate' }));
  it('SERVFAIL that answers with CD: bogus', () => expect(judgeReply('TLSA', reply({ rcode: 'SERVFAIL' }), reply({ answers: [tlsa] }), pick)).toMatchObject({ kind: 'failed', dnssec: 'bogus' }));
  it('SERVFAIL also with CD: indeterminate', () => expect(judgeReply('TLSA', reply({ rcode: 'SERVFAIL' }), reply({ rcode: 'SERVFAIL' }), pick)).toMatchObject({ kind: 'failed', dnssec: 'indeterminate' }));
  it('timeout: indeterminate', () => expect(judgeReply('TLSA', { kind: 'error', detail: 'timeout' }, null, pick)).toMatchObject({ kind: 'failed', dnssec: 'indeterminate' }));
  it('secure denial and NXDOMAIN', () => {
    expect(judgeReply('TLSA', reply({ ad: true, authorities: [sig] }), null, pick)).toEqual({ kind: 'none', dnssec: 'secure', nxdomain: false });
    expect(judgeReply('TLSA', reply({ rcode: 'NXDOMAIN' }), null, pick)).toEqual({ kind: 'none', dnssec: 'insecure', nxdomain: true });
  });
  it('REFUSED: indeterminate', () => expect(judgeReply('TLSA', reply({ rcode: 'REFUSED' }), null, pick).kind).toBe('failed'));
});
