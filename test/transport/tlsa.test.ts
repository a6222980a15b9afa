import { describe, expect, it } from 'vitest';
import { createHash, X509Certificate } from 'node:crypto';
import { classifyTlsa, daneVerdict, matchTlsa, tlsaName, type TlsaRdata } from '../../src/transport/tlsa.js';
import type { ChainCertificate, TlsDetails } from '../../src/results.js';
import { LAB_CERT } from '../../src/lab/cert.js';

const h = (alg: string, b: Buffer) => createHash(alg).update(b).digest('hex');
function entry(cert: Buffer, spki: Buffer, signedByNext: boolean | null = null): ChainCertificate {
  return { subject: 'CN=x', certSha256: h('sha256', cert), certSha512: h('sha512', cert), spkiSha256: h('sha256', spki), spkiSha512: h('sha512', spki), signedByNext };
}
const leafCert = Buffer.from('leaf certificate DER');
const leafSpki = Buffer.from('leaf spki DER');
const caCert = Buffer.from('ca certificate DER');
const caSpki = Buffer.from('ca spki DER');
const chain = [entry(leafCert, leafSpki, true), entry(caCert, caSpki, null)];
const rec = (usage: number, selector: number, matchingType: number, data: Buffer): TlsaRdata => ({ usage, selector, matchingType, data });
const now = new Date('2026-06-01T00:00:00Z');
const input = { chain, nameMatches: true, validFrom: '2026-01-01T00:00:00Z', validTo: '2027-01-01T00:00:00Z', now };

function tls(over: Partial<TlsDetails> = {}): TlsDetails {
  return {
    mode: 'starttls', servername: 'mx.example', protocol: 'TLSv1.3', cipher: null, authorized: false, authorizationError: 'SELF_SIGNED', nameMatches: true, nameError: null,
    certificate: { subject: {}, subjectAltNames: [], issuer: {}, validFrom: input.validFrom, validTo: input.validTo, fingerprint256: '', serialNumber: '', selfSigned: false },
    chain, ...over,
  };
}

describe('classifyTlsa (RFC 7672 §3.1.3, RFC 6698 §2.1)', () => {
  it.each([
    [rec(3, 1, 1, Buffer.alloc(32)), true],
    [rec(2, 0, 2, Buffer.alloc(64)), true],
    [rec(3, 0, 0, Buffer.from('x')), true],
    [rec(0, 1, 1, Buffer.alloc(32)), false],
    [rec(1, 1, 1, Buffer.alloc(32)), false],
    [rec(4, 1, 1, Buffer.alloc(32)), false],
    [rec(3, 2, 1, Buffer.alloc(32)), false],
    [rec(3, 1, 3, Buffer.alloc(32)), false],
    [rec(3, 1, 1, Buffer.alloc(31)), false],
    [rec(3, 1, 2, Buffer.alloc(32)), false],
    [rec(3, 1, 0, Buffer.alloc(0)), false],
    [rec(255, 255, 255, Buffer.alloc(0)), false],
  ])('%o usable=%s', (r, usable) => {
    const c = classifyTlsa(r);
    expect(c.usable).toBe(usable);
    if (!usable) expect(c.problem).toBeTruthy();
  });
});

describe('matchTlsa', () => {
  it('DANE-EE 3 1 1 matches the leaf SPKI; 3 0 1 the leaf cert; 3 0 0 the full cert; 3 1 2 SHA-512', () => {
    for (const r of [rec(3, 1, 1, createHash('sha256').update(leafSpki).digest()), rec(3, 0, 1, createHash('sha256').update(leafCert).digest()), rec(3, 0, 0, leafCert), rec(3, 1, 2, createHash('sha512').update(leafSpki).digest()), rec(3, 1, 0, leafSpki)]) {
      const m = matchTlsa([classifyTlsa(r)], input);
      expect(m.matched, JSON.stringify(r)).not.toBeNull();
    }
  });
  it('DANE-EE ignores name and dates (RFC 7672 §3.1.1)', () => {
    const r = classifyTlsa(rec(3, 1, 1, createHash('sha256').update(leafSpki).digest()));
    expect(matchTlsa([r], { ...input, nameMatches: false, validTo: '2000-01-01T00:00:00Z' }).matched).not.toBeNull();
  });
  it('DANE-EE does not match the CA', () => {
    const r = classifyTlsa(rec(3, 1, 1, createHash('sha256').update(caSpki).digest()));
    expect(matchTlsa([r], input).matched).toBeNull();
  });
  it('DANE-TA matches the issuer, needs the name, the dates and a signed link', () => {
    const r = classifyTlsa(rec(2, 0, 1, createHash('sha256').update(caCert).digest()));
    expect(matchTlsa([r], input).matched).toEqual(r);
    expect(matchTlsa([r], { ...input, nameMatches: false }).matched).toBeNull();
    expect(matchTlsa([r], { ...input, validTo: '2026-02-01T00:00:00Z' }).matched).toBeNull();
    const unsigned = [entry(leafCert, leafSpki, false), entry(caCert, caSpki)];
    const m = matchTlsa([r], { ...input, chain: unsigned });
    expect(m.matched).toBeNull();
    expect(m.detail).toMatch(/not signed/);
  });
  it('DANE-TA does not match the leaf of a longer chain', () => {
    const r = classifyTlsa(rec(2, 0, 1, createHash('sha256').update(leafCert).digest()));
    expect(matchTlsa([r], input).matched).toBeNull();
  });
  it('unusable records never match, even when their data would', () => {
    const r = classifyTlsa(rec(1, 1, 1, createHash('sha256').update(leafSpki).digest()));
    expect(matchTlsa([r], input).matched).toBeNull();
  });
});

