/**
 * Probe one host address with every planned identity: one connection per (identity, source),
 * in turn, through the polite scheduler (one connection per IP at a time, with a gap).
 *
 * When the host answers 421 or drops/refuses us, the remaining cells are not tried: they are
 * reported as `not-tried` with the reason, because hammering a host that asked us to go away is
 * exactly what a polite prober must not do (RFC 5321 §3.8, §4.5.4.1 on retry intervals).
 */
import type { HostResult, Identity, ProbeResult, ProbeStatus, StopAfter, Verdict } from '../results.js';
import type { Connector } from '../net/connector.js';
import { runSession, type SessionRun } from '../net/session-driver.js';
import type { SessionConfig } from '../smtp/session.js';
import { observedClientIp } from '../smtp/capabilities.js';
import { verdictFrom } from '../analysis/verdict.js';
import type { PoliteScheduler } from './scheduler.js';

export interface ProbeSettings {
  stopAfter: StopAfter;
  starttls: boolean;
  implicitTls: boolean;
  timeoutMs: number;
  deadlineMs: number;
  /** Extra attempts after a refused or timed-out connection (default 0). */
  retries: number;
  /** Re-probe a greylisted cell once after this many seconds (null: never). */
  retryGreylistSec: number | null;
  transcript: boolean;
}

export interface HostJob {
  exchange: string;
  ip: string;
  port: number;
  family: 4 | 6;
  /** SNI and certificate name (the MX host name); null for IP targets. */
  servername: string | null;
  identities: Identity[];
  /** Identities that could not be built (e.g. `mismatch` with no candidate): reported as not-tried. */
  unavailable: Array<{ identity: Identity; reason: string }>;
  mailFrom: string;
  rcpt: string;
}

