/**
 * What the terminal table keeps of a finished target (B12). The table needs the whole run before
 * it can print (column widths, input order), so `probe --format table` holds every target to the
 * end; a full ProbeResult is 10-15 KB (replies, keywords, certificate, alignment details,
 * timings), which made a 100k-target run grow to hundreds of MB. This keeps exactly the fields
 * report/table.ts reads (banner name, greeting command, STARTTLS/AUTH/SIZE, TLS protocol,
 * verdict, identity, why not tried), still typed as a TargetResult so the renderer is unchanged.
 *
 * Pure. Tested against the full renderer: the table of slimmed targets is byte-identical.
 */
import type { Capabilities, HostResult, ProbeResult, SmtpReply, TargetResult, TlsDetails, Verdict } from '../results.js';

function slimReply(r: SmtpReply | null): SmtpReply | null {
  if (r === null) return null;
  // The table shows the first word of the banner: keep that word only.
  const first = r.text.split(/\s/)[0] ?? '';
  return { code: r.code, enhanced: null, lines: [], text: first, bareLf: false };
}

function slimCaps(c: Capabilities | null): Capabilities | null {
  if (c === null) return null;
  return {
    name: null, greeting: '', keywords: {}, size: c.size, auth: c.auth, starttls: c.starttls,
    pipelining: false, eightBitMime: false, smtpUtf8: false, chunking: false, dsn: false, enhancedStatusCodes: false, requireTls: false,
  };
}

function slimTls(t: TlsDetails | null): TlsDetails | null {
  if (t === null) return null;
  return { mode: t.mode, servername: null, protocol: t.protocol, cipher: null, authorized: t.authorized, authorizationError: null, nameMatches: t.nameMatches, nameError: null, certificate: null };
}

function slimVerdict(v: Verdict): Verdict {
  return { outcome: v.outcome, stage: v.stage, code: v.code, enhanced: null, text: null, cause: v.cause };
}

export function slimProbe(p: ProbeResult): ProbeResult {
  const out: ProbeResult = {
    identity: p.identity,
    status: p.status,
    verdict: slimVerdict(p.verdict),
    reached: p.reached,
    local: null,
    banner: slimReply(p.banner),
    greeting: p.greeting ? { command: p.greeting.command, reply: null, ehloReply: null } : null,
    capabilities: { plain: slimCaps(p.capabilities.plain), tls: slimCaps(p.capabilities.tls) },
    tls: slimTls(p.tls),
    mail: null,
    rcpt: null,
    observedClientIp: null,
    timings: { connect: null, banner: null, ehlo: null, helo: null, tls: null, ehloTls: null, mail: null, rcpt: null, total: p.timings.total },
    transcript: [],
  };
  if (p.notTried) out.notTried = p.notTried;
  if (p.greylistRetry) out.greylistRetry = { afterSeconds: p.greylistRetry.afterSeconds, verdict: slimVerdict(p.greylistRetry.verdict), status: p.greylistRetry.status };
  return out;
}

function slimHost(h: HostResult): HostResult {
  return { exchange: h.exchange, ip: h.ip, port: h.port, family: h.family, probes: h.probes.map(slimProbe) };
}

/** A target with only what the terminal table renders. */
export function slimForTable(t: TargetResult): TargetResult {
  return { ...t, mx: [], hosts: t.hosts.map(slimHost) };
}
