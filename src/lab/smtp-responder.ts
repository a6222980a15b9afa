/**
 * A small, policy-driven SMTP server for the embedded demo lab and the benchmark farm. It is
 * not an MTA: it speaks just enough RFC 5321 (EHLO/HELO, STARTTLS per RFC 3207, MAIL, RCPT,
 * RSET, NOOP, QUIT) for receivers with distinct behaviour to be simulated with real sockets and
 * real TLS. It never accepts a message: DATA is answered 554 and logged, so a test can prove the
 * prober never sent it.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { createSecureContext, TLSSocket, type SecureContext } from 'node:tls';

export interface ResponderSession {
  clientIp: string;
  localIp: string;
  helo: string | null;
  heloCommand: 'EHLO' | 'HELO' | null;
  secure: boolean;
  mailFrom: string | null;
  /** Connection number on this responder (1-based), for policies such as "421 at the 3rd". */
  connection: number;
}

/** A reply: code, optional enhanced code, one or more text lines. */
export interface Reply {
  code: number;
  enhanced?: string;
  lines: string[];
}

export interface ResponderPolicy {
  /** Banner; a delay simulates slow greeters and tarpits. */
  banner(s: ResponderSession): Reply & { delayMs?: number };
  /** EHLO keywords after the name line (STARTTLS is added automatically when TLS is available and not yet active). */
  capabilities?(s: ResponderSession): string[];
  /** Decide on EHLO/HELO; return null to accept with the default greeting. */
  greet?(s: ResponderSession, command: 'EHLO' | 'HELO', name: string): Promise<Reply | null> | Reply | null;
  /** Name line of the EHLO reply, e.g. "mx.example Hello name [ip]". */
  ehloLine?(s: ResponderSession, name: string): string;
  mail?(s: ResponderSession, from: string): Promise<Reply | null> | Reply | null;
  rcpt?(s: ResponderSession, to: string): Promise<Reply | null> | Reply | null;
  /**
   * A broken STARTTLS (issue 12 §A): advertise STARTTLS and answer this instead of upgrading
   * (e.g. "454 4.7.0 TLS not available due to local problem"); null upgrades as usual.
   */
  starttls?(s: ResponderSession): Reply | null;
  /** Per-reply latency (benchmarks simulate round-trip time with it). */
  latencyMs?: number;
  tls?: { key: string; cert: string };
  hostname: string;
}

export interface ResponderHandle {
  host: string;
  port: number;
  /** Every command line received, with the client address ("127.0.2.10: EHLO x"). */
  log: string[];
  connections(): number;
  close(): Promise<void>;
}

export function formatReply(r: Reply): string {
  const lines = r.lines.length ? r.lines : [''];
  return lines
    .map((text, i) => {
      const sep = i === lines.length - 1 ? ' ' : '-';
      const body = r.enhanced ? `${r.enhanced} ${text}` : text;
      return `${r.code}${sep}${body}`.trimEnd() + '\r\n';
    })
    .join('');
}

const MAX_LINE = 4096;

