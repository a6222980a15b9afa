/**
 * Drives the pure session state machine (smtp/session.ts) over a real socket: connect, feed
 * bytes to the reply parser, carry out actions, time every stage, keep a transcript.
 *
 * Every stage is bounded: a per-step timeout (--timeout) and a whole-session deadline
 * (--deadline). Whatever happens, the promise resolves with a status from the fixed vocabulary
 * and keeps the partial data seen so far (a banner seen before a later failure stays).
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { performance } from 'node:perf_hooks';
import type { ProbeStatus, SmtpReply, TlsDetails, Timings, TranscriptLine } from '../results.js';
import { ProtocolError } from '../errors.js';
import { ReplyParser, type ReplyLimits } from '../smtp/reply.js';
import { displayCommand, formatCommand } from '../smtp/command.js';
import {
  isSettled,
  start,
  step,
  type CommandStage,
  type SessionAction,
  type SessionConfig,
  type SessionEvent,
  type SessionFacts,
  type SessionState,
} from '../smtp/session.js';
import { ConnectError, defaultConnector, type Connector } from './connector.js';
import { tlsDetails } from './tls-details.js';
import { onAbort as onAbortSignal } from './abort.js';

export interface DriverOptions {
  ip: string;
  port: number;
  /** Name for SNI and the certificate name check (the MX host name), or null for IP targets. */
  servername: string | null;
  source: string | null;
  timeoutMs: number;
  deadlineMs: number;
  connector?: Connector;
  /** Aborted on SIGINT/SIGTERM: send QUIT and give up within `abortGraceMs`. */
  signal?: AbortSignal;
  abortGraceMs?: number;
  replyLimits?: Partial<ReplyLimits>;
  /** Keep the transcript (default true). */
  transcript?: boolean;
}

export interface SessionRun {
  status: ProbeStatus;
  error?: { code: string; message: string };
  facts: SessionFacts;
  tls: TlsDetails | null;
  timings: Timings;
  transcript: TranscriptLine[];
  local: { address: string; port: number } | null;
  /** The command whose reply was awaited when the session ended (names the stage of a failure). */
  awaiting: CommandStage | 'banner' | null;
  /** Set when the server said 220 to STARTTLS and the TLS handshake then failed (RFC 3207 §4). */
  handshakeFailed?: { code: string; message: string };
}

function emptyTimings(): Timings {
  return { connect: null, banner: null, ehlo: null, helo: null, tls: null, ehloTls: null, mail: null, rcpt: null, total: 0 };
}

const TIMED: Partial<Record<CommandStage, keyof Timings>> = {
  ehlo: 'ehlo',
  helo: 'helo',
  ehloTls: 'ehloTls',
  mail: 'mail',
  rcpt: 'rcpt',
};

function connectStatus(err: unknown): ProbeStatus {
  if (err instanceof ConnectError) {
    if (err.phase === 'tls') return err.code === 'ETIMEDOUT' ? 'io-timeout' : 'tls-error';
    if (err.code === 'ETIMEDOUT') return 'connection-timeout';
    if (err.code === 'ECONNRESET' || err.code === 'EPIPE') return 'connection-closed';
    // No route from this side: the server never saw us, so "refused" would blame it.
    if (err.code === 'ENETUNREACH' || err.code === 'EHOSTUNREACH') return 'network-unreachable';
  }
  return 'connection-refused';
}

const round = (ms: number) => Math.round(ms * 10) / 10;

