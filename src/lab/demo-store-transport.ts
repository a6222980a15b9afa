/**
 * The transport-security side of the store demo (src/cli/demo-store.ts): a domain whose DANE and
 * MTA-STS facts change between the two stored runs, so `mxprobe diff` and `mxprobe history` show a
 * DANE and an MTA-STS change, not only the SMTP ones. Everything on loopback, its own DNS zone
 * (the demo's lab zone is not touched) and its own HTTPS policy server:
 *
 *   store.demo.test        MX mail.store.demo.test (127.0.3.2), STARTTLS with STORE_DEMO_CERT
 *   run 1 ("before")       TLSA 3 1 1 = SHA-256 of the certificate's SPKI (RFC 7671 §5.1: DANE-EE,
 *                          SPKI, SHA-256), zone signed (the lab DNS sets AD) -> dane-valid;
 *                          _mta-sts id=store1, policy mode enforce, mx mail.store.demo.test -> mta-sts-valid
 *   run 2 ("after")        the TLSA record announces a new key that the server does not use yet (a
 *                          key rollover done in the wrong order, RFC 7671 §8.1) -> dane-mismatch;
 *                          _mta-sts id=store2, the policy back in mode testing (RFC 8461 §5) -> testing
 *
 * The lab DNS server is no validating resolver: it sets AD for store.demo.test as one would for
 * signed data, as the main demo does (src/lab/demo-transport.ts).
 */
import { createHash, X509Certificate } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { zone, type Zone } from './zone.js';

export const STORE_DEMO_DOMAIN = 'store.demo.test';
export const STORE_DEMO_MX = 'mail.store.demo.test';
export const STORE_DEMO_MX_IP = '127.0.3.2';
export const STORE_DEMO_POLICY_IP = '127.0.3.80';

/**
 * Self-signed, 100 years, public on purpose (loopback demo only): the receiver's certificate and
 * the policy host's (SAN mail.store.demo.test, mta-sts.store.demo.test).
 * openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 36500 -addext subjectAltName=…
 */
export const STORE_DEMO_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgCggTwLbBCC3OHR4D
UE8pZJXpt1x/mNAwHleriGxtP9GhRANCAARaR2X3wOi4r0hsWArSxzZIwe+Tvecj
eW8bmShD08fpMVmg8OysCxkrOHkSbRwMMrAUKqMWcsRDejpAny+C1s4F
-----END PRIVATE KEY-----
`;
export const STORE_DEMO_CERT = `-----BEGIN CERTIFICATE-----
MIICBzCCAa2gAwIBAgIUbguXDQeHuFXhz0v+XOaXAdn7/R8wCgYIKoZIzj0EAwIw
OjEdMBsGA1UEAwwUbWFpbC5zdG9yZS5kZW1vLnRlc3QxGTAXBgNVBAoMEG14cHJv
YmUgZGVtbyBsYWIwIBcNMjYxMjAxMDMyNzQxWhgPMjEyNjExMDcwMzI3NDFaMDox
HTAbBgNVBAMMFG1haWwuc3RvcmUuZGVtby50ZXN0MRkwFwYDVQQKDBBteHByb2Jl
IGRlbW8gbGFiMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEWkdl98DouK9IbFgK
0sc2SMHvk73nI3lvG5koQ9PH6TFZoPDsrAsZKzh5Em0cDDKwFCqjFnLEQ3o6QJ8v
gtbOBaOBjjCBizAdBgNVHQ4EFgQU0dDWy7Gn3HCFCMgeTO9lTd+nzAEwHwYDVR0j
BBgwFoAU0dDWy7Gn3HCFCMgeTO9lTd+nzAEwOAYDVR0RBDEwL4IUbWFpbC5zdG9y
ZS5kZW1vLnRlc3SCF210YS1zdHMuc3RvcmUuZGVtby50ZXN0MA8GA1UdEwEB/wQF
MAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIgeqk9D6rtrGxziEODvZXb5qC7FY54aTQ9
/6HRkLdYk+ECIQC4LFdnyVwwe0eA2Gs/WFuxFdXqVJw8kVCkWPC7XfziKw==
-----END CERTIFICATE-----
`;

/** SHA-256 of the certificate's SubjectPublicKeyInfo: TLSA 3 1 1 data (RFC 6698 §2.1). */
function spkiSha256(pem: string): string {
  const x = new X509Certificate(pem);
  return createHash('sha256').update(x.publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
}

/** A key the TLSA of run 2 announces: not the one the receiver presents. */
const NEXT_KEY_SHA256 = createHash('sha256').update('mxprobe store demo: the next key, not yet deployed').digest('hex');

export type StoreDemoStage = 'before' | 'after';

/** The store demo's zone for a stage; TLSA under the receivers' port (RFC 6698 §3). */
export function storeDemoZone(port: number, stage: StoreDemoStage): Zone {
  const d = STORE_DEMO_DOMAIN;
  return zone(
    {
      [d]: { MX: [{ exchange: STORE_DEMO_MX, priority: 10 }] },
      [STORE_DEMO_MX]: { A: [STORE_DEMO_MX_IP] },
      [`_${port}._tcp.${STORE_DEMO_MX}`]: { TLSA: [{ usage: 3, selector: 1, matchingType: 1, data: stage === 'before' ? spkiSha256(STORE_DEMO_CERT) : NEXT_KEY_SHA256 }] },
      [`_mta-sts.${d}`]: { TXT: [`v=STSv1; id=${stage === 'before' ? 'store1' : 'store2'}`] },
      [`mta-sts.${d}`]: { A: [STORE_DEMO_POLICY_IP] },
    },
    { secure: [d] },
  );
}

/** The MTA-STS policy file (RFC 8461 §3.2) of a stage. */
export function storeDemoPolicy(stage: StoreDemoStage): string {
  return `version: STSv1\r\nmode: ${stage === 'before' ? 'enforce' : 'testing'}\r\nmx: ${STORE_DEMO_MX}\r\nmax_age: 604800\r\n`;
}

export interface StorePolicyServer {
  port: number;
  /** Trust anchors, passed as if by --ca-file: the one self-signed certificate. */
  extraCa: string[];
  set(stage: StoreDemoStage): void;
  close(): Promise<void>;
}

/** The HTTPS server of https://mta-sts.store.demo.test/.well-known/mta-sts.txt, on loopback. */
export function startStorePolicyServer(): Promise<StorePolicyServer> {
  let stage: StoreDemoStage = 'before';
  const server: Server = createServer({ key: STORE_DEMO_KEY, cert: STORE_DEMO_CERT }, (req, res) => {
    const host = String(req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
    if (req.url !== '/.well-known/mta-sts.txt' || host !== `mta-sts.${STORE_DEMO_DOMAIN}`) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end(storeDemoPolicy(stage));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, STORE_DEMO_POLICY_IP, () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        extraCa: [STORE_DEMO_CERT],
        set: (s) => void (stage = s),
        close: () => new Promise<void>((r) => server.close(() => r())),
      });
    });
  });
}
