/**
 * The SMTP client session as a pure state machine: `step(state, event) → { state, actions }`.
 * No I/O here; src/net/session-driver.ts feeds it replies and carries out its actions.
 *
 * Procedure (one connection, one declared identity):
 *  1. Read the banner (RFC 5321 §3.1). 220 → go on; 421 → end; other codes → QUIT and record.
 *  2. EHLO <name> (RFC 5321 §4.1.1.1).
 *  3. On a 5xx other than 421, record that reply and try HELO with the same name (§4.1.4 allows
 *     a client to fall back); both replies are kept.
 *  4. STARTTLS when advertised and allowed (RFC 3207 §4); on 220 the driver upgrades the socket.
 *     A refusal (e.g. 454) is a TLS fact, not a verdict on the identity: like an opportunistic
 *     MTA, the session goes on in plaintext (RFC 3207 §4 "the client MAY ... continue"), unless
 *     `starttlsFallback` is false (strict TLS audit: the refusal is the decision).
 *  5. EHLO again after TLS: the pre-TLS capabilities must be discarded (RFC 3207 §4.2).
 *  6. Optionally MAIL FROM and RCPT TO (RFC 5321 §4.1.1.2-3).
 *  7. RSET (after an envelope was started, §4.1.1.5), then QUIT (§4.1.1.10).
 *
 * There is deliberately no way to emit DATA, BDAT or AUTH: probing never sends a message and never
 * tries credentials. The command formatter enforces the same list of verbs (command.ts).
 * A 421 at any point means the server is closing the channel (§3.8): the session ends there.
 */
import type { Capabilities, Outcome, SmtpReply, Stage, StopAfter } from '../results.js';
import { parseCapabilities } from './capabilities.js';
import { ehloCommand, heloCommand, mailFromCommand, formatCommand, rcptToCommand } from './command.js';

export interface SessionConfig {
  /** The EHLO/HELO argument. */
  helo: string;
  stopAfter: StopAfter;
  /** Issue STARTTLS when it is advertised (false with --no-starttls). */
  starttls: boolean;
  /** TLS is already up from the first byte (RFC 8314 implicit TLS, port 465). */
  implicitTls: boolean;
  /**
   * After a refused STARTTLS go on in plaintext, as an opportunistic sending MTA does (default
   * true). False (--no-starttls-fallback): the refusal ends the session and is its decision.
   */
  starttlsFallback?: boolean;
  /** Reverse-path for MAIL FROM; "" is the null sender <>. */
  mailFrom: string;
  /** Forward-path for RCPT TO. */
  rcpt: string;
}

/** Stages the driver times; `quit`/`rset` are housekeeping. */
export type CommandStage = 'ehlo' | 'helo' | 'starttls' | 'ehloTls' | 'mail' | 'rcpt' | 'rset' | 'quit';

export type SessionPhase =
  | 'banner'
  | 'ehlo'
  | 'helo'
  | 'starttls'
  | 'tls-handshake'
  | 'ehlo-tls'
  | 'mail'
  | 'rcpt'
  | 'rset'
  | 'quit'
  | 'done';

export interface Decision {
  outcome: Outcome;
  stage: Stage;
  reply: SmtpReply | null;
}

/** Everything the protocol told us; the driver adds transcript, timings and TLS details. */
export interface SessionFacts {
  banner: SmtpReply | null;
  ehloReply: SmtpReply | null;
  heloReply: SmtpReply | null;
  greetingCommand: 'EHLO' | 'HELO' | null;
  plainCapabilities: Capabilities | null;
  tlsCapabilities: Capabilities | null;
  starttlsReply: SmtpReply | null;
  ehloTlsReply: SmtpReply | null;
  mailReply: SmtpReply | null;
  rcptReply: SmtpReply | null;
  /** The reply that decided the session so far (updated as stages pass). */
  decision: Decision | null;
  /** The last stage completed with a positive reply. */
  reached: Stage | null;
  tlsActive: boolean;
  /** The server sent 421, or a 5xx announcing it is closing the channel (RFC 5321 §3.8). */
  closedBy421: boolean;
}