export interface HostDeps {
  scheduler: PoliteScheduler;
  connector?: Connector;
  signal?: AbortSignal;
  /** Called once per finished probe (sender-side alignment etc.); may add fields. */
  enrichProbe?: (probe: ProbeResult) => Promise<void>;
  /** Called once per host after its probes (receiver-side alignment). */
  enrichHost?: (host: HostResult, job: HostJob) => Promise<void>;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

const RETRYABLE: ReadonlySet<ProbeStatus> = new Set(['connection-refused', 'connection-timeout']);
/** Failures of our own side (the source address), not the server's: never retried, never blamed on it. */
const LOCAL_ERRORS: ReadonlySet<string> = new Set(['EADDRNOTAVAIL', 'EADDRINUSE', 'EINVAL', 'EACCES', 'EPERM']);

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

export function toProbeResult(identity: Identity, run: SessionRun): ProbeResult {
  const f = run.facts;
  const greeting =
    f.ehloReply || f.heloReply
      ? {
          command: f.greetingCommand ?? ('EHLO' as const),
          reply: f.greetingCommand === 'HELO' ? f.heloReply : f.ehloReply,
          ehloReply: f.ehloReply,
        }
      : null;
  return {
    identity,
    status: run.status,
    ...(run.error ? { error: run.error } : {}),
    verdict: verdictFrom(run.status, f, run.awaiting),
    reached: f.reached,
    local: run.local,
    banner: f.banner,
    greeting,
    capabilities: { plain: f.plainCapabilities, tls: f.tlsCapabilities },
    tls: run.tls,
    mail: f.mailReply,
    rcpt: f.rcptReply,
    observedClientIp: f.ehloReply && f.ehloReply.code === 250 ? observedClientIp(f.ehloReply) : null,
    timings: run.timings,
    transcript: run.transcript,
  };
}

function notTried(identity: Identity, reason: string): ProbeResult {
  const verdict: Verdict = { outcome: 'unknown', stage: null, code: null, enhanced: null, text: null, cause: 'unknown' };
  return {
    identity,
    status: 'not-tried',
    notTried: { reason },
    verdict,
    reached: null,
    local: null,
    banner: null,
    greeting: null,
    capabilities: { plain: null, tls: null },
    tls: null,
    mail: null,
    rcpt: null,
    observedClientIp: null,
    timings: { connect: null, banner: null, ehlo: null, helo: null, tls: null, ehloTls: null, mail: null, rcpt: null, total: 0 },
    transcript: [],
  };
}

/** Why the rest of this host's matrix must not be tried, or null to go on. */
function stopReason(probe: ProbeResult, run: SessionRun): string | null {
  if (run.facts.closedBy421) {
    const stage = probe.verdict.stage ?? 'connect';
    return `host answered 421 at ${stage} for identity ${probe.identity.kind} (${probe.identity.name}); backing off`;
  }
  if (probe.status === 'success') return null;
  if (run.error?.code === 'E_INTERRUPTED') return 'run interrupted';
  return `host failed with ${probe.status} for identity ${probe.identity.kind} (${probe.identity.name}); not trying the rest`;
}

export async function probeHost(job: HostJob, settings: ProbeSettings, deps: HostDeps): Promise<HostResult> {
  const sleep = deps.sleep ?? defaultSleep;
  // After a failed TLS handshake, the rest of the matrix goes on without STARTTLS, as an
  // opportunistic MTA would on its next attempt: the question asked is about the HELO.
  let starttls = settings.starttls;
  const once = (identity: Identity): Promise<SessionRun> => {
    const config: SessionConfig = {
      helo: identity.name,
      stopAfter: settings.stopAfter,
      starttls,
      implicitTls: settings.implicitTls,
      mailFrom: job.mailFrom,
      rcpt: job.rcpt,
    };
    return deps.scheduler.run(job.ip, () =>
      runSession(config, {
        ip: job.ip,
        port: job.port,
        servername: job.servername,
        source: identity.source,
        timeoutMs: settings.timeoutMs,
        deadlineMs: settings.deadlineMs,
        transcript: settings.transcript,
        ...(deps.connector ? { connector: deps.connector } : {}),
        ...(deps.signal ? { signal: deps.signal } : {}),
      }),
    );
  };
  const attempt = async (identity: Identity): Promise<SessionRun> => {
    let run = await once(identity);
    for (let i = 0; i < settings.retries && RETRYABLE.has(run.status) && !LOCAL_ERRORS.has(run.error?.code ?? '') && !deps.signal?.aborted; i++) {
      run = await once(identity);
    }
    return run;
  };

  const probes: ProbeResult[] = [];
  const greylisted: Array<{ index: number; at: number }> = [];
  let stop: string | null = null;
  for (const identity of job.identities) {
    if (stop === null && deps.signal?.aborted) stop = 'run interrupted';
    if (stop !== null) {
      probes.push(notTried(identity, stop));
      continue;
    }
    const run = await attempt(identity);
    const probe = toProbeResult(identity, run);
    if (starttls !== settings.starttls) {
      probe.transcript.unshift({ t: 0, dir: 'I', line: 'STARTTLS not attempted: the TLS handshake with this host failed in an earlier session of this matrix' });
    }
    // After a signal, results are written at once: no more DNS work for alignment.
    if (deps.enrichProbe && !deps.signal?.aborted) await deps.enrichProbe(probe);
    probes.push(probe);
    if (probe.verdict.cause === 'greylist' && settings.retryGreylistSec !== null) {
      greylisted.push({ index: probes.length - 1, at: Date.now() });
    }
    if (probe.status === 'tls-error' && starttls && settings.stopAfter !== 'starttls' && settings.stopAfter !== 'ehlo') {
      starttls = false;
      continue;
    }
    stop = stopReason(probe, run);
  }
  for (const u of job.unavailable) probes.push(notTried(u.identity, u.reason));

  // Greylisting (e.g. postgrey's default 300 s) wants the same triplet back after a delay; never
  // after the host asked us to go away (stop is set).
  for (const g of stop === null ? greylisted : []) {
    const wait = g.at + (settings.retryGreylistSec ?? 0) * 1000 - Date.now();
    if (wait > 0) await sleep(wait, deps.signal);
    if (deps.signal?.aborted) break;
    const original = probes[g.index];
    if (!original) continue;
    const run = await attempt(original.identity);
    const retry = toProbeResult(original.identity, run);
    original.greylistRetry = { afterSeconds: settings.retryGreylistSec ?? 0, verdict: retry.verdict, status: retry.status };
  }

  const host: HostResult = {
    exchange: job.exchange,
    ip: job.ip,
    port: job.port,
    family: job.family,
    probes,
  };
  if (deps.enrichHost && !deps.signal?.aborted) await deps.enrichHost(host, job);
  return host;
}
