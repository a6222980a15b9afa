/**
 * The MTA-STS policy fetch (I/O), RFC 8461 §3.3: GET https://mta-sts.<domain>/.well-known/mta-sts.txt
 *  - the certificate must validate (system CAs plus --ca-file) and name mta-sts.<domain>;
 *  - redirects are not followed (§3.3: "HTTP 3xx redirects MUST NOT be followed");
 *  - only 200, with media type text/plain (§3.2);
 *  - the body is capped (§3.3 lets senders limit it; 64 KiB) and the whole fetch has a deadline,
 *    so a server that trickles or hangs is bounded.
 */
import { request } from 'node:https';
import { rootCertificates } from 'node:tls';
import { isIP } from 'node:net';
import type { LookupFunction } from 'node:net';
import type { PolicyFetch } from './mta-sts.js';

export const POLICY_SIZE_CAP = 64 * 1024;

export interface FetchOptions {
  /** Extra trust anchors (PEM), e.g. from --ca-file. */
  extraCa: string[];
  timeoutMs: number;
  /** Resolve the policy host through the run's resolver (so --resolver is honoured). */
  lookup?: (host: string) => Promise<string | null>;
  /** 443 unless a lab says otherwise. */
  port?: number;
  sizeCap?: number;
}

export type PolicyFetcher = (domain: string) => Promise<PolicyFetch>;

export function createPolicyFetcher(opts: FetchOptions): PolicyFetcher {
  const ca = [...rootCertificates, ...opts.extraCa];
  const cap = opts.sizeCap ?? POLICY_SIZE_CAP;
  return (domain) =>
    new Promise<PolicyFetch>((resolve) => {
      const host = `mta-sts.${domain.replace(/\.$/, '')}`;
      let done = false;
      const finish = (r: PolicyFetch) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        req.destroy();
        resolve(r);
      };
      const lookup: LookupFunction | undefined = opts.lookup
        ? (hostname, options, cb) => {
            opts.lookup!(hostname).then(
              (ip) => {
                if (ip === null) cb(Object.assign(new Error(`${hostname}: no address`), { code: 'ENOTFOUND' }), '', 4);
                else if ((options as { all?: boolean }).all) (cb as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [{ address: ip, family: isIP(ip) }]);
                else cb(null, ip, isIP(ip));
              },
              (e: unknown) => cb(e as NodeJS.ErrnoException, '', 4),
            );
          }
        : undefined;
      const req = request(
        {
          host,
          servername: host,
          port: opts.port ?? 443,
          path: '/.well-known/mta-sts.txt',
          method: 'GET',
          ca,
          rejectUnauthorized: true,
          agent: false,
          headers: { 'user-agent': 'mxprobe (MTA-STS check)', accept: 'text/plain' },
          ...(lookup ? { lookup } : {}),
        },
        (res) => {
          const status = res.statusCode ?? 0;
          if (status >= 300 && status < 400) return finish({ ok: false, error: `HTTP ${status} redirect (not followed, RFC 8461 §3.3)` });
          if (status !== 200) return finish({ ok: false, error: `HTTP ${status}` });
          const type = String(res.headers['content-type'] ?? '');
          if (!/^text\/plain(\s*;.*)?$/i.test(type.trim())) return finish({ ok: false, error: `content type "${type}" is not text/plain (RFC 8461 §3.2)` });
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > cap) return finish({ ok: false, error: `policy larger than ${cap} bytes` });
            chunks.push(c);
          });
          res.on('end', () => finish({ ok: true, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', (e) => finish({ ok: false, error: e.message }));
        },
      );
      const timer = setTimeout(() => finish({ ok: false, error: `timeout after ${opts.timeoutMs} ms` }), opts.timeoutMs);
      req.on('error', (e: NodeJS.ErrnoException) => finish({ ok: false, error: `${host}: ${e.code ?? ''}${e.code ? ' ' : ''}${e.message}` }));
      req.end();
    });
}