export function startResponder(policy: ResponderPolicy, options: { host?: string; port?: number; logLimit?: number } = {}): Promise<ResponderHandle> {
  const host = options.host ?? '127.0.0.1';
  const logLimit = options.logLimit ?? 10_000;
  const log: string[] = [];
  const sockets = new Set<Socket>();
  let count = 0;
  const ctx: SecureContext | null = policy.tls ? createSecureContext({ key: policy.tls.key, cert: policy.tls.cert }) : null;

  const handle = (raw: Socket) => {
    sockets.add(raw);
    raw.on('close', () => sockets.delete(raw));
    raw.on('error', () => {});
    const session: ResponderSession = {
      clientIp: (raw.remoteAddress ?? '').replace(/^::ffff:/, ''),
      localIp: (raw.localAddress ?? '').replace(/^::ffff:/, ''),
      helo: null,
      heloCommand: null,
      secure: false,
      mailFrom: null,
      connection: ++count,
    };
    let sock: Socket = raw;
    let buf = '';
    let busy = Promise.resolve();
    let generation = 0;
    let closed = false;

    const send = async (r: Reply) => {
      if (policy.latencyMs) await new Promise((res) => setTimeout(res, policy.latencyMs));
      if (closed || sock.destroyed) return;
      sock.write(formatReply(r));
      // 421: the service is closing the transmission channel (RFC 5321 §3.8).
      if (r.code === 421) {
        closed = true;
        sock.end();
      }
    };
    const record = (line: string) => {
      if (log.length < logLimit) log.push(`${session.clientIp}: ${line}`);
    };

    const onCommand = async (line: string) => {
      record(line);
      const [verbRaw = '', ...rest] = line.split(' ');
      const verb = verbRaw.toUpperCase();
      const arg = rest.join(' ').trim();
      switch (verb) {
        case 'EHLO':
        case 'HELO': {
          if (!arg) return send({ code: 501, enhanced: '5.5.4', lines: [`Syntax: ${verb} hostname`] });
          const decision = policy.greet ? await policy.greet(session, verb, arg) : null;
          if (decision) return send(decision);
          session.helo = arg;
          session.heloCommand = verb;
          session.mailFrom = null;
          const first = policy.ehloLine ? policy.ehloLine(session, arg) : policy.hostname;
          if (verb === 'HELO') return send({ code: 250, lines: [first] });
          const caps = [...(policy.capabilities ? policy.capabilities(session) : [])];
          if ((ctx || policy.starttls) && !session.secure) caps.unshift('STARTTLS');
          return send({ code: 250, lines: [first, ...caps] });
        }
        case 'STARTTLS': {
          const refusal = policy.starttls && !session.secure ? policy.starttls(session) : null;
          if (refusal) return send(refusal);
          if (!ctx || session.secure) return send({ code: 502, enhanced: '5.5.1', lines: ['Error: command not implemented'] });
          await send({ code: 220, enhanced: '2.0.0', lines: ['Ready to start TLS'] });
          generation++;
          const plain = sock;
          plain.removeAllListeners('data');
          const secure = new TLSSocket(plain, { isServer: true, secureContext: ctx });
          secure.on('error', () => {});
          secure.on('data', onData);
          sock = secure;
          // RFC 3207 §4.2: the server must discard knowledge obtained from the client before TLS.
          session.secure = true;
          session.helo = null;
          session.heloCommand = null;
          session.mailFrom = null;
          buf = '';
          return;
        }
        case 'MAIL': {
          if (!session.helo) return send({ code: 503, enhanced: '5.5.1', lines: ['Error: send HELO/EHLO first'] });
          const from = /^FROM:\s*<([^>]*)>/i.exec(arg)?.[1];
          if (from === undefined) return send({ code: 501, enhanced: '5.5.4', lines: ['Syntax: MAIL FROM:<address>'] });
          const decision = policy.mail ? await policy.mail(session, from) : null;
          if (decision) return send(decision);
          session.mailFrom = from;
          return send({ code: 250, enhanced: '2.1.0', lines: ['Ok'] });
        }
        case 'RCPT': {
          if (session.mailFrom === null) return send({ code: 503, enhanced: '5.5.1', lines: ['Error: need MAIL command'] });
          const to = /^TO:\s*<([^>]*)>/i.exec(arg)?.[1];
          if (to === undefined) return send({ code: 501, enhanced: '5.5.4', lines: ['Syntax: RCPT TO:<address>'] });
          const decision = policy.rcpt ? await policy.rcpt(session, to) : null;
          if (decision) return send(decision);
          return send({ code: 250, enhanced: '2.1.5', lines: ['Ok'] });
        }
        case 'RSET':
          session.mailFrom = null;
          return send({ code: 250, enhanced: '2.0.0', lines: ['Ok'] });
        case 'NOOP':
          return send({ code: 250, enhanced: '2.0.0', lines: ['Ok'] });
        case 'QUIT':
          await send({ code: 221, enhanced: '2.0.0', lines: ['Bye'] });
          closed = true;
          sock.end();
          return;
        case 'DATA':
        case 'BDAT':
          // The lab never takes a message; the log line is the evidence a test looks for.
          return send({ code: 554, enhanced: '5.5.1', lines: ['Error: this lab receiver never accepts a message'] });
        default:
          return send({ code: 502, enhanced: '5.5.2', lines: ['Error: command not recognized'] });
      }
    };

    function onData(chunk: Buffer) {
      buf += chunk.toString('latin1');
      if (buf.length > MAX_LINE && !buf.includes('\n')) {
        closed = true;
        sock.destroy();
        return;
      }
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).replace(/\r$/, '');
        buf = buf.slice(i + 1);
        const gen = generation;
        // Lines read before a STARTTLS switch must not run after it (RFC 3207 §5, the
        // CVE-2011-0411 class): they belong to a generation that has ended.
        busy = busy.then(() => (gen === generation ? onCommand(line) : undefined)).catch(() => {});
      }
    }

    const b = policy.banner(session);
    setTimeout(() => {
      if (closed || raw.destroyed) return;
      raw.on('data', onData);
      void send(b);
    }, b.delayMs ?? 0);
  };

  return new Promise((resolve, reject) => {
    const server: Server = createServer(handle);
    server.on('error', reject);
    server.listen({ host, port: options.port ?? 0 }, () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      resolve({
        host,
        port,
        log,
        connections: () => count,
        close: () =>
          new Promise<void>((res) => {
            for (const s of sockets) s.destroy();
            server.close(() => res());
          }),
      });
    });
  });
}
