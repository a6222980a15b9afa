import type { PeerCertificate } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { certificateDetails, splitAltNames } from '../../src/net/tls-details.js';

const cert = (validTo: string): PeerCertificate =>
  ({ subject: { CN: 'mx.test' }, issuer: { CN: 'mx.test' }, fingerprint256: 'AA', serialNumber: '01', subjectaltname: 'DNS:mx.test, IP Address:192.0.2.1', valid_from: 'Jan  1 00:00:00 2020 GMT', valid_to: validTo }) as unknown as PeerCertificate;

describe('certificate details', () => {
  it.each([
    ['Nov  5 08:23:32 2126 GMT', '2126-11-05T08:23:32.000Z'],
    // A hostile certificate with year 0030 must not read as 2030 (Date() would say so).
    ['Jan  1 00:00:00 30 GMT', '0030-01-01T00:00:00.000Z'],
    // What OpenSSL prints for a broken date: kept verbatim, never a crash.
    ['Bad time value', 'Bad time value'],
  ])('validTo %j → %j', (raw, iso) => {
    expect(certificateDetails(cert(raw)).validTo).toBe(iso);
  });

  it('splits subject alternative names and marks a self-issued certificate', () => {
    const d = certificateDetails(cert('Nov  5 08:23:32 2126 GMT'));
    expect(d.subjectAltNames).toEqual(['DNS:mx.test', 'IP Address:192.0.2.1']);
    expect(d.selfSigned).toBe(true);
    expect(splitAltNames(undefined)).toEqual([]);
  });
});
