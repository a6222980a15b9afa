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
import { ConnectError, connectSocket, defaultConnector, type CancelHook, type Connector } from './connector.js';
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

type Failure = { code: string; message: string };

/**
 * One session, split by phase the way smtp/session.ts splits states: connect (start/onConnected),
 * dialogue (onData → feed → perform), STARTTLS upgrade (upgrade/onUpgraded/onUpgradeFailed),
 * signals (onAbort/sendQuit) and the single exit (finish). The pure state machine decides; this
 * class only carries out its actions over the socket and keeps time.
 */
class SessionDriver {
  private readonly connector: Connector;
  private readonly keepTranscript: boolean;
  private readonly t0 = performance.now();
  private readonly transcript: TranscriptLine[] = [];
  private readonly timings = emptyTimings();
  private state: SessionState;
  private socket: Socket | TLSSocket | null = null;
  private parser: ReplyParser;
  private tls: TlsDetails | null = null;
  private local: SessionRun['local'] = null;
  /** The stage whose reply we wait for ('banner' first); null when nothing is expected. */
  private awaiting: { stage: CommandStage | 'banner'; since: number } | null = null;
  private starttlsSentAt = 0;
  private finished = false;
  /** One step timer per session, re-armed with refresh(); it fires only while `stepArmed`. */
  private stepTimer: NodeJS.Timeout | undefined;
  private stepArmed = false;
  private stepWhat = '';
  private deadlineTimer: NodeJS.Timeout | undefined;
  private graceTimer: NodeJS.Timeout | undefined;
  private quitTimer: NodeJS.Timeout | undefined;
  private stopListening = (): void => {};
  /** Set by a signal: the reply in flight is still read, then QUIT replaces whatever came next. */
  private aborting = false;
  private quitSent = false;
  /**
   * Cancels a connect or TLS handshake still pending when the session ends. The default
   * connector's connect is cancelled through `cancelHook` (a plain object); an AbortController is
   * built only for a TLS upgrade or an injected Connector (issue 13: one per session was 2% of CPU).
   */
  private pending: AbortController | null = null;
  private readonly cancelHook: CancelHook = { cancel: null };
  /**
   * Connects/handshakes not settled yet: the controller is aborted only when one is, since an
   * abort() without reason builds a DOMException with a stack, per session (issue 13: CPU).
   */
  private pendingOps = 0;
  private handshakeFailed: SessionRun['handshakeFailed'];
  private resolveRun!: (run: SessionRun) => void;
  readonly done = new Promise<SessionRun>((r) => (this.resolveRun = r));

  constructor(private readonly config: SessionConfig, private readonly opts: DriverOptions) {
    this.connector = opts.connector ?? defaultConnector;
    this.keepTranscript = opts.transcript !== false;
    this.state = start(config).state;
    this.parser = new ReplyParser(opts.replyLimits);
  }

  private now(): number {
    return performance.now() - this.t0;
  }

  private note(dir: TranscriptLine['dir'], line: string): void {
    if (this.keepTranscript) this.transcript.push({ t: round(this.now()), dir, line });
  }

  // ─── The single exit ───

