/**
 * A 421 makes the prober back off (RFC 5321 §3.8): the rest of that host's identities are not tried. Nothing was
 * judged for them, so the run cannot say "every probe ran": exit 1, with the cells listed as not-tried. A host that
 * answers every identity exits 0.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliProcess } from '../helpers/cli.js';
import { lineScript, startRawServer, type RawServer } from '../helpers/raw-server.js';
import type { RunResult } from '../../src/results.js';

const answer = (line: string): string => {
  if (/^EHLO/i.test(line)) return '250-mx.test\r\n250 HELP\r\n';
  if (/^QUIT/i.test(line)) return '221 bye\r\n';
  return '500 unrecognized command\r\n';
};
let busy: RawServer;
let fine: RawServer;
beforeAll(async () => {
  busy = await startRawServer((socket) => socket.end('421 4.3.2 mx.test too busy, try later\r\n'));
  fine = await startRawServer(lineScript('220 mx.test ESMTP\r\n', answer));
});
afterAll(async () => {
  await busy.close();
  await fine.close();
});

const args = (port: number) => ['probe', `127.0.0.1:${port}`, '--helo', 'good.example.test', '--identities', 'primary,localhost,short', '--stop-after', 'ehlo', '--format', 'json', '--no-alignment', '--host-gap', '0'];

describe('exit code after a 421 back-off', () => {
  it('identities left untried by a 421 make the run exit 1', async () => {
    const r = await runCliProcess(args(busy.port));
    const probes = (JSON.parse(r.stdout) as RunResult).targets[0]?.hosts[0]?.probes ?? [];
    expect(probes.map((p) => p.status)).toEqual(['success', 'not-tried', 'not-tried']);
    expect(probes[0]?.verdict).toMatchObject({ outcome: 'deferred', code: 421 });
    expect(probes[1]?.notTried?.reason).toMatch(/^host answered 421 at connect/);
    expect(busy.connections()).toBe(1);
    expect(r.code).toBe(1);
  });

  it('a host that answers every identity exits 0', async () => {
    const r = await runCliProcess(args(fine.port));
    const probes = (JSON.parse(r.stdout) as RunResult).targets[0]?.hosts[0]?.probes ?? [];
    expect(probes.map((p) => p.status)).toEqual(['success', 'success', 'success']);
    expect(r.code).toBe(0);
  });
});
