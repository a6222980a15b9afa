/**
 * B3: a lint whose DNS failed is inconclusive, never "Result: ok": a resolver that answers
 * REFUSED to everything and one that never answers both give exit 4 and say which lookups failed;
 * `ptr-matches-helo` says "not judged", never "no PTR". The built CLI, real UDP on loopback.
 */
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliProcess } from '../helpers/cli.js';
import { startDnsServer, withPtr, zone, type DnsServerHandle } from '../helpers/dns-zone.js';

let refusing: Socket;
let silent: Socket;
let good: DnsServerHandle;
const addr = (s: Socket) => `127.0.0.1:${s.address().port}`;

function bind(onMessage: (s: Socket, msg: Buffer, rinfo: { address: string; port: number }) => void): Promise<Socket> {
  const s = createSocket('udp4');
  s.on('message', (m, r) => onMessage(s, m, r));
  return new Promise((res) => s.bind(0, '127.0.0.1', () => res(s)));
}

beforeAll(async () => {
  refusing = await bind((s, msg, r) => {
    const q = dnsPacket.decode(msg);
    // RCODE 5 REFUSED (RFC 1035 §4.1.1) for every question.
    const reply = dnsPacket.encode({ id: q.id, type: 'response', flags: dnsPacket.RECURSION_DESIRED | 5, questions: q.questions ?? [] } as dnsPacket.Packet);
    s.send(reply, r.port, r.address);
  });
  silent = await bind(() => {});
  let z = zone({ 'good.example.test': { A: ['127.0.0.10'], TXT: ['v=spf1 a -all'] } });
  z = withPtr(z, '127.0.0.10', 'good.example.test');
  good = await startDnsServer(z, { host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  refusing.close();
  silent.close();
  await good.close();
});

describe('lint with failed DNS', () => {
  for (const [name, resolver] of [['refused', () => addr(refusing)], ['silent', () => addr(silent)]] as const) {
    it(`a ${name} resolver gives INCONCLUSIVE and exit 4, not "ok"`, async () => {
      const r = await runCliProcess(['lint', 'good.example.test', '--source-ip', '127.0.0.10', '--resolver', resolver(), '--timeout', '300']);
      expect(r.code).toBe(4);
      expect(r.stdout).toMatch(/Result: INCONCLUSIVE - DNS lookups failed: .*PTR 127\.0\.0\.10/);
      expect(r.stdout).not.toMatch(/Result: ok|nothing to change: the identity aligns/);
      expect(r.stdout).toMatch(/ptr-matches-helo\s+WARN\s+not judged: the PTR lookup of 127\.0\.0\.10 failed/);
      expect(r.stdout).not.toMatch(/no PTR for 127\.0\.0\.10/);
    }, 30_000);
  }

  it('--dns-timeout (probe\'s name for the same deadline) is the DNS deadline; --timeout stays its alias', async () => {
    for (const flag of ['--dns-timeout', '--timeout']) {
      const r = await runCliProcess(['lint', 'good.example.test', '--source-ip', '127.0.0.10', '--resolver', addr(silent), flag, '300', '--format', 'json']);
      expect(r.code, `${flag}: ${r.stderr}`).toBe(4);
      expect((JSON.parse(r.stdout) as { unjudged: string[] }).unjudged.length).toBeGreaterThan(0);
    }
    const help = await runCliProcess(['lint', '--help']);
    expect(help.stdout).toMatch(/--dns-timeout <ms> +deadline for each DNS query/);
    expect(help.stdout).toMatch(/--timeout <ms> +the old name of --dns-timeout/);
  }, 30_000);

  it('JSON says result "inconclusive" with the failed lookups', async () => {
    const r = await runCliProcess(['lint', 'good.example.test', '--source-ip', '127.0.0.10', '--resolver', addr(refusing), '--format', 'json']);
    expect(r.code).toBe(4);
    const j = JSON.parse(r.stdout) as { result: string; unjudged: string[] };
    expect(j.result).toBe('inconclusive');
    expect(j.unjudged.length).toBeGreaterThan(0);
  });

  it('a fleet with failed DNS is inconclusive too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mxprobe-lintfleet-'));
    try {
      writeFileSync(join(dir, 'fleet.txt'), '127.0.0.10 good.example.test\n');
      const r = await runCliProcess(['lint', '--fleet', 'fleet.txt', '--resolver', addr(refusing)], { cwd: dir });
      expect(r.code).toBe(4);
      expect(r.stdout).toContain('fleet.txt:1  127.0.0.10  good.example.test  INCONCLUSIVE (DNS lookup failed)');
      expect(r.stdout).toContain('Result: INCONCLUSIVE');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a working resolver still says ok and exits 0', async () => {
    const r = await runCliProcess(['lint', 'good.example.test', '--source-ip', '127.0.0.10', '--resolver', good.address]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Result: ok');
  });
});
