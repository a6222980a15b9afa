/**
 * The session driver cancels a pending connect of the default connector through a CancelHook (a
 * plain object) instead of an AbortSignal per session: the hook is live while the attempt is
 * pending, cancelling rejects with E_ABORTED and tears the socket down, and a settled attempt
 * leaves no hook behind.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectError, connectSocket, type CancelHook } from '../../src/net/connector.js';

let server: Server;
let port = 0;
const accepted: Socket[] = [];
beforeAll(async () => {
  server = createServer((s) => accepted.push(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});
afterAll(async () => {
  for (const s of accepted) s.destroy();
  await new Promise((r) => server.close(r));
});

describe('connectSocket with a CancelHook', () => {
  it('cancel while pending: rejects with E_ABORTED and the hook is cleared', async () => {
    const hook: CancelHook = { cancel: null };
    const p = connectSocket({ host: '127.0.0.1', port, timeoutMs: 5000 }, hook);
    expect(hook.cancel).toBeTypeOf('function');
    hook.cancel?.();
    const err = await p.then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe('E_ABORTED');
    expect(hook.cancel).toBeNull();
  });

  it('a connect that succeeds clears the hook (nothing left to cancel)', async () => {
    const hook: CancelHook = { cancel: null };
    const socket = await connectSocket({ host: '127.0.0.1', port, timeoutMs: 5000 }, hook);
    expect(hook.cancel).toBeNull();
    expect(socket.remotePort).toBe(port);
    socket.destroy();
  });

  it('a refused connect clears the hook too', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadPort = (closed.address() as { port: number }).port;
    await new Promise((r) => closed.close(r));
    const hook: CancelHook = { cancel: null };
    const err = await connectSocket({ host: '127.0.0.1', port: deadPort, timeoutMs: 5000 }, hook).then(() => null, (e: unknown) => e);
    expect((err as ConnectError).code).toBe('ECONNREFUSED');
    expect(hook.cancel).toBeNull();
  });
});
