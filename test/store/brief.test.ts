/**
 * The brief column (migration 2): diff reads a host's compared facts from it instead of parsing
 * every probe record. It must diff exactly like the full records, for every change kind diffHost
 * knows, and hosts written before migration 2 (brief NULL) must still diff from their records.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { PROBE_STATUSES, type AlignmentCheck, type DaneStatus, type HostResult } from '../../src/results.js';
import { briefHeader, diffHost, diffUnchanged, selfDiffSays } from '../../src/store/diff.js';
import { diffSides, storeSide, type DiffRow } from '../../src/store/diff-stream.js';
import { hostBrief, hostFromBrief, parseBriefHeader } from '../../src/store/rows.js';
import { StoreSink } from '../../src/store/sink.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import type { Store } from '../../src/store/types.js';
import { SAMPLE, syntheticTarget } from './fixture.js';

/**
 * hostBrief as first written (object spreads), kept as the reference: the brief column must stay
 * byte-equal, since diff compares two runs' briefs as strings (diff-stream.ts).
 */
function referenceBrief(host: HostResult, target: { input: string; domain: string | null }): string {
  const briefChecks = (list: AlignmentCheck[]): AlignmentCheck[] => list.map((c) => ({ id: c.id, status: c.status, detail: '' }));
  const briefIssuer = (issuer: Record<string, string | string[]>): Record<string, string | string[]> => {
    const out: Record<string, string | string[]> = {};
    if (issuer['CN'] !== undefined) out['CN'] = issuer['CN'];
    if (issuer['O'] !== undefined) out['O'] = issuer['O'];
    return out;
  };
  return JSON.stringify({
    q: briefHeader(host),
    target: { input: target.input, domain: target.domain },
    probes: host.probes.map((p) => ({
      identity: p.identity,
      status: p.status,
      verdict: p.verdict,
      ...(p.greylistRetry ? { greylistRetry: { verdict: p.greylistRetry.verdict, status: p.greylistRetry.status } } : {}),
      ...(p.error ? { error: { message: p.error.message } } : {}),
      banner: p.banner ? { lines: p.banner.lines } : null,
      capabilities: {
        plain: p.capabilities.plain ? { keywords: p.capabilities.plain.keywords, starttls: p.capabilities.plain.starttls } : null,
        tls: p.capabilities.tls ? { keywords: p.capabilities.tls.keywords } : null,
      },
      tls: p.tls
        ? {
            protocol: p.tls.protocol,
            cipher: p.tls.cipher ? { name: p.tls.cipher.name, standardName: p.tls.cipher.standardName } : null,
            certificate: p.tls.certificate ? { issuer: briefIssuer(p.tls.certificate.issuer), fingerprint256: p.tls.certificate.fingerprint256, validTo: p.tls.certificate.validTo } : null,
          }
        : null,
      ...(p.alignment ? { alignment: { checks: briefChecks(p.alignment.checks), ...(p.alignment.observedIp ? { observedIp: { ip: p.alignment.observedIp.ip, checks: briefChecks(p.alignment.observedIp.checks) } } : {}) } } : {}),
    })),
    ...(host.alignment ? { alignment: { checks: briefChecks(host.alignment.checks) } } : {}),
    ...(host.transport?.dane ? { transport: { dane: { status: host.transport.dane.status, dnssec: host.transport.dane.dnssec, ...(host.transport.dane.detail !== undefined ? { detail: host.transport.dane.detail } : {}) } } } : {}),
  });
}

