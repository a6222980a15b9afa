import { describe, expect, it } from 'vitest';
import { runCliProcess } from '../helpers/cli.js';
import type { HostResult, ProbeResult, RunResult } from '../../src/results.js';

function probe(run: RunResult, domain: string, kind: string): ProbeResult {
  const t = run.targets.find((x) => x.domain === domain);
  const p = t?.hosts[0]?.probes.find((x) => x.identity.kind === kind);
  if (!p) throw new Error(`no ${kind} probe for ${domain}`);
  return p;
}
function host(run: RunResult, domain: string): HostResult {
  const h = run.targets.find((x) => x.domain === domain)?.hosts[0];
  if (!h) throw new Error(`no host for ${domain}`);
  return h;
}

describe('mxprobe demo (built CLI, embedded lab on loopback)', () => {
  it('runs the real pipeline against every simulated receiver, JSON contract included', async () => {
    const r = await runCliProcess(['demo', '--format', 'json', '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const run = JSON.parse(r.stdout) as RunResult;
    expect(run.schemaVersion).toBe(1);
    expect(run.tool.name).toBe('mxprobe');
    expect(run.targets).toHaveLength(8);

    // Postfix-like: EHLO accepted, HELO restrictions applied at RCPT (smtpd_delay_reject).
    expect(probe(run, 'postfix.demo.test', 'primary').verdict).toMatchObject({ outcome: 'accepted', stage: 'rcpt' });
    expect(probe(run, 'postfix.demo.test', 'localhost').verdict).toMatchObject({ outcome: 'rejected', stage: 'rcpt', cause: 'helo-not-fqdn', code: 504, enhanced: '5.5.2' });
    expect(probe(run, 'postfix.demo.test', 'nxdomain').verdict).toMatchObject({ outcome: 'deferred', stage: 'rcpt', cause: 'helo-not-resolving', code: 450 });

    // Exim-like: the mismatched HELO is refused at EHLO, and both replies are recorded.
    const mm = probe(run, 'exim.demo.test', 'mismatch');
    expect(mm.verdict).toMatchObject({ outcome: 'rejected', stage: 'ehlo', cause: 'helo-mismatch' });
    expect(mm.greeting?.ehloReply?.text).toBe('EHLO argument does not match calling host');
    expect(mm.greeting?.command).toBe('HELO');
    expect(mm.greeting?.reply?.text).toBe('HELO argument does not match calling host');
    expect(probe(run, 'exim.demo.test', 'primary').observedClientIp).toBe('127.0.2.10');

    // Legacy: 500 to EHLO, HELO accepted, no capabilities.
    const legacy = probe(run, 'legacy.demo.test', 'primary');
    expect(legacy.greeting?.command).toBe('HELO');
    expect(legacy.greeting?.ehloReply?.code).toBe(500);
    expect(legacy.capabilities.plain).toBeNull();

    // STARTTLS receiver: AUTH only after TLS, TLS details recorded.
    const secure = probe(run, 'secure.demo.test', 'primary');
    expect(secure.capabilities.plain?.starttls).toBe(true);
    expect(secure.capabilities.plain?.auth).toEqual([]);
    expect(secure.capabilities.tls?.auth).toEqual(['PLAIN', 'LOGIN']);
    expect(secure.capabilities.tls?.requireTls).toBe(true);
    expect(secure.tls?.certificate?.selfSigned).toBe(true);
    expect(secure.tls?.nameMatches).toBe(true);

    // Greylisting: 450 at RCPT, then accepted on the retry.
    const grey = probe(run, 'grey.demo.test', 'primary');
    expect(grey.verdict).toMatchObject({ outcome: 'deferred', cause: 'greylist' });
    expect(grey.greylistRetry?.verdict.outcome).toBe('accepted');

    // Broken STARTTLS (454): a TLS fact of the host; every identity still judged at RCPT in plaintext.
    const broken = probe(run, 'brokentls.demo.test', 'primary');
    expect(broken.starttlsFailure).toMatchObject({ kind: 'refused', fallback: 'same-session', reply: { code: 454 } });
    expect(broken.verdict).toMatchObject({ outcome: 'accepted', stage: 'rcpt' });
    expect(probe(run, 'brokentls.demo.test', 'localhost').verdict).toMatchObject({ outcome: 'rejected', stage: 'rcpt', cause: 'helo-not-fqdn' });

    // Slow banner: the wait is measured.
    expect(probe(run, 'slow.demo.test', 'primary').timings.banner).toBeGreaterThanOrEqual(500);

    // RFC 7505 null MX: reported, not probed.
    const nullmx = run.targets.find((t) => t.domain === 'nullmx.demo.test');
    expect(nullmx?.dns.status).toBe('null-mx');
    expect(nullmx?.hosts).toEqual([]);

    // Alignment on both sides.
    const checks = host(run, 'legacy.demo.test').alignment?.checks ?? [];
    expect(checks.find((c) => c.id === 'banner-name')?.status).toBe('warn');
    expect(checks.find((c) => c.id === 'banner-name')?.detail).toMatch(/host3\.hosting\.demo\.test/);
    const sender = probe(run, 'postfix.demo.test', 'primary').alignment?.checks ?? [];
    expect(sender.find((c) => c.id === 'fcrdns')?.status).toBe('pass');

    // Never DATA, never AUTH, in any session.
    const clientLines = run.targets.flatMap((t) => t.hosts.flatMap((h) => h.probes.flatMap((p) => p.transcript.filter((l) => l.dir === 'C').map((l) => l.line))));
    expect(clientLines.length).toBeGreaterThan(100);
    expect(clientLines.filter((l) => /^(DATA|BDAT|AUTH)\b/i.test(l))).toEqual([]);

    expect(run.summary.identities['primary']?.probes).toBe(7);
    expect(run.summary.causes['helo-not-fqdn']).toBeGreaterThanOrEqual(2);
  });

  it('prints a readable table by default, and NDJSON streams one host per line', async () => {
    const table = await runCliProcess(['demo', '--quiet']);
    expect(table.code).toBe(0);
    for (const d of ['postfix.demo.test', 'exim.demo.test', 'legacy.demo.test', 'secure.demo.test', 'grey.demo.test', 'slow.demo.test', 'brokentls.demo.test']) expect(table.stdout).toContain(d);
    expect(table.stdout).toContain('REJ@rcpt not-fqdn');
    expect(table.stdout).toMatch(/STARTTLS offered but broken:\n  mx\.brokentls\.demo\.test 127\.0\.1\.7: refused: 454 4\.7\.0 TLS not available/);
    expect(table.stdout).toContain('Summary');
    const nd = await runCliProcess(['demo', '--quiet', '--format', 'ndjson', '--identities', 'primary']);
    const lines = nd.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string });
    expect(lines[0]?.type).toBe('run');
    expect(lines.at(-1)?.type).toBe('summary');
    expect(lines.filter((l) => l.type === 'host')).toHaveLength(7);
    expect(lines.filter((l) => l.type === 'target')).toHaveLength(8);
  });
});
