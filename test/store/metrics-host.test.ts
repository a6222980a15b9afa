/**
 * `--metrics-per-host`'s mxprobe_host_last_probe_success reads the last probe that was tried, not a
 * trailing not-tried cell. A 421 at connect is an answer (status success, deferred) and makes the
 * prober back off (RFC 5321 §3.8): the host's other identities are not tried. Before, the metric
 * read the last cell, not-tried, and said 0 for a host whose only tried probe succeeded; the same
 * happened in the lab to every host of an `--identities all` run (the mismatch cell, with no name
 * to use, is always not-tried). A host that refuses the connection stays 0 (the control).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliProcess } from '../helpers/cli.js';
import { lineScript, startRawServer, type RawServer } from '../helpers/raw-server.js';

const dir = mkdtempSync(join(tmpdir(), 'mxprobe-metrics-host-'));
let busy: RawServer;
let fine: RawServer;
let closedPort = 0;
beforeAll(async () => {
  busy = await startRawServer((socket) => socket.end('421 4.3.2 mx.test too busy, try later\r\n'));
  fine = await startRawServer(
    lineScript('220 mx.test ESMTP\r\n', (line) => (/^EHLO/i.test(line) ? '250-mx.test\r\n250 HELP\r\n' : /^QUIT/i.test(line) ? '221 bye\r\n' : '500 unrecognized\r\n')),
  );
  // A loopback port nothing listens on: bind one, note it, close it.
  const s: Server = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  closedPort = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
});
afterAll(async () => {
  await busy.close();
  await fine.close();
  rmSync(dir, { recursive: true, force: true });
});

function samples(prom: string, name: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of prom.split('\n')) {
    const r = new RegExp(`^${name}\\{[^}]*port="(\\d+)"[^}]*\\} (\\S+)$`).exec(line);
    if (r) m.set(r[1]!, Number(r[2]));
  }
  return m;
}

describe('--metrics-per-host: last probe success', () => {
  it('skips the not-tried cells after a 421 back-off (1), a refused connection stays 0', async () => {
    const prom = join(dir, 'm.prom');
    const r = await runCliProcess([
      'probe', `127.0.0.1:${busy.port}`, `127.0.0.1:${fine.port}`, `127.0.0.1:${closedPort}`,
      '--helo', 'good.example.test', '--identities', 'primary,localhost,short', '--stop-after', 'ehlo',
      '--no-alignment', '--host-gap', '0', '--retries', '0', '--quiet', '--format', 'json', '-o', join(dir, 'r.json'),
      '--metrics-file', prom, '--metrics-per-host',
    ]);
    // Not 0: the busy host's untried identities and the refused connection make the run exit 1.
    expect(r.code, r.stderr).toBe(1);
    const text = readFileSync(prom, 'utf8');
    const success = samples(text, 'mxprobe_host_last_probe_success');
    expect(Object.fromEntries(success)).toEqual({ [String(busy.port)]: 1, [String(fine.port)]: 1, [String(closedPort)]: 0 });
    // The file stays valid exposition format (promtool where Debian's prometheus package is installed).
    if (existsSync('/usr/bin/promtool')) execFileSync('/usr/bin/promtool', ['check', 'metrics'], { input: text });
  });
});