describe('daneVerdict', () => {
  const good = rec(3, 1, 1, createHash('sha256').update(leafSpki).digest());
  const bad = rec(3, 1, 1, Buffer.alloc(32, 7));
  const base = { name: '_25._tcp.mx.example', mxDnssec: 'secure' as const, tls: tls(), tlsAttempted: true, now };
  it('every status', () => {
    expect(daneVerdict({ ...base, lookup: { kind: 'records', dnssec: 'secure', records: [bad, good] } })).toMatchObject({ status: 'dane-valid', dnssec: 'secure', matched: { usage: 3, selector: 1, matchingType: 1 } });
    expect(daneVerdict({ ...base, lookup: { kind: 'records', dnssec: 'secure', records: [bad] } })).toMatchObject({ status: 'dane-mismatch', matched: null });
    expect(daneVerdict({ ...base, lookup: { kind: 'none', dnssec: 'secure' } }).status).toBe('no-tlsa');
    expect(daneVerdict({ ...base, lookup: { kind: 'records', dnssec: 'insecure', records: [good] } }).status).toBe('insecure');
    expect(daneVerdict({ ...base, lookup: { kind: 'failed', dnssec: 'bogus', detail: 'x' } }).status).toBe('bogus');
    expect(daneVerdict({ ...base, lookup: { kind: 'failed', dnssec: 'indeterminate', detail: 'timeout' } }).status).toBe('indeterminate');
    expect(daneVerdict({ ...base, lookup: { kind: 'records', dnssec: 'indeterminate', records: [good] } }).status).toBe('indeterminate');
    expect(daneVerdict({ ...base, lookup: { kind: 'records', dnssec: 'secure', records: [rec(1, 1, 1, Buffer.alloc(32))] } }).status).toBe('tlsa-unusable');
    expect(daneVerdict({ ...base, mxDnssec: 'insecure', lookup: { kind: 'records', dnssec: 'secure', records: [good] } }).status).toBe('insecure');
    expect(daneVerdict({ ...base, tls: null, lookup: { kind: 'records', dnssec: 'secure', records: [good] } }).status).toBe('dane-mismatch');
    expect(daneVerdict({ ...base, tls: null, tlsAttempted: false, lookup: { kind: 'records', dnssec: 'secure', records: [good] } }).status).toBe('not-checked');
  });
  it('records are reported with hex data', () => {
    const v = daneVerdict({ ...base, lookup: { kind: 'records', dnssec: 'secure', records: [good] } });
    expect(v.records[0]?.data).toMatch(/^[0-9a-f]{64}$/);
  });
  it('tlsaName', () => {
    expect(tlsaName('MX.Example.', 25)).toBe('_25._tcp.mx.example');
  });
});

describe('chain digests from a real certificate', () => {
  it('chainDigests computes SPKI and cert digests that a 3 1 1 / 3 0 1 record matches', async () => {
    const { chainDigests } = await import('../../src/net/tls-details.js');
    const x = new X509Certificate(LAB_CERT);
    const spki = x.publicKey.export({ type: 'spki', format: 'der' });
    const peer = { raw: x.raw, fingerprint256: x.fingerprint256 } as unknown as import('node:tls').PeerCertificate;
    const c = chainDigests(peer);
    expect(c).toHaveLength(1);
    expect(c[0]?.spkiSha256).toBe(h('sha256', spki));
    expect(c[0]?.certSha256).toBe(h('sha256', x.raw));
  });
});
