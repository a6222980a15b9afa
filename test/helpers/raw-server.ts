/**
 * A scripted raw TCP server on 127.0.0.1 for hostile or broken behaviour that a real SMTP
 * library would never produce. The script gets the socket and does whatever the scenario needs.
 */
import { createServer, type Server, type Socket } from 'node:net';

export interface RawServer {
  host: string;
  port: number;
  /** Every byte received from clients, as latin1 text, per connection. */
  received: string[];
  connections(): number;
  close(): Promise<void>;
}

export function startRawServer(script: (socket: Socket, index: number) => void, host = '127.0.0.1'): Promise<RawServer> {
  const sockets = new Set<Socket>();
  const received: string[] = [];
  let count = 0;
  return new Promise((resolve, reject) => {
    const server: Server = createServer((socket) => {
      const index = count++;
      received[index] = '';
      sockets.add(socket);
      socket.on('data', (d) => {
        received[index] += d.toString('latin1');
      });
      socket.on('error', () => {});
      socket.on('close', () => sockets.delete(socket));
      script(socket, index);
    });
    server.on('error', reject);
    server.listen({ host, port: 0 }, () => {
      const addr = server.address();
      resolve({
        host,
        port: typeof addr === 'object' && addr ? addr.port : 0,
        received,
        connections: () => count,
        close: () =>
          new Promise((res) => {
            for (const s of sockets) s.destroy();
            server.close(() => res());
          }),
      });
    });
  });
}

/** Reply to each command line with the next scripted reply (or a function of the line). */
export function lineScript(banner: string | null, respond: (line: string, socket: Socket) => string | null | undefined): (socket: Socket) => void {
  return (socket) => {
    if (banner !== null) socket.write(banner);
    let buf = '';
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).replace(/\r$/, '');
        buf = buf.slice(i + 1);
        const out = respond(line, socket);
        if (out) socket.write(out);
        if (/^QUIT/i.test(line)) socket.end();
      }
    });
  };
}