export function runSession(config: SessionConfig, opts: DriverOptions): Promise<SessionRun> {
  const connector = opts.connector ?? defaultConnector;
  const keepTranscript = opts.transcript !== false;
  const t0 = performance.now();
  const now = () => performance.now() - t0;
  const transcript: TranscriptLine[] = [];
  const timings = emptyTimings();
  const note = (dir: TranscriptLine['dir'], line: string) => {
    if (keepTranscript) transcript.push({ t: round(now()), dir, line });
  };

  let state: SessionState = start(config).state;
  let socket: Socket | TLSSocket | null = null;
  let parser = new ReplyParser(opts.replyLimits);
  let tls: TlsDetails | null = null;
  let local: SessionRun['local'] = null;
  /** The stage whose reply we wait for ('banner' first); null when nothing is expected. */
  let awaiting: { stage: CommandStage | 'banner'; since: number } | null = null;
  let starttlsSentAt = 0;
  let finished = false;
  let stepTimer: NodeJS.Timeout | undefined;
  let deadlineTimer: NodeJS.Timeout | undefined;
  let graceTimer: NodeJS.Timeout | undefined;
  let stopListening = () => {};
  /** Set by a signal: the reply in flight is still read, then QUIT replaces whatever came next. */
  let aborting = false;
  let quitSent = false;
  let quitTimer: NodeJS.Timeout | undefined;
  /** Cancels a connect or TLS handshake still pending when the session ends. */
  const pending = new AbortController();
  let handshakeFailed: SessionRun['handshakeFailed'];
  let resolveRun!: (run: SessionRun) => void;
  const done = new Promise<SessionRun>((r) => (resolveRun = r));

  const finish = (status: ProbeStatus, error?: { code: string; message: string }) => {
    if (finished) return;
    finished = true;
    clearTimeout(stepTimer);
    clearTimeout(deadlineTimer);
    clearTimeout(graceTimer);
    clearTimeout(quitTimer);
    stopListening();
    pending.abort();
    if (socket) {
      socket.removeAllListeners('data');
      socket.on('error', () => {});
      socket.destroy();
    }
    timings.total = round(now());
    // A reply cut short by a timeout or a close is still something the server said: keep it.
    if (status !== 'success' && !parser.failed) {
      for (const line of parser.partialLines) note('S', line);
      if (parser.pendingText) note('S', parser.pendingText.slice(0, 512));
    }
    if (error) note('I', `${status}: ${error.message}`);
    resolveRun({
      status,
      ...(error ? { error } : {}),
      facts: state.facts,
      tls,
      timings,
      transcript,
      local,
      awaiting: awaiting?.stage ?? null,
      ...(handshakeFailed ? { handshakeFailed } : {}),
    });
  };

  /** After QUIT was sent, a timeout or close changes nothing about the result. */
  const endQuietly = (status: ProbeStatus, error: { code: string; message: string }) => {
    if (isSettled(state)) finish('success');
    else finish(status, error);
  };

  const armStepTimer = (what: string) => {
    clearTimeout(stepTimer);
    stepTimer = setTimeout(
      () => endQuietly('io-timeout', { code: 'E_TIMEOUT', message: `no reply to ${what} within ${opts.timeoutMs} ms` }),
      opts.timeoutMs,
    );
  };

  const interrupted = () => endQuietly('connection-closed', { code: 'E_INTERRUPTED', message: 'interrupted by signal' });

  const sendQuit = () => {
    if (!socket || quitSent || finished) return;
    clearTimeout(quitTimer);
    quitSent = true;
    awaiting = { stage: 'quit', since: now() };
    note('C', 'QUIT');
    socket.write(formatCommand('QUIT'));
  };

  const onAbort = () => {
    if (finished) return;
    aborting = true;
    note('I', 'interrupted: finishing with QUIT');
    // Never write into the middle of a dialogue: a command sent while a reply is pending would
    // pair every later reply with the wrong command. The pending reply is read first (perform()
    // then sends QUIT instead of the next command); with nothing pending, QUIT goes now. During
    // a TLS handshake or before the connection exists there is nobody to say QUIT to.
    const grace = opts.abortGraceMs ?? 1000;
    if (socket && state.phase !== 'tls-handshake') {
      if (awaiting === null) sendQuit();
      // A server that does not answer the pending command in half the grace still gets its QUIT.
      else quitTimer = setTimeout(sendQuit, grace / 2);
    }
    graceTimer = setTimeout(interrupted, grace);
  };

  const perform = (actions: SessionAction[]) => {
    for (const action of actions) {
      if (finished || !socket) return;
      if (aborting && action.type !== 'close') {
        // After "220 Ready to start TLS" the server expects a handshake, not a plaintext QUIT.
        if (quitSent || action.type === 'upgrade-tls') interrupted();
        else sendQuit();
        return;
      }
      switch (action.type) {
        case 'send': {
          awaiting = { stage: action.stage, since: now() };
          if (action.stage === 'starttls') starttlsSentAt = now();
          note('C', displayCommand(action.line));
          socket.write(action.line);
          armStepTimer(displayCommand(action.line).split(' ')[0] ?? action.stage);
          break;
        }
        case 'upgrade-tls':
          upgrade();
          break;
        case 'close':
          socket.end();
          if (aborting && !isSettled(state) && state.phase !== 'done') interrupted();
          else finish('success');
          break;
      }
    }
  };

  const feed = (event: SessionEvent) => {
    if (aborting && quitSent) {
      // The reply to our QUIT (or whatever came instead): the session is over.
      if (isSettled(state)) finish('success');
      else interrupted();
      return;
    }
    try {
      const result = step(state, event);
      state = result.state;
      perform(result.actions);
    } catch (err) {
      // A command the guard refuses (e.g. over 512 octets, RFC 5321 §4.5.3.1.4) must end this
      // session, never the process: this runs inside a socket 'data' handler.
      const e = err as { code?: string; message?: string };
      finish('protocol-error', { code: e.code ?? 'E_INTERNAL', message: e.message ?? String(err) });
    }
  };

  const onData = (chunk: Buffer) => {
    if (finished) return;
    let replies;
    let failure: unknown = null;
    try {
      replies = parser.push(chunk);
    } catch (err) {
      // Replies completed in the same chunk before the bad line are still the server's words
      // (e.g. a banner followed by garbage): handle them first, then fail.
      replies = parser.completedBeforeError;
      failure = err;
    }
    for (let i = 0; i < replies.length; i++) {
      const reply = replies[i] as SmtpReply;
      if (finished) return;
      for (const line of reply.lines) note('S', line);
      // Several replies in one read while we never pipeline: everything after the first was
      // sent before our next command existed, so the server talks out of turn.
      if (awaiting === null || i > 0) {
        // A reply nobody asked for: the server talks out of turn (a pipelining violation,
        // RFC 5321 §4.1.1 / RFC 2920 §3), or injects data after "220" to STARTTLS
        // (CVE-2011-0411 style). Trusting it would mis-pair every later reply.
        endQuietly('protocol-error', { code: 'E_PROTOCOL_UNSOLICITED_REPLY', message: `unsolicited reply from server: ${reply.lines[0] ?? ''}` });
        return;
      }
      const stage = awaiting.stage;
      const key = stage === 'banner' ? 'banner' : TIMED[stage];
      if (key) timings[key] = round(now() - awaiting.since);
      awaiting = null;
      clearTimeout(stepTimer);
      feed({ type: 'reply', reply });
    }
    if (failure !== null) {
      if (finished) return;
      for (const line of parser.partialLines) note('S', line);
      if (parser.pendingText) note('S', parser.pendingText.slice(0, 512));
      if (failure instanceof ProtocolError) {
        endQuietly('protocol-error', { code: `E_PROTOCOL_${failure.reason.toUpperCase().replace(/-/g, '_')}`, message: failure.message });
      } else {
        endQuietly('protocol-error', { code: 'E_PROTOCOL', message: String(failure) });
      }
      return;
    }
    // Bytes left over right after the 220 to STARTTLS were sent before the handshake: RFC 3207 §5
    // says the client must discard them; we refuse to go on, as they are an injection attempt.
    if (!finished && state.phase === 'tls-handshake' && parser.pendingBytes > 0) {
      endQuietly('protocol-error', { code: 'E_PROTOCOL_UNSOLICITED_REPLY', message: 'data received after 220 to STARTTLS, before the TLS handshake' });
    }
  };

  const onClose = () => {
    if (finished) return;
    if (aborting) {
      interrupted();
      return;
    }
    const where = awaiting ? `waiting for the reply to ${awaiting.stage}` : 'mid-session';
    endQuietly('connection-closed', { code: 'E_CLOSED', message: `server closed the connection ${where}` });
  };

  const onError = (err: NodeJS.ErrnoException) => {
    if (finished) return;
    endQuietly('connection-closed', { code: err.code ?? 'E_SOCKET', message: err.message });
  };

  const attach = (s: Socket | TLSSocket) => {
    s.on('data', onData);
    s.on('error', onError);
    s.on('close', onClose);
  };

  const upgrade = () => {
    const plain = socket as Socket;
    plain.removeListener('data', onData);
    plain.removeListener('close', onClose);
    plain.removeListener('error', onError);
    plain.on('error', () => {});
    clearTimeout(stepTimer);
    connector.upgradeTls(plain, opts.servername, opts.timeoutMs, pending.signal).then(
      (secure) => {
        if (finished) {
          secure.destroy();
          return;
        }
        socket = secure;
        timings.tls = round(now() - starttlsSentAt);
        try {
          tls = tlsDetails(secure, 'starttls', opts.servername);
        } catch (err) {
          finish('tls-error', { code: 'E_TLS_DETAILS', message: `could not read the TLS session: ${String(err)}` });
          return;
        }
        if (aborting) {
          interrupted();
          return;
        }
        note('I', `TLS established: ${tls.protocol ?? '?'} ${tls.cipher?.name ?? ''}`.trim());
        // A fresh parser: nothing from before the handshake may be carried over (RFC 3207 §4.2).
        parser = new ReplyParser(opts.replyLimits);
        attach(secure);
        feed({ type: 'tls-established' });
      },
      (err: unknown) => {
        const e = err instanceof ConnectError ? err : new ConnectError('E_TLS', String(err), 'tls');
        state = step(state, { type: 'tls-failed', message: e.message }).state;
        if (!finished) handshakeFailed = { code: e.code, message: e.message };
        finish(e.code === 'ETIMEDOUT' ? 'io-timeout' : 'tls-error', { code: e.code, message: `STARTTLS handshake failed: ${e.message}` });
      },
    );
  };

  if (opts.signal?.aborted) {
    finish('connection-closed', { code: 'E_INTERRUPTED', message: 'interrupted before connecting' });
    return done;
  }
  if (opts.signal) stopListening = onAbortSignal(opts.signal, onAbort);
  deadlineTimer = setTimeout(
    () => endQuietly('io-timeout', { code: 'E_DEADLINE', message: `session deadline of ${opts.deadlineMs} ms reached` }),
    opts.deadlineMs,
  );

  note('I', `connecting to ${opts.ip.includes(':') ? `[${opts.ip}]` : opts.ip}:${opts.port}${opts.source ? ` from ${opts.source}` : ''}`);
  connector
    .connect({
      host: opts.ip,
      port: opts.port,
      ...(opts.source ? { localAddress: opts.source } : {}),
      timeoutMs: Math.min(opts.timeoutMs, opts.deadlineMs),
      signal: pending.signal,
      ...(config.implicitTls ? { implicitTls: { servername: opts.servername } } : {}),
    })
    .then(
      (s) => {
        if (finished) {
          s.destroy();
          return;
        }
        socket = s;
        timings.connect = round(now());
        if (aborting) {
          // The signal came while connecting: nothing was said yet, so nothing to finish.
          finish('connection-closed', { code: 'E_INTERRUPTED', message: 'interrupted while connecting' });
          return;
        }
        local = s.localAddress ? { address: s.localAddress, port: s.localPort ?? 0 } : null;
        note('I', `connected${local ? ` from ${local.address}:${local.port}` : ''}`);
        if (config.implicitTls) {
          try {
            tls = tlsDetails(s as TLSSocket, 'implicit', opts.servername);
          } catch (err) {
            finish('tls-error', { code: 'E_TLS_DETAILS', message: `could not read the TLS session: ${String(err)}` });
            return;
          }
          timings.tls = timings.connect;
          note('I', `TLS established: ${tls.protocol ?? '?'} ${tls.cipher?.name ?? ''}`.trim());
        }
        awaiting = { stage: 'banner', since: now() };
        attach(s);
        armStepTimer('the banner');
      },
      (err: unknown) => {
        const status = connectStatus(err);
        const e = err as ConnectError;
        finish(status, { code: e.code ?? 'E_CONNECT', message: e.message ?? String(err) });
      },
    );
  return done;
}