export interface SessionState {
  readonly config: SessionConfig;
  readonly phase: SessionPhase;
  readonly facts: SessionFacts;
}

export type SessionEvent =
  | { type: 'reply'; reply: SmtpReply }
  | { type: 'tls-established' }
  | { type: 'tls-failed'; message: string };

export type SessionAction =
  | { type: 'send'; line: string; stage: CommandStage }
  | { type: 'upgrade-tls' }
  | { type: 'close' };

export interface StepResult {
  state: SessionState;
  actions: SessionAction[];
}

export function outcomeOf(code: number): Outcome {
  if (code >= 200 && code < 400) return 'accepted';
  if (code >= 400 && code < 500) return 'deferred';
  if (code >= 500 && code < 600) return 'rejected';
  return 'unknown';
}

const ORDER: readonly StopAfter[] = ['banner', 'ehlo', 'starttls', 'mail', 'rcpt'];
function goesPast(config: SessionConfig, point: StopAfter): boolean {
  return ORDER.indexOf(config.stopAfter) > ORDER.indexOf(point);
}

export function initialState(config: SessionConfig): SessionState {
  return {
    config,
    phase: 'banner',
    facts: {
      banner: null,
      ehloReply: null,
      heloReply: null,
      greetingCommand: null,
      plainCapabilities: null,
      tlsCapabilities: null,
      starttlsReply: null,
      ehloTlsReply: null,
      mailReply: null,
      rcptReply: null,
      decision: null,
      reached: null,
      tlsActive: config.implicitTls,
      closedBy421: false,
    },
  };
}

/** True once nothing more is expected from the server that would change the result. */
export function isSettled(state: SessionState): boolean {
  return state.phase === 'rset' || state.phase === 'quit' || state.phase === 'done';
}

type Facts = SessionFacts;

function next(state: SessionState, phase: SessionPhase, facts: Partial<Facts>, actions: SessionAction[]): StepResult {
  return { state: { config: state.config, phase, facts: { ...state.facts, ...facts } }, actions };
}

function send(line: string, stage: CommandStage): SessionAction {
  return { type: 'send', line, stage };
}

const QUIT = (): SessionAction => send(formatCommand('QUIT'), 'quit');
const RSET = (): SessionAction => send(formatCommand('RSET'), 'rset');

/** A 5xx that announces the end of the channel (RFC 3463 X.3.2 "system not accepting messages"). */
function closingChannel(reply: SmtpReply): boolean {
  return /^5\.3\.2$/.test(reply.enhanced ?? '') || /closing (the )?(transmission )?channel/i.test(reply.text);
}

function decide(stage: Stage, reply: SmtpReply): Decision {
  return { outcome: outcomeOf(reply.code), stage, reply };
}

/**
 * The success replies RFC 5321 §4.3.2 defines per command (RFC 3207 §4 for STARTTLS). A 2xx/3xx
 * outside this list (a 354 to RCPT, a 250 banner) is a broken or hostile server, not the receiver
 * accepting us: it is `unknown`, never `accepted`, like a 2xx other than 250 to EHLO.
 */
const SUCCESS: Readonly<Record<Stage, readonly number[]>> = {
  connect: [220],
  ehlo: [250],
  helo: [250],
  starttls: [220],
  mail: [250],
  rcpt: [250, 251],
};

function decideStrict(stage: Stage, reply: SmtpReply, success: readonly number[] = SUCCESS[stage]): Decision {
  if (reply.code < 400 && !success.includes(reply.code)) return { outcome: 'unknown', stage, reply };
  return decide(stage, reply);
}

/** A 421 ends the session at once: the server is closing (RFC 5321 §3.8), so no QUIT. */
function closed421(state: SessionState, stage: Stage, reply: SmtpReply, extra: Partial<Facts>): StepResult {
  return next(state, 'done', { ...extra, decision: decide(stage, reply), closedBy421: true }, [{ type: 'close' }]);
}

