/**
 * A resolver whose port refuses the query (ECONNREFUSED: nothing listens there) is the DNS status
 * `unreachable`, a word like timeout or servfail, in every report format; node's message ("queryMx
 * ECONNREFUSED name") stays in the JSON detail only (qa11 saw it raw in the table). Real resolver
 * (node:dns through createResolver) against a closed loopback UDP port, and the built CLI.
 */
import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { mapDnsError, createResolver } from '../../src/dns/resolver.js';
import { forwardConfirm } from '../../src/dns/reverse.js';
import { lookupExchangers } from '../../src/dns/mx.js';
import { runCliProcess } from '../helpers/cli.js';

/** A loopback UDP port with nothing bound to it (bound once for a number, then closed). */
async function closedUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  const { port } = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

describe('an unreachable resolver (ECONNREFUSED)', () => {
  it('mapDnsError: status unreachable, node\'s code and message kept', () => {
    const err = Object.assign(new Error('queryMx ECONNREFUSED example.test'), { code: 'ECONNREFUSED' });
    expect(mapDnsError(err)).toEqual({ status: 'unreachable', code: 'ECONNREFUSED', message: 'queryMx ECONNREFUSED example.test' });
    // A server that answered REFUSED is still `refused`: a different fact.
    expect(mapDnsError(Object.assign(new Error('x'), { code: 'EREFUSED' }))).toEqual({ status: 'refused' });
  });

  it('a real lookup against a closed port: MX, PTR and the exchanger lookup say unreachable', async () => {
    const port = await closedUdpPort();
    const r = createResolver({ servers: [`127.0.0.1:${port}`], timeoutMs: 3000 });
    const mx = await r.mx('example.test');
    expect(mx.status).toBe('unreachable');
    const ex = await lookupExchangers('example.test', r);
    expect(ex.status).toBe('unreachable');
    expect(ex.detail).toMatch(/refused the connection \(ECONNREFUSED: .*ECONNREFUSED/);
    const fc = await forwardConfirm('127.0.0.1', r);
    expect(fc.status).toBe('unreachable');
    expect(fc.detail).toMatch(/^ECONNREFUSED: /);
  });

  it('the CLI: a word in table and CSV status, the detail in JSON', async () => {
    const port = await closedUdpPort();
    const args = ['probe', 'example.test', '--resolver', `127.0.0.1:${port}`, '--helo', 'probe.example.test', '--no-alignment'];
    const table = await runCliProcess(args);
    const row = table.stdout.split('\n').find((l) => l.startsWith('example.test'))!;
    expect(row).toMatch(/dns unreachable \(the resolver refused the connection\)/);
    expect(table.stdout).not.toMatch(/ECONNREFUSED/);
    const json = await runCliProcess([...args, '--format', 'json']);
    const t = (JSON.parse(json.stdout) as { targets: Array<{ dns: { status: string; detail?: string } }> }).targets[0]!;
    expect(t.dns.status).toBe('unreachable');
    expect(t.dns.detail).toMatch(/ECONNREFUSED/);
    const csv = await runCliProcess([...args, '--format', 'csv']);
    expect(csv.stdout.split('\n')[1]).toMatch(/^example\.test,argv:1,unreachable,/);
    const html = await runCliProcess([...args, '--format', 'html']);
    expect(html.stdout).toMatch(/DNS unreachable/);
  });
});
