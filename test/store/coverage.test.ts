/**
 * What `diff` and `history` cover since migration 3, through the built CLI: post-STARTTLS EHLO
 * keywords, each identity's sender-side alignment, DANE per host, MTA-STS and TLS-RPT per domain,
 * the `dane-broken` and `mta-sts-worse` rules, a failed lookup in the newer run as inconclusive
 * (never "no change", never "lost"); and readers on a schema-1 store (never written by them).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { HostResult, RunResult, TargetResult } from '../../src/results.js';
import { diffTarget, matchRules, parseChangeRules } from '../../src/store/diff.js';
import { runCliProcess } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'mxprobe-store-cover-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const FIX = join(import.meta.dirname, '..', 'fixtures', 'results');

/** The sample run with its failed probes made good (so only our changes make the exit code). */
function sample(): RunResult {
  const r = JSON.parse(readFileSync(join(FIX, 'sample-run.json'), 'utf8')) as RunResult;
  r.targets = r.targets.filter((t) => t.input === 'example.com');
  const t = r.targets[0]!;
  t.hosts = t.hosts.slice(0, 1);
  return r;
}
const ex = (r: RunResult): TargetResult => r.targets[0]!;
const mx1 = (r: RunResult): HostResult => ex(r).hosts[0]!;
const dane = (status: 'dane-valid' | 'dane-mismatch' | 'indeterminate', dnssec: 'secure' | 'indeterminate' = 'secure') => ({ dane: { status, dnssec, name: '_25._tcp.mx1.example.com', records: [], matched: null, ...(status === 'indeterminate' ? { detail: 'SERVFAIL twice' } : {}) } });
const sts = (status: 'mta-sts-valid' | 'mta-sts-mx-mismatch' | 'indeterminate', mx = ['*.example.com']) => ({
  mtaSts: status === 'indeterminate' ? { status, mode: null, id: null, mx: [], maxAge: null, error: 'TXT _mta-sts.example.com: timeout' } : { status, mode: 'enforce' as const, id: '1', mx, maxAge: 86400 },
  tlsRpt: { status: 'valid' as const, rua: ['mailto:tls@example.com'] },
  summary: '',
});

function write(name: string, r: RunResult): string {
  const p = join(dir, name);
  writeFileSync(p, JSON.stringify(r));
  return p;
}

/** Run A: DANE valid, MTA-STS valid. */
function runA(): RunResult {
  const r = sample();
  mx1(r).transport = dane('dane-valid');
  ex(r).transport = sts('mta-sts-valid');
  return r;
}

/** Run B: the TLSA no longer matches, the policy lists other MX, a new post-TLS keyword, a sender check fails. */
function runB(): RunResult {
  const r = sample();
  r.startedAt = '2026-11-30T12:00:00.000Z';
  mx1(r).transport = dane('dane-mismatch');
  ex(r).transport = sts('mta-sts-mx-mismatch', ['mx.elsewhere.example']);
  const p = mx1(r).probes[0]!;
  p.capabilities.tls = { ...p.capabilities.tls!, keywords: { ...p.capabilities.tls!.keywords, XTLSONLY: '' } };
  p.alignment = { checks: p.alignment!.checks.map((c) => (c.id === 'helo-resolves' ? { ...c, status: 'fail' as const } : c)) };
  return r;
}

/** Run C: every transport lookup failed. */
function runC(): RunResult {
  const r = sample();
  r.startedAt = '2026-12-01T12:00:00.000Z';
  mx1(r).transport = dane('indeterminate', 'indeterminate');
  ex(r).transport = sts('indeterminate');
  ex(r).transport!.tlsRpt = { status: 'indeterminate', rua: [], error: 'timeout' };
  return r;
}