/** After the greeting (EHLO/HELO, possibly after TLS): where to go next. */
function afterGreeting(state: SessionState, facts: Partial<Facts>, caps: Capabilities | null): StepResult {
  const cfg = state.config;
  const tlsActive = facts.tlsActive ?? state.facts.tlsActive;
  if (!goesPast(cfg, 'ehlo')) return next(state, 'quit', facts, [QUIT()]);
  if (!tlsActive && cfg.starttls && caps?.starttls) {
    return next(state, 'starttls', facts, [send(formatCommand('STARTTLS'), 'starttls')]);
  }
  if (!goesPast(cfg, 'starttls')) return next(state, 'quit', facts, [QUIT()]);
  return next(state, 'mail', facts, [send(mailFromCommand(cfg.mailFrom), 'mail')]);
}

export function start(config: SessionConfig): StepResult {
  // Nothing to send: RFC 5321 §3.1 - the client waits for the server's greeting.
  return { state: initialState(config), actions: [] };
}

export function step(state: SessionState, event: SessionEvent): StepResult {
  const cfg = state.config;
  const f = state.facts;

  if (event.type === 'tls-established') {
    if (state.phase !== 'tls-handshake') return { state, actions: [] };
    // RFC 3207 §4.2: forget everything learned before TLS and greet again.
    return next(state, 'ehlo-tls', { tlsActive: true }, [send(ehloCommand(cfg.helo), 'ehloTls')]);
  }
  if (event.type === 'tls-failed') {
    // The socket is unusable after a failed handshake; the driver reports tls-error.
    return next(state, 'done', {}, [{ type: 'close' }]);
  }

  const reply = event.reply;
  const code = reply.code;
  switch (state.phase) {
    case 'banner': {
      if (code === 421) return closed421(state, 'connect', reply, { banner: reply });
      if (code !== 220) {
        // e.g. "554 No SMTP service here" (RFC 5321 §3.1): the client should send QUIT.
        return next(state, 'quit', { banner: reply, decision: decideStrict('connect', reply) }, [QUIT()]);
      }
      const facts: Partial<Facts> = { banner: reply, decision: decide('connect', reply), reached: 'connect' };
      if (cfg.stopAfter === 'banner') return next(state, 'quit', facts, [QUIT()]);
      return next(state, 'ehlo', facts, [send(ehloCommand(cfg.helo), 'ehlo')]);
    }
    case 'ehlo': {
      if (code === 421) return closed421(state, 'ehlo', reply, { ehloReply: reply, greetingCommand: 'EHLO' });
      if (code === 250) {
        const caps = parseCapabilities(reply);
        return afterGreeting(
          state,
          { ehloReply: reply, greetingCommand: 'EHLO', plainCapabilities: caps, decision: decide('ehlo', reply), reached: 'ehlo' },
          caps,
        );
      }
      if (code >= 500 && closingChannel(reply)) {
        // "554 5.3.2 … closing transmission channel": like a 421, the server is going away;
        // a HELO would only be talking to a closing socket.
        return closed421(state, 'ehlo', reply, { ehloReply: reply, greetingCommand: 'EHLO' });
      }
      if (code >= 500) {
        // §4.1.4: fall back to HELO with the same name; the EHLO reply stays on record.
        return next(state, 'helo', { ehloReply: reply, decision: decide('ehlo', reply) }, [send(heloCommand(cfg.helo), 'helo')]);
      }
      if (code < 400) {
        // 250 is the only positive reply to EHLO (RFC 5321 §4.3.2); anything else 2xx/3xx is a
        // broken server, not an acceptance.
        return next(state, 'quit', { ehloReply: reply, greetingCommand: 'EHLO', decision: { outcome: 'unknown', stage: 'ehlo', reply } }, [QUIT()]);
      }
      // 4xx to EHLO: a temporary refusal of the greeting; nothing more to learn.
      return next(state, 'quit', { ehloReply: reply, greetingCommand: 'EHLO', decision: decide('ehlo', reply) }, [QUIT()]);
    }
    case 'helo': {
      if (code === 421) return closed421(state, 'helo', reply, { heloReply: reply, greetingCommand: 'HELO' });
      if (code === 250) {
        return afterGreeting(
          state,
          { heloReply: reply, greetingCommand: 'HELO', decision: decide('helo', reply), reached: 'helo' },
          null,
        );
      }
      // Both greetings refused. When EHLO was refused as a command the server does not know
      // (500/502: RFC 5321 §4.1.1.1), the HELO reply is the real verdict; otherwise the server
      // refused our identity at EHLO already, and that first refusal stays the decision.
      const ehloUnsupported = f.ehloReply !== null && (f.ehloReply.code === 500 || f.ehloReply.code === 502);
      const decision = ehloUnsupported ? decideStrict('helo', reply) : f.decision;
      return next(state, 'quit', { heloReply: reply, greetingCommand: 'HELO', decision }, [QUIT()]);
    }
    case 'starttls': {
      if (code === 421) return closed421(state, 'starttls', reply, { starttlsReply: reply });
      if (code === 220) return next(state, 'tls-handshake', { starttlsReply: reply }, [{ type: 'upgrade-tls' }]);
      // 454 TLS not available, or any other refusal (RFC 3207 §4). Strict: that refusal is the
      // finding and the decision. Opportunistic (default): it says nothing about the identity;
      // go on in plaintext like Postfix (smtp_tls_security_level = may) or Exim, so the EHLO
      // decision stands and MAIL/RCPT still get asked. The refusal stays on record (starttlsReply).
      if (cfg.starttlsFallback === false) return next(state, 'quit', { starttlsReply: reply, decision: decideStrict('starttls', reply) }, [QUIT()]);
      if (goesPast(cfg, 'starttls')) return next(state, 'mail', { starttlsReply: reply }, [send(mailFromCommand(cfg.mailFrom), 'mail')]);
      return next(state, 'quit', { starttlsReply: reply }, [QUIT()]);
    }
    case 'ehlo-tls': {
      if (code === 421) return closed421(state, 'starttls', reply, { ehloTlsReply: reply });
      if (code === 250) {
        const caps = parseCapabilities(reply);
        return afterGreeting(
          state,
          { ehloTlsReply: reply, tlsCapabilities: caps, decision: decide('starttls', reply), reached: 'starttls' },
          caps,
        );
      }
      return next(state, 'quit', { ehloTlsReply: reply, decision: decideStrict('starttls', reply, SUCCESS.ehlo) /* the EHLO after TLS */ }, [QUIT()]);
    }
    case 'mail': {
      if (code === 421) return closed421(state, 'mail', reply, { mailReply: reply });
      if (code === 250) {
        const facts: Partial<Facts> = { mailReply: reply, decision: decide('mail', reply), reached: 'mail' };
        if (!goesPast(cfg, 'mail')) return next(state, 'rset', facts, [RSET()]);
        return next(state, 'rcpt', facts, [send(rcptToCommand(cfg.rcpt), 'rcpt')]);
      }
      return next(state, 'rset', { mailReply: reply, decision: decideStrict('mail', reply) }, [RSET()]);
    }
    case 'rcpt': {
      if (code === 421) return closed421(state, 'rcpt', reply, { rcptReply: reply });
      const ok = code === 250 || code === 251;
      return next(
        state,
        'rset',
        { rcptReply: reply, decision: decideStrict('rcpt', reply), ...(ok ? { reached: 'rcpt' as const } : {}) },
        [RSET()],
      );
    }
    case 'rset': {
      if (code === 421) return next(state, 'done', { closedBy421: true }, [{ type: 'close' }]);
      return next(state, 'quit', {}, [QUIT()]);
    }
    case 'quit':
      return next(state, 'done', {}, [{ type: 'close' }]);
    case 'tls-handshake':
    case 'done':
      // A reply while none is expected: the driver treats this as unsolicited before it gets here.
      return { state, actions: [] };
  }
}