const dir = mkdtempSync(join(tmpdir(), 'mxprobe-brief-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const opts = { now: new Date('2026-06-01T00:00:00Z'), expiryDays: 14 };
const viaBrief = (h: HostResult): HostResult => hostFromBrief(hostBrief(h, { input: 'x', domain: null })).host;

/** Every kind of change diffHost reports, one per host index. */
function mutate(i: number, h: HostResult): void {
  const p = h.probes[0]!;
  if (i === 1 && p.banner) p.banner = { ...p.banner, lines: ['220 other banner'] };
  for (const q of h.probes) {
    // A fresh keywords object: the fixture's probes may share one.
    if (q.capabilities.plain) q.capabilities.plain = { ...q.capabilities.plain, keywords: { ...q.capabilities.plain.keywords } };
    if (i === 2 && q.capabilities.plain) q.capabilities.plain.keywords['XNEWKEYWORD'] = 'yes';
    if (i === 3 && q.capabilities.plain) q.capabilities.plain.keywords['SIZE'] = '1';
    if (i === 4 && q.capabilities.plain) q.capabilities.plain.starttls = false;
  }
  if (i === 5 && p.tls) p.tls.protocol = 'TLSv1.1';
  if (i === 6 && p.tls?.cipher) p.tls.cipher = { ...p.tls.cipher, name: 'OTHER', standardName: 'TLS_OTHER' };
  if (i === 7 && p.tls?.certificate) p.tls.certificate = { ...p.tls.certificate, fingerprint256: 'AA:BB', issuer: { CN: 'New CA', O: 'New Org', C: 'XX' }, validTo: 'Jun  5 00:00:00 2026 GMT' };
  if (i === 8) p.verdict = { ...p.verdict, outcome: 'rejected', stage: 'rcpt', code: 550, cause: 'helo-not-resolving' };
  if (i === 9) p.greylistRetry = { afterSeconds: 60, verdict: { ...p.verdict, outcome: 'rejected' }, status: 'success' };
  if (i === 10) {
    p.status = 'connection-timeout';
    p.error = { code: 'E_TIMEOUT', message: 'connect timed out' };
  }
  if (i === 11) h.alignment = { checks: [...(h.alignment?.checks ?? []).map((c) => ({ ...c, status: c.status === 'pass' ? ('fail' as const) : ('pass' as const) }))] };
  // Migration 3: post-STARTTLS EHLO, sender-side alignment per identity, DANE.
  if (i === 12) for (const q of h.probes) if (q.capabilities.tls) q.capabilities.tls = { ...q.capabilities.tls, keywords: { ...q.capabilities.tls.keywords, XTLSONLY: '1' } };
  if (i === 13 && p.alignment) p.alignment = { checks: p.alignment.checks.map((c, k) => (k === 0 ? { ...c, status: 'fail' as const } : c)) };
  if (i === 14) h.transport = { dane: { status: 'dane-mismatch', dnssec: 'secure', name: '_25._tcp.mx', records: [], matched: null } };
  if (i === 15) h.transport = { dane: { status: 'indeterminate', dnssec: 'indeterminate', name: '_25._tcp.mx', records: [], matched: null, detail: 'SERVFAIL' } };
}

/** The older side of host i: DANE valid for the DANE cases, so a change is there to see. */
function base(i: number, h: HostResult): void {
  if (i === 14 || i === 15) h.transport = { dane: { status: 'dane-valid', dnssec: 'secure', name: '_25._tcp.mx', records: [], matched: null } };
}
const N = 16;

describe('hosts.brief', () => {
  it('diffHost gives the same changes from briefs as from full records, for every change kind', () => {
    let kinds = new Set<string>();
    for (let i = 0; i < N; i++) {
      const a = syntheticTarget(i, (h) => base(i, h)).hosts[0]!;
      const b = syntheticTarget(i, (h) => (base(i, h), mutate(i, h))).hosts[0]!;
      const full = diffHost(a, b, opts);
      expect(diffHost(viaBrief(a), viaBrief(b), opts)).toEqual(full);
      expect(diffHost(null, viaBrief(b), opts)).toEqual(diffHost(null, b, opts));
      // The header of an unchanged host says what diffHost(b, b) says, without parsing the brief.
      const header = parseBriefHeader(hostBrief(b, { input: 'x', domain: null }))!;
      expect(header).not.toBeNull();
      if (header.solo) expect(diffHost(b, b, opts).some((c) => c.kind !== 'cert-expiring')).toBe(true);
      else expect(diffUnchanged(header, opts)).toEqual(diffHost(b, b, opts));
      kinds = new Set([...kinds, ...full.map((c) => c.kind)]);
    }
    // The mutations above really produce these changes (the comparison is not vacuous).
    for (const k of ['banner-changed', 'capability-added', 'capability-changed', 'starttls-lost', 'tls-downgrade', 'cipher-changed', 'cert-changed', 'cert-expiring', 'verdict-changed', 'probe-failed', 'tls-capability-added', 'sender-alignment-changed', 'dane-changed', 'transport-inconclusive']) expect(kinds).toContain(k);
  });

  it('hostBrief writes the same bytes as the reference (object-spread) form, on every mutated and sample host', () => {
    const hosts: HostResult[] = [...SAMPLE.targets.flatMap((t) => t.hosts)];
    for (let i = 0; i < N; i++) hosts.push(syntheticTarget(i, (h) => (base(i, h), mutate(i, h))).hosts[0]!);
    // A greylist retry, an observed client IP and a DANE detail: the optional fields all present.
    const extra = syntheticTarget(20, (h) => (base(15, h), mutate(15, h), mutate(9, h))).hosts[0]!;
    if (extra.probes[0]!.alignment) extra.probes[0]!.alignment.observedIp = { ip: '192.0.2.9', checks: [{ id: 'observed-ptr', status: 'fail', detail: 'x' }] };
    hosts.push(extra);
    let optional = 0;
    for (const h of hosts) {
      const t = { input: 'in.example', domain: 'in.example' };
      expect(hostBrief(h, t)).toBe(referenceBrief(h, t));
      if (h.probes.some((p) => p.greylistRetry || p.error || p.alignment?.observedIp) || h.transport?.dane?.detail !== undefined) optional++;
    }
    expect(optional).toBeGreaterThanOrEqual(3);
  });

  it('the header\'s `solo` (selfDiffSays, no diffHost run) is exactly "diffHost(h, h) says more than expiry", on random hosts', () => {
    const danes: Array<DaneStatus | null> = [null, 'dane-valid', 'dane-mismatch', 'no-tlsa', 'insecure', 'bogus', 'tlsa-unusable', 'indeterminate', 'not-checked'];
    const kinds = ['primary', 'literal', 'nxdomain', 'custom'] as const;
    const probeArb = fc.record({ status: fc.constantFrom(...PROBE_STATUSES), kind: fc.constantFrom(...kinds), name: fc.constantFrom('a.example', 'b.example'), source: fc.constantFrom(null, '192.0.2.1'), outcome: fc.constantFrom('accepted', 'rejected', 'deferred'), retry: fc.boolean(), check: fc.constantFrom('pass', 'fail', 'skip') });
    let solo = 0;
    let plain = 0;
    fc.assert(
      fc.property(fc.array(probeArb, { minLength: 0, maxLength: 4 }), fc.constantFrom(...danes), fc.integer({ min: 0, max: 15 }), (ps, dane, i) => {
        const h = syntheticTarget(i, (x) => (base(i, x), mutate(i, x))).hosts[0]!;
        const p0 = h.probes[0]!;
        h.probes = ps.map((q) => {
          const p = structuredClone(p0);
          p.status = q.status;
          p.identity = { ...p.identity, kind: q.kind, name: q.name, source: q.source };
          p.verdict = { ...p.verdict, outcome: q.outcome };
          if (q.retry) p.greylistRetry = { afterSeconds: 60, verdict: { ...p.verdict, outcome: 'accepted' }, status: 'success' };
          p.alignment = { checks: [{ id: 'helo-resolves', status: q.check, detail: '' }] };
          return p;
        });
        if (dane === null) delete h.transport;
        else h.transport = { dane: { status: dane, dnssec: 'secure', name: '_25._tcp.mx', records: [], matched: null } };
        const says = diffHost(h, h, { now: new Date(0), expiryDays: -Infinity }).length > 0;
        if (says) solo++;
        else plain++;
        expect(selfDiffSays(h)).toBe(says);
      }),
      { numRuns: 400, seed: 16 },
    );
    // Both answers were exercised (a property that only ever saw one of them would prove little).
    expect(solo).toBeGreaterThan(20);
    expect(plain).toBeGreaterThan(20);
  });

  it('a store diff from briefs equals one from the records of hosts written before migration 2', async () => {
    const path = join(dir, 'b.db');
    const store: Store = openSqliteStore(path, { busyTimeoutMs: 5000 });
    const ids: number[] = [];
    for (const [n, m] of [[0, false], [1, true]] as const) {
      const sink = await StoreSink.start(store, { startedAt: `2026-05-0${n + 1}T00:00:00.000Z`, toolVersion: 'test', options: {}, vantage: null, source: null }, { warn: (w) => expect.fail(w), batchSize: 5 });
      for (let i = 0; i < N; i++) {
        const t = syntheticTarget(i, m ? (h) => (base(i, h), mutate(i, h)) : (h) => base(i, h));
        for (const h of t.hosts) await sink.host(h, { input: t.input, origin: t.origin, kind: t.kind, domain: t.domain, mx: t.mx });
        await sink.target(t);
      }
      await sink.finish(`2026-05-0${n + 1}T00:01:00.000Z`, 'complete');
      ids.push(sink.runId);
    }
    const collect = async (): Promise<DiffRow[]> => {
      const out: DiffRow[] = [];
      const [a, b] = [(await store.getRun(ids[0]!))!, (await store.getRun(ids[1]!))!];
      for await (const r of diffSides(storeSide(store, a, 5), storeSide(store, b, 5), opts)) out.push(r);
      return out;
    };
    const fromBrief = await collect();
    expect(fromBrief.length).toBeGreaterThan(12);
    // Every mutated host (1..15) shows up, and the unchanged host 0 only as far as its header says.
    for (const k of ['dane-changed', 'transport-inconclusive', 'tls-capability-added', 'sender-alignment-changed', 'starttls-lost']) expect(fromBrief.map((r) => r.change.kind)).toContain(k);
    const raw = new Database(path);
    // Half the hosts read from records, half from briefs: the same diff.
    expect(raw.prepare('UPDATE hosts SET brief = NULL WHERE id % 2 = 0').run().changes).toBe(N);
    raw.close();
    expect(await collect()).toEqual(fromBrief);
    const raw2 = new Database(path);
    expect(raw2.prepare('UPDATE hosts SET brief = NULL').run().changes).toBe(2 * N);
    raw2.close();
    expect(await collect()).toEqual(fromBrief);
    await store.close();
  });

  it('migration 3 drops briefs written before it (they lack DANE and the rest): those hosts diff from their records', async () => {
    const path = join(dir, 'm3.db');
    const store = openSqliteStore(path, { busyTimeoutMs: 5000 });
    const ids: number[] = [];
    for (const [n, m] of [[0, false], [1, true]] as const) {
      const sink = await StoreSink.start(store, { startedAt: `2026-05-0${n + 1}T00:00:00.000Z`, toolVersion: 'test', options: {}, vantage: null, source: null }, { warn: (w) => expect.fail(w), batchSize: 5 });
      const t = syntheticTarget(14, m ? (h) => (base(14, h), mutate(14, h)) : (h) => base(14, h));
      for (const h of t.hosts) await sink.host(h, { input: t.input, origin: t.origin, kind: t.kind, domain: t.domain, mx: t.mx });
      await sink.target(t);
      await sink.finish(`2026-05-0${n + 1}T00:01:00.000Z`, 'complete');
      ids.push(sink.runId);
    }
    await store.close();
    // Make it look like a store written by a version-2 mxprobe: a brief without DANE, schema 2.
    const raw = new Database(path);
    raw.prepare("UPDATE hosts SET brief = json_remove(brief, '$.transport', '$.q')").run();
    raw.prepare('DELETE FROM schema_migrations WHERE version >= 3').run();
    raw.prepare('DROP INDEX IF EXISTS targets_tkey').run(); // migration 3 (migration 9 drops it again)
    raw.prepare('DROP INDEX hosts_import_key').run(); // migration 4
    raw.prepare('DROP INDEX hosts_run_exchange').run(); // migration 7
    raw.prepare('DROP INDEX hosts_run_ip').run();
    raw.prepare('ALTER TABLE hosts DROP COLUMN import_key').run();
    raw.prepare('ALTER TABLE runs DROP COLUMN writer_host').run(); // migration 10
    raw.prepare('ALTER TABLE runs DROP COLUMN writer_pid').run();
    raw.close();
    const diffOf = async (s: Store) => {
      const out: DiffRow[] = [];
      for await (const r of diffSides(storeSide(s, (await s.getRun(ids[0]!))!), storeSide(s, (await s.getRun(ids[1]!))!), opts)) out.push(r);
      return out.map((r) => r.change.kind);
    };
    // Read-only (diff, history): an older schema is read as it is, without its briefs.
    const ro = openSqliteStore(path, { busyTimeoutMs: 5000, readOnly: true });
    expect(await diffOf(ro)).toContain('dane-changed');
    await ro.close();
    // A writer applies migration 3, which drops the old briefs.
    const rw = openSqliteStore(path, { busyTimeoutMs: 5000 });
    expect(await diffOf(rw)).toContain('dane-changed');
    await rw.close();
    const check = new Database(path, { readonly: true });
    expect(check.prepare('SELECT count(*) AS n FROM hosts WHERE brief IS NOT NULL').get()).toEqual({ n: 0 });
    check.close();
  });
});
