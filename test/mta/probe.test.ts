/**
 * `mxprobe probe` against the real Postfix, default --stop-after starttls: what mxprobe reports
 * must equal what Postfix said (checked against swaks and against Postfix's own log).
 * Depends on: probe --resolver, --source, --helo, --format json, --quiet (default stop-after).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { ProbeResult, RunResult } from '../../src/results.js';
import { LAB_ADDRESSES as A, LAB_NAMES as N, LAB_SERVICES } from './lab.js';
import { describeRun, mxprobe, runResult, type CliRun } from './mxprobe.js';
import { parseSessionEnds, parseTlsEvents } from './postfix-log.js';
import { ehloKeywords, parseSwaks, type SwaksTranscript } from './swaks.js';
import { SKIP_LAB, useLab } from './suite.js';

describe.skipIf(SKIP_LAB)('mxprobe probe against real Postfix (stop-after starttls)', () => {
  const ctx = useLab('probe');
  let run: CliRun;
  let result: RunResult;
  let probe: ProbeResult;
  let swaks: SwaksTranscript;
  let log: string;

  beforeAll(async () => {
    // The reference: swaks, same source, same HELO, same lab.
    const s = await ctx.lab.exec('swaks', ['--server', A.mx, '--local-interface', A.good, '--helo', N.good, '--quit-after', 'EHLO', '--tls'], {
      timeoutMs: 20_000,
    });
    expect(s.code, s.stdout + s.stderr).toBe(0);
    swaks = parseSwaks(s.stdout);

    const mark = ctx.lab.logMark();
    run = await mxprobe(ctx.lab, ['probe', N.domain, '--resolver', A.dns, '--source', A.good, '--helo', N.good, '--format', 'json', '--quiet']);
    result = runResult(run);
    const p = result.targets[0]?.hosts[0]?.probes[0];
    if (!p) throw new Error(`no probe in the result\n${describeRun(run)}\n${run.stdout.slice(0, 4000)}`);
    probe = p;
    // Postfix logs the disconnect after mxprobe's QUIT; wait for it so the log is complete.
    log = await ctx.lab.waitForLog(new RegExp(`${LAB_SERVICES.mx}\\[\\d+\\]: disconnect from \\S+\\[${A.good.replace(/\./g, '\\.')}\\]`), mark);
  }, 120_000);

  it('exits 0 and finds the MX through the lab DNS', () => {
    expect(run.code, describeRun(run)).toBe(0);
    expect(result.schemaVersion).toBe(1);
    expect(result.targets[0]?.dns.status).toBe('ok');
    expect(result.targets[0]?.mx[0]?.exchange).toBe(N.mx);
    expect(result.targets[0]?.hosts[0]).toMatchObject({ exchange: N.mx, ip: A.mx, port: 25, family: 4 });
  });

  it('connects from the requested source with the requested HELO, as Postfix saw it', () => {
    expect(probe.status).toBe('success');
    expect(probe.identity).toMatchObject({ name: N.good, source: A.good });
    expect(probe.local?.address).toBe(A.good);
    // Postfix resolved the client (FCrDNS ok) to good.example.test: the connection really came from .10.
    expect(log).toMatch(new RegExp(`connect from ${N.good.replace(/\./g, '\\.')}\\[127\\.0\\.0\\.10\\]`));
  });

  it('banner and EHLO keywords equal what swaks saw', () => {
    expect(probe.banner?.lines).toEqual(swaks.banner);
    expect(probe.banner?.code).toBe(220);
    expect(probe.greeting?.command).toBe('EHLO');
    expect(probe.greeting?.reply?.lines).toEqual(swaks.ehlo);
    expect(probe.capabilities.plain?.keywords).toEqual(ehloKeywords(swaks.ehlo));
    expect(probe.capabilities.plain?.name).toBe(N.mx);
    expect(probe.capabilities.plain?.starttls).toBe(true);
  });

  it('records the TLS session Postfix established and the self-signed certificate', () => {
    const tls = probe.tls;
    expect(tls).not.toBeNull();
    expect(tls?.mode).toBe('starttls');
    expect(['TLSv1.3', 'TLSv1.2']).toContain(tls?.protocol);
    expect(tls?.authorized).toBe(false);
    expect(tls?.certificate?.selfSigned).toBe(true);
    expect(tls?.certificate?.subject['CN']).toBe(N.mx);
    // Postfix's own record of this session's TLS: same protocol, same cipher.
    const pf = parseTlsEvents(log).filter((e) => e.service === LAB_SERVICES.mx && e.clientIp === A.good);
    expect(pf).toHaveLength(1);
    expect(tls?.protocol).toBe(pf[0]?.protocol);
    expect(tls?.cipher?.standardName).toBe(pf[0]?.cipher);
  });

  it('re-EHLOs after TLS: keywords equal swaks inside TLS, STARTTLS not re-advertised', () => {
    const after = probe.capabilities.tls;
    expect(after).not.toBeNull();
    expect(after?.keywords).toEqual(ehloKeywords(swaks.ehloTls));
    expect(after?.keywords).not.toHaveProperty('STARTTLS');
    expect(after?.starttls).toBe(false);
  });

  it('sends no DATA: not in the transcript, not in Postfix log', () => {
    expect(probe.transcript.length).toBeGreaterThan(0);
    const client = probe.transcript.filter((l) => l.dir === 'C').map((l) => l.line.toUpperCase());
    expect(client.some((l) => l.startsWith('EHLO'))).toBe(true);
    expect(client.some((l) => l.startsWith('STARTTLS'))).toBe(true);
    expect(client.filter((l) => l.startsWith('DATA') || l.startsWith('BDAT'))).toEqual([]);
    // stop-after starttls: no MAIL either.
    expect(client.filter((l) => l.startsWith('MAIL'))).toEqual([]);
    const ends = parseSessionEnds(log).filter((e) => e.clientIp === A.good);
    expect(ends).toHaveLength(1);
    expect(ends[0]?.counters).toMatchObject({ ehlo: '2', starttls: '1' });
    expect(ends[0]?.counters).not.toHaveProperty('data');
    expect(ends[0]?.counters).not.toHaveProperty('bdat');
    expect(ends[0]?.counters).not.toHaveProperty('mail');
  });
});
