/**
 * Does the presented chain validate against the system CAs plus --ca-file? Node already verified
 * it against its default CAs (TlsDetails.authorized); for a private CA we walk the presented chain
 * (signatures, validity dates) up to a certificate issued by, or equal to, one of the extra anchors.
 * Not a full RFC 5280 path validation (no policy or name constraints, no revocation): enough to
 * say whether an MTA-STS sender configured with the same anchors would trust the MX.
 */
import { X509Certificate } from 'node:crypto';
import type { TlsDetails } from '../results.js';
import { presentedChain } from '../net/tls-details.js';

export function parseCaBundle(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((b) => new X509Certificate(b));
}

export function pkixValid(tls: TlsDetails, anchors: readonly X509Certificate[], now: Date): { valid: boolean | null; detail: string } {
  if (tls.authorized) return { valid: true, detail: 'chain verified against the system CAs' };
  if (anchors.length === 0) return { valid: false, detail: tls.authorizationError ?? 'not verified' };
  const ders = presentedChain(tls);
  if (!ders || ders.length === 0) return { valid: null, detail: 'presented chain not available to check against --ca-file' };
  let chain: X509Certificate[];
  try {
    chain = ders.map((d) => new X509Certificate(d));
  } catch {
    return { valid: false, detail: 'unparseable certificate in the chain' };
  }
  const t = now.getTime();
  for (const [i, c] of chain.entries()) {
    if (!(Date.parse(c.validFrom) <= t && t <= Date.parse(c.validTo))) return { valid: false, detail: `certificate ${i} outside its validity dates` };
    const anchor = anchors.find((a) => a.fingerprint256 === c.fingerprint256 || (c.checkIssued(a) && c.verify(a.publicKey)));
    if (anchor) return { valid: true, detail: `chain verified against --ca-file (${anchor.subject.replace(/\n/g, ', ')})` };
    const next = chain[i + 1];
    if (!next || !c.checkIssued(next) || !c.verify(next.publicKey)) break;
  }
  return { valid: false, detail: `${tls.authorizationError ?? 'not verified'} (not issued by --ca-file either)` };
}
