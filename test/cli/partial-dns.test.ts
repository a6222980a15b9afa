/**
 * A domain whose MX set only partly resolves: one exchanger answers, another's address lookup
 * fails (SERVFAIL, timeout), or one address family of an exchanger fails. The exchanger that could
 * not be looked up was never probed, so the run cannot say "every MX is fine": exit 1 (README,
 * "Exit codes": some target could not be probed), the JSON names it under `dns.unresolved`, and
 * the table and CSV show it as a row instead of leaving it out. A backup MX that does not exist
 * (NXDOMAIN) or has no address (NODATA) is a fact of the domain, not a failed lookup: no exit 1
 * for it, but it is named (JSON `dns.noAddress`) and shown as a row, not silently left out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBuilt, runCli, smtpScript, startHostile, type HostileServer } from '../helpers/hostile.js';
import { startDnsServer, zone, type DnsServerHandle } from '../helpers/dns-zone.js';
import type { RunResult } from '../../src/results.js';

let server: HostileServer;
let dns: DnsServerHandle;

beforeAll(async () => {
  if (!cliBuilt()) throw new Error('dist/ is missing: run `npm run build` first');
  server = await startHostile(smtpScript({}));
  dns = await startDnsServer(
    zone(
      {
        'half.example': { MX: [{ exchange: 'mx1.half.example', priority: 10 }, { exchange: 'mx2.half.example', priority: 20 }] },
        'mx1.half.example': { A: ['127.0.0.1'] },
        'slowmx.example': { MX: [{ exchange: 'mx1.half.example', priority: 10 }, { exchange: 'mx2.slowmx.example', priority: 20 }] },
        'v6fail.example': { MX: [{ exchange: 'mx.v6fail.example', priority: 10 }] },
        'mx.v6fail.example': { A: ['127.0.0.1'] },
        'nxbackup.example': { MX: [{ exchange: 'mx1.half.example', priority: 10 }, { exchange: 'gone.nxbackup.example', priority: 20 }] },
        'nodatabackup.example': { MX: [{ exchange: 'mx1.half.example', priority: 10 }, { exchange: 'txt.nodatabackup.example', priority: 20 }] },
        'txt.nodatabackup.example': { TXT: ['no address here'] },
      },
      { servfail: ['mx2.half.example', 'mx.v6fail.example AAAA'], drop: ['mx2.slowmx.example'] },
    ),
    { host: '127.0.0.1', port: 0 },
  );
});
afterAll(async () => {
  await Promise.all([server.close(), dns.close()]);
});

const base = () => ['probe', '--resolver', dns.address, '--port', String(server.port), '--helo', 'probe.example.org', '--timeout', '1000', '--deadline', '3000', '--dns-timeout', '300', '--host-gap', '0', '--no-alignment', '--no-dane', '--no-mta-sts', '-q'];

describe('an MX set that only partly resolves', () => {
  it('a backup MX whose A/AAAA lookup SERVFAILs: exit 1, named in dns.unresolved, the good MX still probed', async () => {
    const r = await runCli([...base(), '--format', 'json', 'half.example']);
    expect(r.code).toBe(1);
    const t = (JSON.parse(r.stdout) as RunResult).targets[0];
    expect(t?.hosts.map((h) => [h.exchange, h.probes[0]?.status])).toEqual([['mx1.half.example', 'success']]);
    expect(t?.dns.unresolved).toEqual([expect.objectContaining({ exchange: 'mx2.half.example', status: 'servfail' })]);
  });

  it('a backup MX whose lookup times out: exit 1, status timeout', async () => {
    const r = await runCli([...base(), '--format', 'json', 'slowmx.example']);
    expect(r.code).toBe(1);
    const t = (JSON.parse(r.stdout) as RunResult).targets[0];
    expect(t?.dns.unresolved).toEqual([expect.objectContaining({ exchange: 'mx2.slowmx.example', status: 'timeout' })]);
  });

  it('an exchanger whose A answers but whose AAAA SERVFAILs: its IPv6 addresses are unknown, exit 1', async () => {
    const r = await runCli([...base(), '--format', 'json', 'v6fail.example']);
    expect(r.code).toBe(1);
    const t = (JSON.parse(r.stdout) as RunResult).targets[0];
    expect(t?.hosts).toHaveLength(1);
    expect(t?.dns.unresolved).toEqual([expect.objectContaining({ exchange: 'mx.v6fail.example', status: 'servfail' })]);
    // With -4 the AAAA is never asked, so nothing is missing.
    const r4 = await runCli([...base(), '-4', '--format', 'json', 'v6fail.example']);
    expect(r4.code).toBe(0);
    expect((JSON.parse(r4.stdout) as RunResult).targets[0]?.dns.unresolved).toBeUndefined();
  });

  it('a backup MX that does not exist (NXDOMAIN) is not a failed lookup: exit 0, named in dns.noAddress', async () => {
    const r = await runCli([...base(), '--format', 'json', 'nxbackup.example']);
    expect(r.code).toBe(0);
    const t = (JSON.parse(r.stdout) as RunResult).targets[0];
    expect(t?.dns.unresolved).toBeUndefined();
    expect(t?.hosts.map((h) => h.exchange)).toEqual(['mx1.half.example']);
    expect(t?.dns.noAddress).toEqual([{ exchange: 'gone.nxbackup.example', status: 'nxdomain', detail: 'the MX name does not exist' }]);
    // NDJSON carries the same target record.
    const nd = await runCli([...base(), '--format', 'ndjson', 'nxbackup.example']);
    const rec = nd.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; dns?: RunResult['targets'][number]['dns'] }).find((x) => x.type === 'target');
    expect(rec?.dns?.noAddress).toEqual([expect.objectContaining({ exchange: 'gone.nxbackup.example', status: 'nxdomain' })]);
  });

  it('a backup MX with no A/AAAA (NODATA) is named too, exit 0; under -4 an IPv6-only MX says so', async () => {
    const r = await runCli([...base(), '--format', 'json', 'nodatabackup.example']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as RunResult).targets[0]?.dns.noAddress).toEqual([{ exchange: 'txt.nodatabackup.example', status: 'nodata', detail: 'the MX name has no A or AAAA record' }]);
    const r4 = await runCli([...base(), '-4', '--format', 'json', 'nodatabackup.example']);
    expect((JSON.parse(r4.stdout) as RunResult).targets[0]?.dns.noAddress?.[0]?.detail).toBe('the MX name has no A record (-4)');
  });

  it('a domain whose MX all answer has no dns.noAddress (control)', async () => {
    const r = await runCli([...base(), '--format', 'json', 'v6fail.example', '-4']);
    expect((JSON.parse(r.stdout) as RunResult).targets[0]?.dns.noAddress).toBeUndefined();
  });

  it('the table and the CSV show the NXDOMAIN backup MX as a row of its own', async () => {
    const table = await runCli([...base(), 'nxbackup.example']);
    expect(table.code).toBe(0);
    const row = table.stdout.split('\n').find((l) => l.includes('gone.nxbackup.example'));
    expect(row).toMatch(/dns nxdomain \(the MX name does not exist\)/);
    const grid = await runCli([...base(), '--identities', 'primary,bare-ip', 'nxbackup.example']);
    expect(grid.stdout).toMatch(/gone\.nxbackup\.example dns nxdomain/);
    const csv = await runCli([...base(), '--format', 'csv', 'nxbackup.example']);
    const rows = csv.stdout.trim().split('\r\n');
    expect(rows).toHaveLength(3);
    expect(rows.find((l) => l.includes('gone.nxbackup.example'))).toMatch(/,nxdomain,gone\.nxbackup\.example,/);
  });

  it('the table and the CSV show the unresolved MX as a row of its own', async () => {
    const table = await runCli([...base(), 'half.example']);
    expect(table.code).toBe(1);
    const row = table.stdout.split('\n').find((l) => l.includes('mx2.half.example'));
    expect(row).toMatch(/dns servfail/);
    const csv = await runCli([...base(), '--format', 'csv', 'half.example']);
    const rows = csv.stdout.trim().split('\r\n');
    expect(rows).toHaveLength(3);
    expect(rows.find((l) => l.includes('mx2.half.example'))).toMatch(/,servfail,mx2\.half\.example,/);
  });
});

describe('an MX set that only partly resolves, in HTML', () => {
  it('the HTML report lists an NXDOMAIN backup MX under "Targets not probed"', async () => {
    const r = await runCli([...base(), '--format', 'html', 'nxbackup.example']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/<li><span class="mono">nxbackup\.example<\/span> MX <span class="mono">gone\.nxbackup\.example<\/span>[^<]*<span class="muted">\([^)]*\)<\/span>: DNS nxdomain — the MX name does not exist<\/li>/);
  });

  it('the HTML report lists the unresolved MX under "Targets not probed"', async () => {
    const r = await runCli([...base(), '--format', 'html', 'half.example']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/Targets not probed<\/h3><ul class="unprobed"><li><span class="mono">half\.example<\/span> MX <span class="mono">mx2\.half\.example<\/span>[^<]*<span class="muted">\([^)]*\)<\/span>: DNS servfail/);
  });
});