  private finish(status: ProbeStatus, error?: Failure): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.stepTimer);
    clearTimeout(this.deadlineTimer);
    clearTimeout(this.graceTimer);
    clearTimeout(this.quitTimer);
    this.stopListening();
    if (this.pendingOps > 0) {
      this.cancelHook.cancel?.();
      this.pending?.abort(SESSION_ENDED);
    }
    if (this.socket) {
      this.socket.removeAllListeners('data');
      this.socket.on('error', () => {});
      this.socket.destroy();
    }
    this.timings.total = round(this.now());
    // A reply cut short by a timeout or a close is still something the server said: keep it.
    if (status !== 'success' && !this.parser.failed) {
      for (const line of this.parser.partialLines) this.note('S', line);
      if (this.parser.pendingText) this.note('S', this.parser.pendingText.slice(0, 512));
    }
    if (error) this.note('I', `${status}: ${error.message}`);
    this.resolveRun({
      status,
      ...(error ? { error } : {}),
      facts: this.state.facts,
      tls: this.tls,
      timings: this.timings,
      transcript: this.transcript,
      local: this.local,
      awaiting: this.awaiting?.stage ?? null,
      ...(this.handshakeFailed ? { handshakeFailed: this.handshakeFailed } : {}),
    });
  }

  /** After QUIT was sent, a timeout or close changes nothing about the result. */
  private endQuietly(status: ProbeStatus, error: Failure): void {
    if (isSettled(this.state)) this.finish('success');
    else this.finish(status, error);
  }

  private pendingSignal(): AbortSignal {
    this.pending ??= new AbortController();
    return this.pending.signal;
  }

  private readonly onStepTimeout = (): void => {
    if (!this.stepArmed) return;
    this.stepArmed = false;
    this.endQuietly('io-timeout', { code: 'E_TIMEOUT', message: `no reply to ${this.stepWhat} within ${this.opts.timeoutMs} ms` });
  };

  /** Every step has the same timeout: one Timeout per session, refreshed, not one per command. */
  private armStepTimer(what: string): void {
    this.stepWhat = what;
    this.stepArmed = true;
    if (this.stepTimer === undefined) this.stepTimer = setTimeout(this.onStepTimeout, this.opts.timeoutMs);
    else this.stepTimer.refresh();
  }

  /** The reply came (or a handshake runs on its own timer): the step timer no longer applies. */
  private disarmStepTimer(): void {
    this.stepArmed = false;
  }

  // ─── Signals ───

  private interrupted(): void {
    this.endQuietly('connection-closed', { code: 'E_INTERRUPTED', message: 'interrupted by signal' });
  }

  private sendQuit(): void {
    if (!this.socket || this.quitSent || this.finished) return;
    clearTimeout(this.quitTimer);
    this.quitSent = true;
    this.awaiting = { stage: 'quit', since: this.now() };
    this.note('C', 'QUIT');
    this.socket.write(formatCommand('QUIT'));
  }

  private readonly onAbort = (): void => {
    if (this.finished) return;
    this.aborting = true;
    this.note('I', 'interrupted: finishing with QUIT');
    // Never write into the middle of a dialogue: a command sent while a reply is pending would
    // pair every later reply with the wrong command. The pending reply is read first (perform()
    // then sends QUIT instead of the next command); with nothing pending, QUIT goes now. During
    // a TLS handshake or before the connection exists there is nobody to say QUIT to.
    const grace = this.opts.abortGraceMs ?? 1000;
    if (this.socket && this.state.phase !== 'tls-handshake') {
      if (this.awaiting === null) this.sendQuit();
      // A server that does not answer the pending command in half the grace still gets its QUIT.
      else this.quitTimer = setTimeout(() => this.sendQuit(), grace / 2);
    }
    this.graceTimer = setTimeout(() => this.interrupted(), grace);
  };

  // ─── The dialogue: replies in, actions out ───

  private perform(actions: SessionAction[]): void {
    for (const action of actions) {
      if (this.finished || !this.socket) return;
      if (this.aborting && action.type !== 'close') {
        // After "220 Ready to start TLS" the server expects a handshake, not a plaintext QUIT.
        if (this.quitSent || action.type === 'upgrade-tls') this.interrupted();
        else this.sendQuit();
        return;
      }
      switch (action.type) {
        case 'send': {
          this.awaiting = { stage: action.stage, since: this.now() };
          if (action.stage === 'starttls') this.starttlsSentAt = this.now();
          this.note('C', displayCommand(action.line));
          this.socket.write(action.line);
          this.armStepTimer(displayCommand(action.line).split(' ')[0] ?? action.stage);
          break;
        }
        case 'upgrade-tls':
          this.upgrade();
          break;
        case 'close':
          // finish() below destroys the socket in this same tick, and close(2) sends the FIN. On a
          // plain socket an end() first would only queue a shutdown that the close cancels (no
          // shutdown(2) reaches the kernel), at the cost of a write watcher and the stream's end
          // machinery per session (issue 13). TLS keeps it: end() is what sends close_notify
          // (RFC 8446 §6.1).
          if ((this.socket as TLSSocket).encrypted === true) this.socket.end();
          if (this.aborting && !isSettled(this.state) && this.state.phase !== 'done') this.interrupted();
          else this.finish('success');
          break;
      }
    }
  }

  private feed(event: SessionEvent): void {
    if (this.aborting && this.quitSent) {
      // The reply to our QUIT (or whatever came instead): the session is over.
      if (isSettled(this.state)) this.finish('success');
      else this.interrupted();
      return;
    }
    try {
      const result = step(this.state, event);
      this.state = result.state;
      this.perform(result.actions);
    } catch (err) {
      // A command the guard refuses (e.g. over 512 octets, RFC 5321 §4.5.3.1.4) must end this
      // session, never the process: this runs inside a socket 'data' handler.
      const e = err as { code?: string; message?: string };
      this.finish('protocol-error', { code: e.code ?? 'E_INTERNAL', message: e.message ?? String(err) });
    }
  }

  /** One reply, in order; false when the session ended on it. */
  private handleReply(reply: SmtpReply, index: number): boolean {
    for (const line of reply.lines) this.note('S', line);
    // Several replies in one read while we never pipeline: everything after the first was
    // sent before our next command existed, so the server talks out of turn.
    if (this.awaiting === null || index > 0) {
      // A reply nobody asked for: the server talks out of turn (a pipelining violation,
      // RFC 5321 §4.1.1 / RFC 2920 §3), or injects data after "220" to STARTTLS
      // (CVE-2011-0411 style). Trusting it would mis-pair every later reply.
      this.endQuietly('protocol-error', { code: 'E_PROTOCOL_UNSOLICITED_REPLY', message: `unsolicited reply from server: ${reply.lines[0] ?? ''}` });
      return false;
    }
    const stage = this.awaiting.stage;
    const key = stage === 'banner' ? 'banner' : TIMED[stage];
    if (key) this.timings[key] = round(this.now() - this.awaiting.since);
    this.awaiting = null;
    this.disarmStepTimer();
    this.feed({ type: 'reply', reply });
    return true;
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.finished) return;
    let replies;
    let failure: unknown = null;
    try {
      replies = this.parser.push(chunk);
    } catch (err) {
      // Replies completed in the same chunk before the bad line are still the server's words
      // (e.g. a banner followed by garbage): handle them first, then fail.
      replies = this.parser.completedBeforeError;
      failure = err;
    }
    for (let i = 0; i < replies.length; i++) {
      if (this.finished) return;
      if (!this.handleReply(replies[i] as SmtpReply, i)) return;
    }
    if (failure !== null) {
      if (this.finished) return;
      for (const line of this.parser.partialLines) this.note('S', line);
      if (this.parser.pendingText) this.note('S', this.parser.pendingText.slice(0, 512));
      if (failure instanceof ProtocolError) {
        this.endQuietly('protocol-error', { code: `E_PROTOCOL_${failure.reason.toUpperCase().replace(/-/g, '_')}`, message: failure.message });
      } else {
        this.endQuietly('protocol-error', { code: 'E_PROTOCOL', message: String(failure) });
      }
      return;
    }
    // Bytes left over right after the 220 to STARTTLS were sent before the handshake: RFC 3207 §5
    // says the client must discard them; we refuse to go on, as they are an injection attempt.
    if (!this.finished && this.state.phase === 'tls-handshake' && this.parser.pendingBytes > 0) {
      this.endQuietly('protocol-error', { code: 'E_PROTOCOL_UNSOLICITED_REPLY', message: 'data received after 220 to STARTTLS, before the TLS handshake' });
    }
  };

  private readonly onClose = (): void => {
    if (this.finished) return;
    if (this.aborting) {
      this.interrupted();
      return;
    }
    const where = this.awaiting ? `waiting for the reply to ${this.awaiting.stage}` : 'mid-session';
    this.endQuietly('connection-closed', { code: 'E_CLOSED', message: `server closed the connection ${where}` });
  };

  private readonly onError = (err: NodeJS.ErrnoException): void => {
    if (this.finished) return;
    this.endQuietly('connection-closed', { code: err.code ?? 'E_SOCKET', message: err.message });
  };

  private attach(s: Socket | TLSSocket): void {
    s.on('data', this.onData);
    s.on('error', this.onError);
    s.on('close', this.onClose);
  }

  // ─── STARTTLS (RFC 3207 §4) ───

  private upgrade(): void {
    const plain = this.socket as Socket;
    plain.removeListener('data', this.onData);
    plain.removeListener('close', this.onClose);
    plain.removeListener('error', this.onError);
    plain.on('error', () => {});
    this.disarmStepTimer();
    this.pendingOps++;
    this.connector.upgradeTls(plain, this.opts.servername, this.opts.timeoutMs, this.pendingSignal()).then(
      (secure) => {
        this.pendingOps--;
        this.onUpgraded(secure);
      },
      (err: unknown) => {
        this.pendingOps--;
        this.onUpgradeFailed(err);
      },
    );
  }

  private onUpgraded(secure: TLSSocket): void {
    if (this.finished) {
      secure.destroy();
      return;
    }
    this.socket = secure;
    this.timings.tls = round(this.now() - this.starttlsSentAt);
    try {
      this.tls = tlsDetails(secure, 'starttls', this.opts.servername);
    } catch (err) {
      this.finish('tls-error', { code: 'E_TLS_DETAILS', message: `could not read the TLS session: ${String(err)}` });
      return;
    }
    if (this.aborting) {
      this.interrupted();
      return;
    }
    this.note('I', `TLS established: ${this.tls.protocol ?? '?'} ${this.tls.cipher?.name ?? ''}`.trim());
    // A fresh parser: nothing from before the handshake may be carried over (RFC 3207 §4.2).
    this.parser = new ReplyParser(this.opts.replyLimits);
    this.attach(secure);
    this.feed({ type: 'tls-established' });
  }

  private onUpgradeFailed(err: unknown): void {
    const e = err instanceof ConnectError ? err : new ConnectError('E_TLS', String(err), 'tls');
    this.state = step(this.state, { type: 'tls-failed', message: e.message }).state;
    // Recorded only for a real failure, not for a handshake abandoned because the session ended.
    if (!this.finished) this.handshakeFailed = { code: e.code, message: e.message };
    this.finish(e.code === 'ETIMEDOUT' ? 'io-timeout' : 'tls-error', { code: e.code, message: `STARTTLS handshake failed: ${e.message}` });
  }

  // ─── Connect ───

  start(): Promise<SessionRun> {
    const { opts, config } = this;
    if (opts.signal?.aborted) {
      this.finish('connection-closed', { code: 'E_INTERRUPTED', message: 'interrupted before connecting' });
      return this.done;
    }
    if (opts.signal) this.stopListening = onAbortSignal(opts.signal, this.onAbort);
    this.deadlineTimer = setTimeout(
      () => this.endQuietly('io-timeout', { code: 'E_DEADLINE', message: `session deadline of ${opts.deadlineMs} ms reached` }),
      opts.deadlineMs,
    );
    this.note('I', `connecting to ${opts.ip.includes(':') ? `[${opts.ip}]` : opts.ip}:${opts.port}${opts.source ? ` from ${opts.source}` : ''}`);
    this.pendingOps++;
    const connectOptions = {
      host: opts.ip,
      port: opts.port,
      ...(opts.source ? { localAddress: opts.source } : {}),
      timeoutMs: Math.min(opts.timeoutMs, opts.deadlineMs),
      ...(config.implicitTls ? { implicitTls: { servername: opts.servername } } : {}),
    };
    const connecting = this.connector === defaultConnector
      ? connectSocket(connectOptions, this.cancelHook)
      : this.connector.connect({ ...connectOptions, signal: this.pendingSignal() });
    connecting
      .then(
        (s) => {
          this.pendingOps--;
          this.onConnected(s);
        },
        (err: unknown) => {
          this.pendingOps--;
          const e = err as ConnectError;
          this.finish(connectStatus(err), { code: e.code ?? 'E_CONNECT', message: e.message ?? String(err) });
        },
      );
    return this.done;
  }

  private onConnected(s: Socket | TLSSocket): void {
    if (this.finished) {
      s.destroy();
      return;
    }
    this.socket = s;
    this.timings.connect = round(this.now());
    if (this.aborting) {
      // The signal came while connecting: nothing was said yet, so nothing to finish.
      this.finish('connection-closed', { code: 'E_INTERRUPTED', message: 'interrupted while connecting' });
      return;
    }
    this.local = s.localAddress ? { address: s.localAddress, port: s.localPort ?? 0 } : null;
    this.note('I', `connected${this.local ? ` from ${this.local.address}:${this.local.port}` : ''}`);
    if (this.config.implicitTls) {
      try {
        this.tls = tlsDetails(s as TLSSocket, 'implicit', this.opts.servername);
      } catch (err) {
        this.finish('tls-error', { code: 'E_TLS_DETAILS', message: `could not read the TLS session: ${String(err)}` });
        return;
      }
      this.timings.tls = this.timings.connect;
      this.note('I', `TLS established: ${this.tls.protocol ?? '?'} ${this.tls.cipher?.name ?? ''}`.trim());
    }
    this.awaiting = { stage: 'banner', since: this.now() };
    this.attach(s);
    this.armStepTimer('the banner');
  }
}

/** The abort reason for a connect/handshake outlived by its session (one object for every session). */
const SESSION_ENDED = Object.freeze(new Error('the session ended'));

export function runSession(config: SessionConfig, opts: DriverOptions): Promise<SessionRun> {
  return new SessionDriver(config, opts).start();
}
