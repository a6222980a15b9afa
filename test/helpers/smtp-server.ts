/**
 * A wrapper around the real `smtp-server` package for well-behaved receivers with policies:
 * callbacks decide per HELO name, sender and recipient. Every command the server saw is logged
 * (including any DATA attempt, which the tests assert never happens).
 */
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import { LAB_CERT, LAB_KEY } from '../../src/lab/cert.js';

export interface PolicyServer {
  host: string;
  port: number;
  commands: string[];
  sessions: Array<{ helo: string; remote: string }>;
  close(): Promise<void>;
}

export interface Policies {
  /** Throw-style decision: return an Error with responseCode to refuse, or null to accept. */
  onHelo?: (name: string, session: SMTPServerSession) => { code: number; message: string } | null;
  onMail?: (address: string, session: SMTPServerSession) => { code: number; message: string } | null;
  onRcpt?: (address: string, session: SMTPServerSession) => { code: number; message: string } | null;
  onConnect?: (session: SMTPServerSession, index: number) => { code: number; message: string } | null;
  tls?: boolean;
  authBeforeTls?: boolean;
  banner?: string;
  name?: string;
}

function refusal(d: { code: number; message: string }): Error {
  const e = new Error(d.message) as Error & { responseCode: number };
  e.responseCode = d.code;
  return e;
}

export function startPolicyServer(p: Policies = {}): Promise<PolicyServer> {
  const commands: string[] = [];
  const sessions: PolicyServer['sessions'] = [];
  let connections = 0;
  const options: SMTPServerOptions = {
    name: p.name ?? 'mx.fixture.test',
    ...(p.banner ? { banner: p.banner } : {}),
    secure: false,
    ...(p.tls === false ? { disabledCommands: ['STARTTLS', 'AUTH'] } : { key: LAB_KEY, cert: LAB_CERT, disabledCommands: p.authBeforeTls ? [] : [] }),
    allowInsecureAuth: p.authBeforeTls === true,
    authOptional: true,
    // smtp-server logs every parsed command (after TLS too) at debug level with tnx "command".
    logger: {
      debug: (meta: { tnx?: string }, _fmt: string, line?: string) => {
        if (meta?.tnx === 'command' && typeof line === 'string') commands.push(line);
      },
      info: () => {},
      warn: () => {},
      error: () => {},
      trace: () => {},
      fatal: () => {},
      child: function () {
        return this;
      },
    } as unknown as SMTPServerOptions['logger'],
    onConnect(session, cb) {
      const d = p.onConnect?.(session, connections++);
      cb(d ? refusal(d) : undefined);
    },
    onMailFrom(address, session, cb) {
      sessions.push({ helo: session.hostNameAppearsAs, remote: session.remoteAddress });
      const d = p.onHelo?.(session.hostNameAppearsAs, session) ?? p.onMail?.(address.address, session) ?? null;
      cb(d ? refusal(d) : undefined);
    },
    onRcptTo(address, session, cb) {
      const d = p.onRcpt?.(address.address, session) ?? null;
      cb(d ? refusal(d) : undefined);
    },
    onData(stream, _session, cb) {
      commands.push('DATA');
      stream.resume();
      stream.on('end', () => cb(new Error('fixture never accepts data')));
    },
  };
  const server = new SMTPServer(options);
  server.on('error', () => {});
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const addr = server.server.address();
      resolve({
        host: '127.0.0.1',
        port: typeof addr === 'object' && addr ? addr.port : 0,
        commands,
        sessions,
        close: () => new Promise((res) => server.close(() => res())),
      });
    });
  });
}
