/**
 * How a finished plaintext session leaves: after "221" to QUIT the driver closes the socket
 * without a separate end() (issue 13: the shutdown it queued was cancelled by the close anyway).
 * The server must still see an orderly close (FIN: 'end' on its side), never a reset, and the
 * session is a success. A raw `net` server on 127.0.0.1 records what it saw.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSession } from '../../src/net/session-driver.js';

interface Seen {
  commands: string[];
  fin: boolean;
  reset: boolean;
  closed: Promise<void>;
}

let server: Server;
let port = 0;
const sessions: Seen[] = [];

beforeAll(async () => {
  server = createServer((s: Socket) => {
    let resolveClosed!: () => void;
    const seen: Seen = { commands: [], fin: false, reset: false, closed: new Promise<void>((r) => (resolveClosed = r)) };
    sessions.push(seen);
    // The server does not close first: the client's close is what is observed.
    s.on('end', () => {
      seen.fin = true;
      s.end();
    });
    s.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET') seen.reset = true;
    });
    s.on('close', () => resolveClosed());
    let buf = '';
    s.setEncoding('latin1');
    s.on('data', (d: string) => {
      buf += d;
      let i: number;
      while ((i = buf.indexOf('\r\n')) !== -1) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        seen.commands.push(line);
        if (/^EHLO /i.test(line)) s.write('250-close.test\r\n250 PIPELINING\r\n');
        else if (/^QUIT/i.test(line)) s.write('221 2.0.0 Bye\r\n');
        else s.write('502 5.5.2 Error\r\n');
      }
    });
    s.write('220 close.test ESMTP\r\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
});

describe('closing a plaintext session', () => {
  it('after 221 the server sees FIN (an orderly close), not a reset, and the session succeeds', async () => {
    const run = await runSession(
      { helo: 'probe.example.test', stopAfter: 'ehlo', starttls: false, implicitTls: false, mailFrom: 'postmaster@example.test', rcpt: 'postmaster@example.test' },
      { ip: '127.0.0.1', port, servername: null, source: null, timeoutMs: 10_000, deadlineMs: 20_000 },
    );
    expect(run.status).toBe('success');
    const seen = sessions.at(-1);
    if (!seen) throw new Error('the server saw no session');
    await seen.closed;
    expect(seen.commands).toEqual(['EHLO probe.example.test', 'QUIT']);
    expect(seen.fin).toBe(true);
    expect(seen.reset).toBe(false);
  });
});
