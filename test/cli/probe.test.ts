import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliProcess } from '../helpers/cli.js';
import { startResponder, type ResponderHandle } from '../../src/lab/smtp-responder.js';
import { LAB_CERT, LAB_KEY } from '../../src/lab/cert.js';
import { startDnsServer, zone, type DnsServerHandle } from '../helpers/dns-zone.js';
import type { RunResult } from '../../src/results.js';

let v4: ResponderHandle;
let v6: ResponderHandle;
let dns: DnsServerHandle;
beforeAll(async () => {
  const policy = {
    hostname: 'mx.cli.test',
    tls: { key: LAB_KEY, cert: LAB_CERT },
    banner: () => ({ code: 220, lines: ['mx.cli.test ESMTP \x1b[31mred\x1b[0m'] }),
    capabilities: (s: { secure: boolean }) => (s.secure ? ['SIZE 1000', 'AUTH PLAIN'] : ['SIZE 1000', 'AUTH LOGIN']),
  };
  v4 = await startResponder(policy, { host: '127.0.0.1' });
  v6 = await startResponder(policy, { host: '::1' });
  dns = await startDnsServer(zone({ 'cli.test': { MX: [{ exchange: 'mx.cli.test', priority: 5 }] }, 'mx.cli.test': { A: ['127.0.0.1'], AAAA: ['::1'] }, 'bücher.test': { MX: [{ exchange: 'mx.cli.test', priority: 5 }] }, 'xn--bcher-kva.test': { MX: [{ exchange: 'mx.cli.test', priority: 5 }] } }));
});
afterAll(async () => {
  await v4.close();
  await v6.close();
  await dns.close();
});

describe('mxprobe probe (built CLI)', () => {
  it('probes IPv4 and [IPv6]:port targets; JSON keeps server text verbatim', async () => {
    const r = await runCliProcess(['probe', `127.0.0.1:${v4.port}`, `[::1]:${v6.port}`, '--format', 'json', '--quiet', '--helo', 'probe.example.test', '--host-gap', '0', '--no-alignment']);
    expect(r.code).toBe(0);
    const run = JSON.parse(r.stdout) as RunResult;
    const hosts = run.targets.flatMap((t) => t.hosts);
    expect(hosts.map((h) => h.family).sort()).toEqual([4, 6]);
    for (const h of hosts) {
      const p = h.probes[0];
      expect(p?.status).toBe('success');
      expect(p?.banner?.text).toBe('mx.cli.test ESMTP \x1b[31mred\x1b[0m');
      // AUTH LOGIN before TLS, AUTH PLAIN after: both recorded separately.
      expect(p?.capabilities.plain?.auth).toEqual(['LOGIN']);
      expect(p?.capabilities.tls?.auth).toEqual(['PLAIN']);
      expect(p?.tls?.servername).toBeNull();
    }
  });

  it('a domain resolves through --resolver to every address of its exchanger; the table strips escapes', async () => {
    const r = await runCliProcess(['probe', 'cli.test', '--resolver', dns.address, '--port', String(v4.port), '--quiet', '--helo', 'probe.example.test', '--host-gap', '0']);
    // v6 listens on another port, so [::1] is refused: exit 1, and the v4 row is still there.
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('mx.cli.test');
    expect(r.stdout).toContain('connection-refused');
    expect(r.stdout).not.toContain('\x1b[31m');
  });

  it('IDN targets go out as punycode and are shown in Unicode', async () => {
    const r = await runCliProcess(['probe', 'bücher.test', '--resolver', dns.address, '--port', String(v4.port), '-4', '--quiet', '--format', 'json', '--helo', 'probe.example.test']);
    const run = JSON.parse(r.stdout) as RunResult;
    expect(run.targets[0]?.domain).toBe('xn--bcher-kva.test');
    expect(run.targets[0]?.displayDomain).toBe('bücher.test');
    expect(dns.queryLog().some((q) => q.name === 'xn--bcher-kva.test')).toBe(true);
    expect(run.targets[0]?.hosts[0]?.probes[0]?.rcpt).toBeNull();
  });

  it('--fail-on gates on the audit policy with exit 3', async () => {
    const r = await runCliProcess(['probe', `127.0.0.1:${v4.port}`, '--quiet', '--format', 'json', '--fail-on', 'auth-before-tls,cert-invalid', '--no-alignment']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/auth-before-tls/);
    expect(r.stderr).toMatch(/cert-invalid/);
    const ok = await runCliProcess(['probe', `127.0.0.1:${v4.port}`, '--quiet', '--format', 'json', '--fail-on', 'no-starttls', '--no-alignment']);
    expect(ok.code).toBe(0);
  });

  it('CSV output: one row per probe, server text neutralised', async () => {
    const r = await runCliProcess(['probe', `127.0.0.1:${v4.port}`, '--quiet', '--format', 'csv', '--no-alignment', '--stop-after', 'ehlo']);
    // RFC 4180: quoted cells may hold line breaks, so count records, not lines.
    const records: string[][] = [];
    let row: string[] = [];
    let cell = '';
    let quoted = false;
    const text = r.stdout;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (quoted) {
        if (ch === '"' && text[i + 1] === '"') (cell += '"'), i++;
        else if (ch === '"') quoted = false;
        else cell += ch;
      } else if (ch === '"') quoted = true;
      else if (ch === ',') row.push(cell), (cell = '');
      else if (ch === '\n') row.push(cell.replace(/\r$/, '')), records.push(row), (row = []), (cell = '');
      else cell += ch;
    }
    expect(records).toHaveLength(2);
    expect(records[0]?.[0]).toBe('target');
    expect(records[1]?.join(',')).not.toContain('\x1b');
    expect(records[1]?.[records[0]?.indexOf('banner') ?? -1]).toContain('mx.cli.test ESMTP');
  });

  it('usage errors exit 2 before any connection', async () => {
    const before = v4.connections();
    for (const args of [
      ['--helo', 'a\r\nDATA'],
      ['--stop-after', 'data'],
      ['--timeout', 'soon'],
      ['--identities', 'primary,evil'],
      ['--source', 'not-an-ip'],
    ]) {
      const r = await runCliProcess(['probe', `127.0.0.1:${v4.port}`, '--quiet', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.length).toBeGreaterThan(0);
    }
    expect(v4.connections()).toBe(before);
  });

  it('a host nothing could be tried on is a failure (exit 1) and the table says why', async () => {
    const r = await runCliProcess(['probe', `127.0.0.1:${v4.port}`, '--source', '::1', '--quiet', '--no-alignment', '--helo', 'probe.example.test']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/Not tried:/);
    expect(r.stdout).toMatch(/source ::1 cannot reach an IPv4 address/);
  });

  it('the JSON document stays valid and tidy when written as a stream', async () => {
    const r = await runCliProcess(['probe', `127.0.0.1:${v4.port}`, '--quiet', '--format', 'json', '--no-alignment', '--stop-after', 'banner']);
    const doc = JSON.parse(r.stdout) as RunResult;
    expect(doc.summary.probes).toBe(1);
    expect(r.stdout).toMatch(/\n  "finishedAt": "/);
    expect(r.stdout).toMatch(/\n  "summary": \{/);
  });
});
