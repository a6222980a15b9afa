/**
 * Probe one host address with every planned identity: one connection per (identity, source),
 * in turn, through the polite scheduler (one connection per IP at a time, with a gap).
 *
 * When the host answers 421 or drops/refuses us, the remaining cells are not tried: they are
 * reported as `not-tried` with the reason, because hammering a host that asked us to go away is
 * exactly what a polite prober must not do (RFC 5321 §3.8, §4.5.4.1 on retry intervals).
 */
import type { HostResult, Identity, ProbeResult, ProbeStatus, StarttlsFailure, StopAfter, Verdict } from '../results.js';
import type { Connector } from '../net/connector.js';
import { runSession, type SessionRun } from '../net/session-driver.js';
import type { SessionConfig } from '../smtp/session.js';
import { observedClientIp } from '../smtp/capabilities.js';
import { verdictFrom } from '../analysis/verdict.js';
import { NOT_STARTED, type PoliteScheduler } from './scheduler.js';
import { abortableSleep } from '../net/abort.js';

export interface ProbeSettings {
  stopAfter: StopAfter;
  starttls: boolean;
  /**
   * Opportunistic TLS (default true): after a refused STARTTLS go on in plaintext in the same
   * session; after a failed handshake reconnect in plaintext. False: --no-starttls-fallback.
   */
  starttlsFallback?: boolean;
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

const defaultSleep = abortableSleep;

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

/**
 * An "accepted" that judged nothing becomes `not-judged`: with --stop-after banner no EHLO/HELO
 * was ever sent; for an identity other than the primary, a stop before MAIL leaves the question
 * unasked, since most receivers judge the HELO only at RCPT (Postfix smtpd_delay_reject = yes,
 * RFC 5321 §4.1.1.1 forbids refusing a session for a HELO that does not resolve). Refusals and
 * deferrals are the receiver's words and stay as they are.
 */
export function judgedVerdict(verdict: Verdict, kind: Identity['kind'], stopAfter: StopAfter): Verdict {
  if (verdict.outcome !== 'accepted') return verdict;
  const unasked = stopAfter === 'banner' || (kind !== 'primary' && (stopAfter === 'ehlo' || stopAfter === 'starttls'));
  if (!unasked) return verdict;
  const { remedy: _remedy, ...rest } = verdict;
  return { ...rest, outcome: 'not-judged', cause: 'none' };
}

/**
 * The STARTTLS failure this session saw, if any. A 421 to STARTTLS is the host leaving (handled
 * as a back-off), so nothing went on after it either.
 */
function starttlsFailureOf(run: SessionRun, fallback: boolean): StarttlsFailure | null {
  const f = run.facts;
  if (run.handshakeFailed) return { kind: 'handshake-failed', error: run.handshakeFailed, fallback: 'none' };
  const r = f.starttlsReply;
  if (r !== null && r.code !== 220) return { kind: 'refused', reply: r, fallback: fallback && r.code !== 421 ? 'same-session' : 'none' };
  return null;
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

/** The not-tried reason of cells a 421 kept from being tried (RFC 5321 §3.8: the host is leaving; we back off). */
const BACKOFF_421 = 'host answered 421 at ';

/**
 * A cell left untried because its host answered 421: nothing was judged for that identity, so the
 * run cannot say its matrix ran (exit 1), although the back-off itself is right (and --resume keeps
 * it: probe/resume.ts).
 */
export function isBackoffNotTried(p: ProbeResult): boolean {
  return p.status === 'not-tried' && p.notTried?.reason.startsWith(BACKOFF_421) === true;
}

/** Why the rest of this host's matrix must not be tried, or null to go on. */
function stopReason(probe: ProbeResult, run: SessionRun): string | null {
  if (run.facts.closedBy421) {
    const stage = probe.verdict.stage ?? 'connect';
    return `${BACKOFF_421}${stage} for identity ${probe.identity.kind} (${probe.identity.name}); backing off`;
  }
  if (probe.status === 'success') return null;
  if (run.error?.code === 'E_INTERRUPTED') return 'run interrupted';
  return `host failed with ${probe.status} for identity ${probe.identity.kind} (${probe.identity.name}); not trying the rest`;
}

export async function probeHost(job: HostJob, settings: ProbeSettings, deps: HostDeps): Promise<HostResult> {
  const sleep = deps.sleep ?? defaultSleep;
  const fallback = settings.starttlsFallback !== false;
  // After a failed TLS handshake, the rest of the matrix goes on without STARTTLS, as an
  // opportunistic MTA would on its next attempt: the question asked is about the HELO.
  let starttls = settings.starttls;
  /** Null: the signal came while the session waited for its turn, and it was never started. */
  const once = async (identity: Identity, useStarttls: boolean): Promise<SessionRun | null> => {
    const config: SessionConfig = {
      helo: identity.name,
      stopAfter: settings.stopAfter,
      starttls: useStarttls,
      starttlsFallback: fallback,
      implicitTls: settings.implicitTls,
      mailFrom: job.mailFrom,
      rcpt: job.rcpt,
    };
    const run = await deps.scheduler.run(job.ip, () =>
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
      deps.signal,
    );
    return run === NOT_STARTED ? null : run;
  };
  const attemptWith = async (identity: Identity, useStarttls: boolean): Promise<SessionRun | null> => {
    let run = await once(identity, useStarttls);
    if (run === null) return null;
    for (let i = 0; i < settings.retries && RETRYABLE.has(run.status) && !LOCAL_ERRORS.has(run.error?.code ?? '') && !deps.signal?.aborted; i++) {
      const again = await once(identity, useStarttls);
      if (again === null) break;
      run = again;
    }
    return run;
  };
  /**
   * One cell. After "220" to STARTTLS and a failed handshake the socket is useless; an
   * opportunistic MTA reconnects and delivers in plaintext, so this cell does too (a fresh
   * connection through the polite scheduler, spaced like any other) and gets its verdict from
   * that session. The failed attempt's transcript is kept in front of the plaintext one.
   */
  const attempt = async (identity: Identity): Promise<{ run: SessionRun; failure: StarttlsFailure | null } | null> => {
    const first = await attemptWith(identity, starttls);
    if (first === null) return null;
    const failure = starttlsFailureOf(first, fallback);
    if (failure?.kind !== 'handshake-failed' || !fallback || deps.signal?.aborted) return { run: first, failure };
    // The rest of this host's matrix skips STARTTLS: one failed handshake is enough to know.
    starttls = false;
    const second = await attemptWith(identity, false);
    if (second === null) return { run: first, failure };
    const transcript = settings.transcript
      ? [
          ...first.transcript,
          { t: first.timings.total, dir: 'I' as const, line: 'reconnecting in plaintext after the failed TLS handshake (opportunistic TLS, RFC 3207 §4); times below restart at 0' },
          ...second.transcript,
        ]
      : second.transcript;
    return { run: { ...second, transcript }, failure: { ...failure, fallback: 'reconnect' } };
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
    const skippedTls = starttls !== settings.starttls;
    const attempted = await attempt(identity);
    // Still waiting for its turn when the signal came: planned, never started (resume.ts tries it again).
    if (attempted === null) {
      stop = 'run interrupted';
      probes.push(notTried(identity, stop));
      continue;
    }
    const { run, failure } = attempted;
    const probe = toProbeResult(identity, run);
    probe.verdict = judgedVerdict(probe.verdict, identity.kind, settings.stopAfter);
    if (failure !== null) probe.starttlsFailure = failure;
    if (skippedTls) {
      probe.transcript.unshift({ t: 0, dir: 'I', line: 'STARTTLS not attempted: the TLS handshake with this host failed in an earlier session of this matrix' });
    }
    // After a signal, results are written at once: no more DNS work for alignment.
    if (deps.enrichProbe && !deps.signal?.aborted) await deps.enrichProbe(probe);
    // An indexed store, not push(): TurboFan's inlined push() on the empty (SMI elements) array
    // guarded for a Smi and was deoptimised by the first probe object (issue 13).
    probes[probes.length] = probe;
    if (probe.verdict.cause === 'greylist' && settings.retryGreylistSec !== null) {
      greylisted.push({ index: probes.length - 1, at: Date.now() });
    }
    // --no-starttls-fallback keeps the strict behaviour: this cell stays a tls-error, and only the
    // later cells of a matrix that goes past STARTTLS skip it (their question is about the HELO).
    if (!fallback && probe.status === 'tls-error' && starttls && settings.stopAfter !== 'starttls' && settings.stopAfter !== 'ehlo') {
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
    const again = await attempt(original.identity);
    if (again === null) break;
    const { run } = again;
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
