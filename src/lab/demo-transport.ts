/**
 * The transport-security part of `mxprobe demo`: TLSA, MTA-STS and TLS-RPT records in the lab
 * zone, and an HTTPS policy server on loopback. The lab DNS server is no validating resolver: for
 * the names listed as `secure` it sets AD as a validating resolver would for signed data (the
 * demo says so). Real DNSSEC is exercised by the namespace suite (test/mta/transport.test.ts).
 *
 *   secure.demo.test   TLSA 3 1 1 matching its certificate (signed) -> dane-valid;
 *                      MTA-STS enforce, mx matches -> mta-sts-valid; TLS-RPT valid
 *   postfix.demo.test  TLSA matching nothing (signed) -> dane-mismatch;
 *                      MTA-STS enforce with a pattern its MX does not match -> mta-sts-mx-mismatch
 *   grey.demo.test     TLSA present but unsigned -> insecure; MTA-STS testing
 *   exim.demo.test     MTA-STS policy served as text/html -> mta-sts-fetch-fail; TLS-RPT invalid
 */
import { createServer, type Server } from 'node:https';
import { createHash, X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { LAB_CERT } from './cert.js';
import type { Zone, ZoneRecords } from './zone.js';

export const DEMO_POLICY_IP = '127.0.1.80';

/** Self-signed, 100 years, public on purpose (loopback demo only). openssl req -x509 -newkey ec … */
export const POLICY_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg8bpvU8i5XkvZWOZ8
GmRi83XK9q4vVM1J+Re7Py+fxmuhRANCAAS7QzElUKWgbuKP6P3kTVAan/jg0Udl
0KkRYitpFpHJsRobfp9ArNZma/GSk0y9+k129E6uqCYh6kyveHgJ+Hxi
-----END PRIVATE KEY-----
`;
export const POLICY_CERT = `-----BEGIN CERTIFICATE-----
MIICRDCCAeugAwIBAgIUFVmd/f/amG9LpshsxUrRgvAcNE4wCgYIKoZIzj0EAwIw
PjEhMB8GA1UEAwwYbXRhLXN0cy5zZWN1cmUuZGVtby50ZXN0MRkwFwYDVQQKDBBt
eHByb2JlIGRlbW8gbGFiMCAXDTI2MTEzMDE2Mzc0MloYDzIxMjYxMTA2MTYzNzQy
WjA+MSEwHwYDVQQDDBhtdGEtc3RzLnNlY3VyZS5kZW1vLnRlc3QxGTAXBgNVBAoM
EG14cHJvYmUgZGVtbyBsYWIwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAS7QzEl
UKWgbuKP6P3kTVAan/jg0Udl0KkRYitpFpHJsRobfp9ArNZma/GSk0y9+k129E6u
qCYh6kyveHgJ+Hxio4HEMIHBMB0GA1UdDgQWBBRrI+tTSIJpFNm2DMvs/m0mH1hQ
AzAfBgNVHSMEGDAWgBRrI+tTSIJpFNm2DMvs/m0mH1hQAzAPBgNVHRMBAf8EBTAD
AQH/MG4GA1UdEQRnMGWCGG10YS1zdHMuc2VjdXJlLmRlbW8udGVzdIIZbXRhLXN0
cy5wb3N0Zml4LmRlbW8udGVzdIIWbXRhLXN0cy5ncmV5LmRlbW8udGVzdIIWbXRh
LXN0cy5leGltLmRlbW8udGVzdDAKBggqhkjOPQQDAgNHADBEAiBfgeTvz/N0RU1K
wj90/v+Zy6/jB5y7tVlPpfAd/dRNxgIgOqoDvSGfK89iDO9qlcU7z6l7AgxdIFSc
8DXvSsGCY7M=
-----END CERTIFICATE-----
`;

function labSpkiSha256(): string {
  const x = new X509Certificate(LAB_CERT);
  return createHash('sha256').update(x.publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
}

const POLICIES: Record<string, { type: string; body: string }> = {
  'mta-sts.secure.demo.test': { type: 'text/plain', body: 'version: STSv1\r\nmode: enforce\r\nmx: mx.secure.demo.test\r\nmax_age: 604800\r\n' },
  'mta-sts.postfix.demo.test': { type: 'text/plain', body: 'version: STSv1\nmode: enforce\nmx: *.mail.demo.test\nmax_age: 86400\n' },
  'mta-sts.grey.demo.test': { type: 'text/plain', body: 'version: STSv1\nmode: testing\nmx: mx.grey.demo.test\nmax_age: 86400\n' },
  'mta-sts.exim.demo.test': { type: 'text/html', body: '<html><body>version: STSv1</body></html>\n' },
};

/** The lab zone with the transport records added; TLSA under the port the receivers listen on (RFC 6698 §3). */
export function withTransportRecords(z: Zone, port: number): Zone {
  const tlsa = (data: string) => ({ TLSA: [{ usage: 3, selector: 1, matchingType: 1, data }] });
  const add: Record<string, ZoneRecords> = {
    [`_${port}._tcp.mx.secure.demo.test`]: tlsa(labSpkiSha256()),
    [`_${port}._tcp.mx.postfix.demo.test`]: tlsa('00'.repeat(32)),
    [`_${port}._tcp.mx.grey.demo.test`]: tlsa(labSpkiSha256()),
    '_mta-sts.secure.demo.test': { TXT: ['v=STSv1; id=demo2026'] },
    '_mta-sts.postfix.demo.test': { TXT: ['v=STSv1; id=demo1'] },
    '_mta-sts.grey.demo.test': { TXT: ['v=STSv1; id=demo3'] },
    '_mta-sts.exim.demo.test': { TXT: ['v=STSv1; id=demo4'] },
    '_smtp._tls.secure.demo.test': { TXT: ['v=TLSRPTv1; rua=mailto:tlsrpt@secure.demo.test'] },
    '_smtp._tls.exim.demo.test': { TXT: ['v=TLSRPTv1; rua=ftp://reports.exim.demo.test/'] },
  };
  for (const host of Object.keys(POLICIES)) add[host] = { A: [DEMO_POLICY_IP] };
  const records = { ...z.records };
  for (const [k, v] of Object.entries(add)) records[k] = { ...(records[k] ?? {}), ...v };
  return { ...z, records, secure: [...(z.secure ?? []), 'secure.demo.test', 'postfix.demo.test'] };
}

export interface PolicyServer {
  port: number;
  /** Trust anchors the demo passes as if by --ca-file: the policy server's and the receivers' self-signed certificates. */
  extraCa: string[];
  close(): Promise<void>;
}

export function startPolicyServer(): Promise<PolicyServer> {
  const server: Server = createServer({ key: POLICY_KEY, cert: POLICY_CERT }, (req, res) => {
    const host = String(req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
    const p = POLICIES[host];
    if (req.url !== '/.well-known/mta-sts.txt' || !p) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': p.type }).end(p.body);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, DEMO_POLICY_IP, () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        extraCa: [POLICY_CERT, LAB_CERT],
        close: () => new Promise<void>((r) => server.close(() => r())),
      });
    });
  });
}
