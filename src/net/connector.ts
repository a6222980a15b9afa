/**
 * The injectable socket layer. The default connector uses node:net / node:tls; tests can pass
 * their own (e.g. to count connections). Certificates are never rejected here: verification is
 * recorded (tls-details.ts), because an auditor must see broken TLS, not be stopped by it.
 */
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, createSecureContext, type SecureContext, type TLSSocket, type ConnectionOptions } from 'node:tls';

export interface ConnectOptions {
  host: string;
  port: number;
  /** Source address to bind (--source). */
  localAddress?: string;
  timeoutMs: number;
  /** Implicit TLS (RFC 8314): handshake right after TCP connect. */
  implicitTls?: { servername: string | null };
  /** Aborted when the session ends first (deadline, signal): the attempt is torn down. */
  signal?: AbortSignal;
}

/** A failure with a stable code: ECONNREFUSED, ETIMEDOUT (our connect timer), EADDRNOTAVAIL, TLS codes… */
export class ConnectError extends Error {
  constructor(readonly code: string, message: string, readonly phase: 'tcp' | 'tls') {
    super(message);
    this.name = 'ConnectError';
  }
}

export interface Connector {
  connect(options: ConnectOptions): Promise<Socket | TLSSocket>;
  /** STARTTLS upgrade of an established socket (RFC 3207 §4). */
  upgradeTls(socket: Socket, servername: string | null, timeoutMs: number, signal?: AbortSignal): Promise<TLSSocket>;
}

/**
 * Accept every protocol version and cipher the local OpenSSL can still speak, so that old servers
 * (TLS 1.0/1.1) are recorded as such instead of failing the handshake. A prober measures; the
 * audit policy (`--fail-on tls-below:1.2`) judges.
 */
let sharedContext: SecureContext | null = null;
/** One context for every connection: building one per tls.connect costs CPU on every session. */
function probeContext(): SecureContext {
  sharedContext ??= createSecureContext({ minVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' });
  return sharedContext;
}

export function tlsOptions(servername: string | null): ConnectionOptions {
  return {
    rejectUnauthorized: false,
    secureContext: probeContext(),
    // SNI must be a host name, never an IP literal (RFC 6066 §3).
    ...(servername && isIP(servername) === 0 ? { servername } : {}),
  };
}

function errCode(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e?.code ?? 'EUNKNOWN';
}

/**
 * Lets the caller that owns a connect attempt (the session driver) abandon it: `cancel` is set
 * while the attempt is pending and cleared once it settles. One plain object per session instead
 * of an AbortController + AbortSignal + listener (issue 13: 2% of a probe run's CPU).
 */
export interface CancelHook {
  cancel: (() => void) | null;
}

/** The default connector's connect, with an optional cancel hook besides `options.signal`. */
export function connectSocket(options: ConnectOptions, hook?: CancelHook): Promise<Socket | TLSSocket> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const base = {
      host: options.host,
      port: options.port,
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
    };
    const socket: Socket | TLSSocket = options.implicitTls
      ? tlsConnect({ ...base, ...tlsOptions(options.implicitTls.servername) })
      : netConnect(base);
    const timer = setTimeout(() => {
      fail(new ConnectError('ETIMEDOUT', `connect to ${options.host}:${options.port} timed out after ${options.timeoutMs} ms`, 'tcp'));
    }, options.timeoutMs);
    let tcpUp = false;
    socket.once('connect', () => {
      tcpUp = true;
    });
    const fail = (err: ConnectError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (hook) hook.cancel = null;
      options.signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      reject(err);
    };
    const onAbort = () => fail(new ConnectError('E_ABORTED', 'connect abandoned: the session ended', 'tcp'));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (hook) hook.cancel = onAbort;
    socket.on('error', (err) => {
      const phase = options.implicitTls && tcpUp ? 'tls' : 'tcp';
      fail(new ConnectError(errCode(err), err.message, phase));
    });
    socket.once(options.implicitTls ? 'secureConnect' : 'connect', () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (hook) hook.cancel = null;
      options.signal?.removeEventListener('abort', onAbort);
      resolve(socket);
    });
  });
}

export const defaultConnector: Connector = {
  connect: (options) => connectSocket(options),

  upgradeTls(socket, servername, timeoutMs, signal) {
    return new Promise((resolve, reject) => {
      let settled = false;
      const tlsSocket = tlsConnect({ socket, ...tlsOptions(servername) });
      const fail = (err: ConnectError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        tlsSocket.destroy();
        socket.destroy();
        reject(err);
      };
      const onAbort = () => fail(new ConnectError('E_ABORTED', 'TLS handshake abandoned: the session ended', 'tls'));
      signal?.addEventListener('abort', onAbort, { once: true });
      const timer = setTimeout(() => fail(new ConnectError('ETIMEDOUT', `TLS handshake timed out after ${timeoutMs} ms`, 'tls')), timeoutMs);
      tlsSocket.once('secureConnect', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(tlsSocket);
      });
      tlsSocket.on('error', (err) => fail(new ConnectError(errCode(err), err.message, 'tls')));
      // The plain socket closing mid-handshake surfaces as an error on tlsSocket ("socket hang up").
    });
  },
};
