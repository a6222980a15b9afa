/**
 * What we record about a TLS session. We never abort on a bad certificate (a prober must see the
 * server as it is); we record chain verification and the name check separately.
 */
import { checkServerIdentity, type PeerCertificate, type TLSSocket } from 'node:tls';
import { isIP } from 'node:net';
import { createHash, X509Certificate } from 'node:crypto';
import type { CertificateDetails, ChainCertificate, TlsDetails } from '../results.js';
import { LruCache } from '../dns/cache.js';

function flattenDn(dn: unknown): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (dn && typeof dn === 'object') {
    for (const [k, v] of Object.entries(dn as Record<string, unknown>)) {
      if (typeof v === 'string') out[k] = v;
      else if (Array.isArray(v)) out[k] = v.map(String);
    }
  }
  return out;
}

/** "DNS:a.example, DNS:b.example, IP Address:192.0.2.1" → ["DNS:a.example", ...] */
export function splitAltNames(san: string | undefined): string[] {
  if (!san) return [];
  return san.split(/,\s*/).map((s) => s.trim()).filter(Boolean);
}

/**
 * OpenSSL's date text as ISO 8601. A hostile or broken certificate can carry a date OpenSSL
 * prints as "Bad time value": keep the raw text rather than throw (we never verify, so any
 * server can present one).
 */
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
function isoDate(text: string): string {
  // OpenSSL prints "Nov  5 08:23:32 2126 GMT". Parse it strictly: Date() would read a two-digit
  // year such as "30" as 2030, so an expired certificate could look valid for years.
  const m = /^([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.\d+)? (\d{1,4}) GMT$/.exec(String(text));
  const month = m ? MONTHS.indexOf(m[1] ?? '') : -1;
  if (!m || month < 0) return String(text);
  const d = new Date(Date.UTC(2000, month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5])));
  d.setUTCFullYear(Number(m[6]));
  return Number.isNaN(d.getTime()) ? String(text) : d.toISOString();
}

export function certificateDetails(cert: PeerCertificate): CertificateDetails {
  const issuerCert = (cert as PeerCertificate & { issuerCertificate?: PeerCertificate }).issuerCertificate;
  const subject = flattenDn(cert.subject);
  const issuer = flattenDn(cert.issuer);
  // Self-signed: the chain ends at the certificate itself (Node links a root to itself), or the
  // issuer DN equals the subject DN with no separate issuer certificate.
  const selfSigned =
    (issuerCert !== undefined && issuerCert.fingerprint256 === cert.fingerprint256) ||
    JSON.stringify(subject) === JSON.stringify(issuer);
  return {
    subject,
    subjectAltNames: splitAltNames(cert.subjectaltname),
    issuer,
    validFrom: isoDate(cert.valid_from),
    validTo: isoDate(cert.valid_to),
    fingerprint256: cert.fingerprint256,
    serialNumber: cert.serialNumber,
    selfSigned,
  };
}

/** At most this many certificates are recorded: a hostile server can send a long chain. */
const MAX_CHAIN = 10;

/**
 * The presented chain as DANE digests (RFC 6698 §2.1.2-2.1.3), leaf first. Node links each
 * certificate to its issuer; a root links to itself. Parse failures end the walk rather than throw:
 * we never abort on what a server sends.
 */
export function chainDigests(leaf: PeerCertificate): ChainCertificate[] {
  const out: ChainCertificate[] = [];
  const x509s: X509Certificate[] = [];
  const seen = new Set<string>();
  let cur: (PeerCertificate & { issuerCertificate?: PeerCertificate }) | undefined = leaf;
  while (cur && cur.raw && out.length < MAX_CHAIN && !seen.has(cur.fingerprint256)) {
    seen.add(cur.fingerprint256);
    let x: X509Certificate;
    let spki: Buffer;
    try {
      x = new X509Certificate(cur.raw);
      spki = x.publicKey.export({ type: 'spki', format: 'der' });
    } catch {
      break;
    }
    const h = (alg: string, b: Buffer) => createHash(alg).update(b).digest('hex');
    out.push({ subject: x.subject.replace(/\n/g, ', '), certSha256: h('sha256', cur.raw), certSha512: h('sha512', cur.raw), spkiSha256: h('sha256', spki), spkiSha512: h('sha512', spki), signedByNext: null });
    x509s.push(x);
    cur = cur.issuerCertificate;
  }
  for (let i = 0; i + 1 < out.length; i++) {
    const entry = out[i];
    const self = x509s[i];
    const next = x509s[i + 1];
    if (!entry || !self || !next) continue;
    try {
      entry.signedByNext = self.verify(next.publicKey);
    } catch {
      entry.signedByNext = false;
    }
  }
  return out;
}

/**
 * The presented certificates (DER, leaf first) of each TlsDetails this process built, for checks
 * that need more than digests (MTA-STS validation against --ca-file, src/transport/pkix.ts).
 * Weak: nothing is kept once the result is gone, and nothing is added to the results contract.
 */
const presentedChains = new WeakMap<TlsDetails, Buffer[]>();
/** Results are copied when a shared host is reported for several targets: find those by digests (bounded). */
const presentedByDigest = new LruCache<string, Buffer[]>(1024);
const digestKey = (tls: TlsDetails): string => (tls.chain ?? []).map((c) => c.certSha256).join(',');

export function presentedChain(tls: TlsDetails): Buffer[] | undefined {
  return presentedChains.get(tls) ?? (tls.chain?.length ? presentedByDigest.get(digestKey(tls)) : undefined);
}

function rawChain(leaf: PeerCertificate): Buffer[] {
  const out: Buffer[] = [];
  const seen = new Set<string>();
  let cur: (PeerCertificate & { issuerCertificate?: PeerCertificate }) | undefined = leaf;
  while (cur && cur.raw && out.length < MAX_CHAIN && !seen.has(cur.fingerprint256)) {
    seen.add(cur.fingerprint256);
    out.push(cur.raw);
    cur = cur.issuerCertificate;
  }
  return out;
}

export function tlsDetails(socket: TLSSocket, mode: 'starttls' | 'implicit', servername: string | null): TlsDetails {
  const cert = socket.getPeerCertificate(true);
  const hasCert = cert !== null && typeof cert === 'object' && Object.keys(cert).length > 0;
  const cipher = socket.getCipher();
  let nameMatches: boolean | null = null;
  let nameError: string | null = null;
  if (hasCert && servername && isIP(servername) === 0) {
    const err = checkServerIdentity(servername, cert);
    nameMatches = err === undefined;
    nameError = err ? err.message : null;
  }
  const authErr = socket.authorizationError as unknown;
  const details: TlsDetails = {
    mode,
    servername,
    protocol: socket.getProtocol() ?? null,
    cipher: cipher ? { name: cipher.name, standardName: cipher.standardName, version: cipher.version } : null,
    authorized: socket.authorized,
    authorizationError: authErr ? String(authErr instanceof Error ? (authErr as NodeJS.ErrnoException).code ?? authErr.message : authErr) : null,
    nameMatches,
    nameError,
    certificate: hasCert ? certificateDetails(cert) : null,
    ...(hasCert ? { chain: chainDigests(cert) } : {}),
  };
  if (hasCert) {
    const raw = rawChain(cert);
    presentedChains.set(details, raw);
    presentedByDigest.set(digestKey(details), raw);
  }
  return details;
}