describe('diff covers transport security, post-TLS EHLO and sender alignment', () => {
  it('A → B: the lines, and --fail-on-change dane-broken,mta-sts-worse exits 3', async () => {
    const a = write('a.json', runA());
    const b = write('b.json', runB());
    const r = await runCliProcess(['diff', a, b, '--fail-on-change', 'dane-broken,mta-sts-worse']);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stdout).toContain('DANE: dane-valid → dane-mismatch  [dane-broken]');
    expect(r.stdout).toContain('MTA-STS: mta-sts-valid → mta-sts-mx-mismatch  [mta-sts-worse]');
    expect(r.stdout).toContain('MTA-STS policy changed: id 1, mode enforce, mx *.example.com, max_age 86400 → id 1, mode enforce, mx mx.elsewhere.example, max_age 86400');
    expect(r.stdout).toContain('capability added after STARTTLS: XTLSONLY');
    expect(r.stdout).toMatch(/  primary(?: from [^:]+)?: alignment helo-resolves: pass → fail/);
    expect(r.stderr).toMatch(/violate --fail-on-change: (dane-broken, mta-sts-worse|mta-sts-worse, dane-broken)/);
    for (const format of ['json', 'markdown', 'html']) {
      const f = await runCliProcess(['diff', a, b, '--format', format]);
      expect(f.code, f.stderr).toBe(0);
      expect(f.stdout).toContain('dane-mismatch');
      expect(f.stdout).toContain('mta-sts-mx-mismatch');
    }
    const j = JSON.parse((await runCliProcess(['diff', a, b, '--format', 'json'])).stdout) as { changes: Array<{ kind: string }> };
    expect(j.changes.map((c) => c.kind).sort()).toEqual(['dane-changed', 'mta-sts-changed', 'mta-sts-policy-changed', 'sender-alignment-changed', 'tls-capability-added']);
  });

  it('B → A is better: no rule fires', async () => {
    const r = await runCliProcess(['diff', write('b2.json', runB()), write('a2.json', runA()), '--fail-on-change', 'dane-broken,mta-sts-worse']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('DANE: dane-mismatch → dane-valid');
  });

  it('a lookup that failed in the newer run is inconclusive (exit 1), never "no change" nor "lost"', async () => {
    const r = await runCliProcess(['diff', write('a3.json', runA()), write('c3.json', runC()), '--fail-on-change', 'dane-broken,mta-sts-worse']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain('DANE: lookup failed (SERVFAIL twice): inconclusive (was dane-valid)');
    expect(r.stdout).toContain('MTA-STS: lookup failed (TXT _mta-sts.example.com: timeout): inconclusive (was mta-sts-valid)');
    expect(r.stdout).toContain('TLS-RPT: lookup failed (timeout): inconclusive (was valid)');
    expect(r.stdout).toMatch(/3 DANE\/MTA-STS\/TLS-RPT lookup\(s\) failed in .*: inconclusive/);
    expect(r.stdout).not.toMatch(/no changes|→ no-mta-sts|→ no-tlsa|→ absent/);
  });

  it('the rules parse, and match only what they say', () => {
    const rules = parseChangeRules('dane-broken,mta-sts-worse');
    expect(matchRules({ kind: 'dane-changed', before: 'no-tlsa', after: 'bogus', dnssecBefore: 'insecure', dnssecAfter: 'bogus', direction: 'worse' }, rules).map((x) => x.rule)).toEqual(['dane-broken']);
    // DANE withdrawn is not "broken": a DANE sender falls back to opportunistic TLS (RFC 7672 §2.2).
    expect(matchRules({ kind: 'dane-changed', before: 'dane-valid', after: 'no-tlsa', dnssecBefore: 'secure', dnssecAfter: 'secure', direction: 'worse' }, rules)).toEqual([]);
    expect(matchRules({ kind: 'mta-sts-changed', before: 'testing', after: 'mta-sts-valid', direction: 'better' }, rules)).toEqual([]);
    expect(matchRules({ kind: 'transport-inconclusive', what: 'DANE', before: 'dane-valid', detail: 'x' }, rules)).toEqual([]);
    expect(() => parseChangeRules('dane-brokn')).toThrow(/unknown rule "dane-brokn".*dane-broken, mta-sts-worse/);
    // A target seen without transport facts in one run (--no-mta-sts, or an older run) says nothing.
    const t = ex(runA());
    expect(diffTarget({ ...t, transport: undefined } as unknown as TargetResult, t)).toEqual([]);
  });
});

describe('stored runs: history of a domain, and readers on a schema-1 store', () => {
  const db = join(dir, 'v1.db');
  it('imports A, B, C; history shows the domain\'s MTA-STS and the host\'s DANE over time', async () => {
    const imp = await runCliProcess(['store', 'import', write('sa.json', runA()), write('sb.json', runB()), write('sc.json', runC()), '--store', db]);
    expect(imp.code, imp.stderr).toBe(0);
    const h = await runCliProcess(['history', 'example.com', '--store', db]);
    expect(h.code, h.stderr).toBe(0);
    expect(h.stdout).toContain('MTA-STS: mta-sts-valid → mta-sts-mx-mismatch');
    expect(h.stdout).toContain('MTA-STS: lookup failed (TXT _mta-sts.example.com: timeout): inconclusive (was mta-sts-mx-mismatch)');
    expect(h.stdout).toContain('DANE: dane-valid → dane-mismatch');
    expect(h.stdout).toContain('DANE: lookup failed (SERVFAIL twice): inconclusive (was dane-mismatch)');
  });

  it('a store at schema 1 (no brief column) is read by diff and history as it is, and left at schema 1', async () => {
    const raw = new Database(db);
    raw.exec('DROP INDEX hosts_run_exchange; DROP INDEX hosts_run_ip; DROP INDEX hosts_import_key; ALTER TABLE hosts DROP COLUMN import_key; ALTER TABLE hosts DROP COLUMN brief; DROP INDEX IF EXISTS targets_tkey; ALTER TABLE runs DROP COLUMN writer_host; ALTER TABLE runs DROP COLUMN writer_pid; DELETE FROM schema_migrations WHERE version > 1');
    raw.close();
    const d = await runCliProcess(['diff', '1', '2', '--store', db, '--fail-on-change', 'dane-broken']);
    expect(d.code, d.stderr).toBe(3);
    expect(d.stdout).toContain('DANE: dane-valid → dane-mismatch  [dane-broken]');
    expect(d.stdout).toContain('capability added after STARTTLS: XTLSONLY');
    const h = await runCliProcess(['history', 'mx1.example.com', '--store', db]);
    expect(h.code, h.stderr).toBe(0);
    expect(h.stdout).toContain('DANE: dane-valid → dane-mismatch');
    const check = new Database(db, { readonly: true });
    expect(check.prepare('SELECT max(version) AS v FROM schema_migrations').get()).toEqual({ v: 1 });
    check.close();
    // A writer migrates it; diff reads the same from the migrated store.
    const w = await runCliProcess(['store', 'import', write('sd.json', runA()), '--store', db]);
    expect(w.code, w.stderr).toBe(0);
    const d2 = await runCliProcess(['diff', '1', '2', '--store', db]);
    expect(d2.stdout).toContain('DANE: dane-valid → dane-mismatch');
  });
});
