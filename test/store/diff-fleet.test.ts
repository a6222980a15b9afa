/**
 * `diff` and `history` of fleet runs (one run, several vantages writing the same hosts), and the
 * certificate-expiry window judged per side (issue 16: "certificate replaced, or now expiring
 * within N days"). Fleet results are built from the sample fixture: every host once per vantage,
 * as the coordinator writes them (fleet/coordinator.ts), in a .json file (one host record per
 * vantage), an .ndjson file (merged back into one host by report/load.ts) and a real SQLite store
 * (`store import`, then diff and history through the built CLI).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { HostResult, RunResult } from '../../src/results.js';
import { diffHost, diffUnchanged, type Change } from '../../src/store/diff.js';
import { diffSides, fileSide, storeSide, type DiffRow } from '../../src/store/diff-stream.js';
import { openStore } from '../../src/store/open.js';
import { parseBriefHeader, hostBrief } from '../../src/store/rows.js';
import { runCliProcess } from '../helpers/cli.js';
import { probe0, SAMPLE, sampleHost } from './fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'mxprobe-diff-fleet-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const VANTAGES = ['relay1', 'relay2'];
const NEW_FP = 'AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99';

/** The sample run as a fleet run: each host once per vantage, each probe carrying its vantage. */
function fleetRun(startedAt: string, mutate?: (input: string, h: HostResult, vantage: string) => void): RunResult {
  const run = structuredClone(SAMPLE);
  run.startedAt = startedAt;
  run.options = { ...run.options, fleet: { vantages: VANTAGES.map((name) => ({ name })) } };
  for (const t of run.targets) {
    t.hosts = t.hosts.flatMap((h) =>
      VANTAGES.map((v) => {
        const c = structuredClone(h);
        for (const p of c.probes) p.vantage = v;
        mutate?.(t.input, c, v);
        return c;
      }),
    );
  }
  return run;
}

/** relay2 sees a new certificate on example.com's hosts; relay1 sees the same as before. */
const replacedOnRelay2 = (input: string, h: HostResult, v: string) => {
  if (v !== 'relay2' || input !== 'example.com') return;
  for (const p of h.probes) if (p.tls?.certificate) p.tls.certificate.fingerprint256 = NEW_FP;
};

function writeJson(name: string, run: RunResult): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(run));
  return path;
}

/** The NDJSON form `probe --format ndjson` streams: a run record, host records, target records. */
function writeNdjson(name: string, run: RunResult): string {
  const lines: unknown[] = [{ type: 'run', schemaVersion: 1, tool: run.tool, startedAt: run.startedAt, options: run.options }];
  for (const t of run.targets) {
    const { hosts, ...rest } = t;
    for (const h of hosts) lines.push({ type: 'host', target: { input: t.input, origin: t.origin, kind: t.kind, domain: t.domain, mx: t.mx }, ...h });
    lines.push({ type: 'target', ...rest });
  }
  const path = join(dir, name);
  writeFileSync(path, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return path;
}

// Between the two runs (a week apart): the sample's certificates end 2026-12-31 (mx1) and
// 2026-02-10 (mx2); with a 400-day window both are inside it at both runs.
const A_AT = '2026-02-01T10:00:00.000Z';
const B_AT = '2026-02-08T10:00:00.000Z';
const OPTS = { now: new Date(B_AT), before: new Date(A_AT), expiryDays: 400 };

async function rows(a: Parameters<typeof diffSides>[0], b: Parameters<typeof diffSides>[1]): Promise<DiffRow[]> {
  const out: DiffRow[] = [];
  for await (const r of diffSides(a, b, OPTS)) out.push(r);
  return out;
}

const brief = (r: DiffRow) => `${r.where} | ${r.vantage ?? '-'} | ${r.change.kind}`;

describe('diff of fleet runs: hosts keyed by vantage', () => {
  it('json and ndjson files: each change is under its own vantage, the replaced certificate only under relay2', async () => {
    const a = fleetRun(A_AT);
    const b = fleetRun(B_AT, replacedOnRelay2);
    for (const [fa, fb] of [
      [writeJson('a.json', a), writeJson('b.json', b)],
      [writeNdjson('a.ndjson', a), writeNdjson('b.ndjson', b)],
    ] as const) {
      const got = await rows((await fileSide(fa)).side, (await fileSide(fb)).side);
      const lines = got.map(brief);
      // Every host row names its vantage, in `where` and as a field.
      for (const r of got) if (r.where.includes(' ')) expect(r.where).toMatch(/ via relay[12]$/);
      expect(lines).toContain('example.com mx1.example.com 192.0.2.10:25 via relay2 | relay2 | cert-changed');
      expect(lines).not.toContain('example.com mx1.example.com 192.0.2.10:25 via relay1 | relay1 | cert-changed');
      // Once per vantage, never twice under one heading.
      expect(new Set(lines).size).toBe(lines.length);
      expect(lines.filter((l) => l.includes('cert-changed'))).toHaveLength(2);
    }
  });

  it('a fleet run compared with itself: nothing but reminders and the failed probes, one per vantage', async () => {
    const f = writeJson('same.json', fleetRun(A_AT));
    const got = await rows((await fileSide(f)).side, (await fileSide(f)).side);
    expect(got.filter((r) => r.change.kind !== 'probe-failed' && r.change.kind !== 'cert-expiry-reminder')).toEqual([]);
    const failed = got.filter((r) => r.change.kind === 'probe-failed').map((r) => `${r.where} ${r.vantage}`);
    expect(failed).toContain('203.0.113.5:2525 via relay1 relay1');
    expect(failed).toContain('203.0.113.5:2525 via relay2 relay2');
  });

  it('a SQLite store, read in pages that end inside a key\'s vantages: the same rows as one big page', async () => {
    const db = join(dir, 'pages.db');
    for (const [name, run] of [['pa.json', fleetRun(A_AT)], ['pb.json', fleetRun(B_AT, replacedOnRelay2)]] as const) {
      const r = await runCliProcess(['store', 'import', writeJson(name, run), '--store', db]);
      expect(r.code, r.stderr).toBe(0);
    }
    const store = await openStore(db, { cwd: dir, env: {}, readOnly: true });
    try {
      const [rb, ra] = await store.listRuns(10);
      const whole = (await rows(storeSide(store, ra!, 1000), storeSide(store, rb!, 1000))).map(brief);
      expect(whole).toContain('example.com mx1.example.com 192.0.2.10:25 via relay2 | relay2 | cert-changed');
      for (const size of [1, 2, 3]) {
        const counts = { targetsCompared: 0, hostsCompared: 0 };
        const paged: string[] = [];
        for await (const r of diffSides(storeSide(store, ra!, size), storeSide(store, rb!, size), OPTS, counts)) paged.push(brief(r));
        expect(paged, `page size ${size}`).toEqual(whole);
        // 4 hosts × 2 vantages, none lost at a page boundary and none "appeared".
        expect(counts.hostsCompared).toBe(8);
        expect(paged.some((l) => l.includes('host-'))).toBe(false);
      }
    } finally {
      await store.close();
    }
  });

  it('the CLI in every format names the vantage; --fail-on-change fires once per vantage; history compares a vantage with itself', async () => {
    const db = join(dir, 'cli.db');
    for (const [name, run] of [['ca.json', fleetRun(A_AT)], ['cb.json', fleetRun(B_AT, replacedOnRelay2)]] as const) {
      const r = await runCliProcess(['store', 'import', writeJson(name, run), '--store', db]);
      expect(r.code, r.stderr).toBe(0);
    }
    const json = await runCliProcess(['diff', '1', '2', '--store', db, '--expiry-days', '400', '--format', 'json', '--fail-on-change', 'cert-changed']);
    expect(json.code, json.stderr).toBe(3);
    const doc = JSON.parse(json.stdout) as { changes: Array<{ where: string; vantage?: string; kind: string; violates: string[] }>; summary: { violations: number } };
    const fired = doc.changes.filter((c) => c.violates.length > 0);
    expect(fired.map((c) => `${c.where}|${c.vantage}`).sort()).toEqual(['example.com mx1.example.com 192.0.2.10:25 via relay2|relay2', 'example.com mx2.example.com 198.51.100.20:25 via relay2|relay2']);
    expect(doc.summary.violations).toBe(2);
    for (const format of ['table', 'markdown', 'html']) {
      const r = await runCliProcess(['diff', '1', '2', '--store', db, '--expiry-days', '400', '--format', format]);
      expect(r.stdout, format).toContain('mx1.example.com 192.0.2.10:25 via relay2');
      expect(r.stdout, format).toContain('mx1.example.com 192.0.2.10:25 via relay1');
    }
    // history: relay1's record of run 1 is not compared with relay2's of run 1.
    const h = await runCliProcess(['history', 'mx1.example.com', '--store', db, '--expiry-days', '400', '--format', 'json']);
    expect(h.code, h.stderr).toBe(0);
    const hist = (JSON.parse(h.stdout) as { changes: Array<{ when: string; where: string; kind: string }> }).changes.map((c) => `${c.when} ${c.where} ${c.kind}`);
    // A first sighting says what diff says of a new host, a certificate already inside the window
    // included (once: relay1's is still inside it at B, a reminder that history does not repeat).
    expect(hist).toEqual([
      `${A_AT} example.com mx1.example.com 192.0.2.10:25 via relay1 host-appeared`,
      `${A_AT} example.com mx1.example.com 192.0.2.10:25 via relay1 cert-expiring`,
      `${A_AT} example.com mx1.example.com 192.0.2.10:25 via relay2 host-appeared`,
      `${A_AT} example.com mx1.example.com 192.0.2.10:25 via relay2 cert-expiring`,
      `${B_AT} example.com mx1.example.com 192.0.2.10:25 via relay2 cert-changed`,
      // Replaced by a certificate inside the window: a change (the new one's expiry).
      `${B_AT} example.com mx1.example.com 192.0.2.10:25 via relay2 cert-expiring`,
    ]);
  });
});

describe('fleet runs are diffed from their briefs (migration 11)', () => {
  it('a stored fleet host\'s brief names each probe\'s vantage; an older fleet store\'s vantage-less briefs are dropped on open', async () => {
    const db = join(dir, 'brief-vantage.db');
    for (const [name, run] of [['bv-a.json', fleetRun('2026-03-01T10:00:00.000Z')], ['bv-b.json', fleetRun('2026-03-08T10:00:00.000Z', replacedOnRelay2)]] as const) {
      const r = await runCliProcess(['store', 'import', writeJson(name, run), '--store', db]);
      expect(r.code, r.stderr).toBe(0);
    }
    const { default: Database } = await import('better-sqlite3');
    const sql = new Database(db);
    const briefs = sql.prepare('SELECT brief FROM hosts ORDER BY id').all() as Array<{ brief: string | null }>;
    expect(briefs.length).toBeGreaterThan(0);
    // Every brief is there, and its probes say which relay made them (the brief path's only way to
    // tell relay1's record from relay2's under one key).
    for (const { brief } of briefs) {
      expect(brief).not.toBeNull();
      const vs = new Set((JSON.parse(brief!) as { probes: Array<{ vantage?: string }> }).probes.map((p) => p.vantage));
      expect(vs.size).toBe(1);
      expect(VANTAGES).toContain([...vs][0]);
    }
    // The diff from the briefs: the replaced certificate under relay2 only.
    const diffOf = async () => {
      const r = await runCliProcess(['diff', '1', '2', '--store', db, '--format', 'json']);
      // 1: the sample's failed probes make the diff inconclusive; never 2 (an error).
      expect(r.code, r.stderr).toBe(1);
      return (JSON.parse(r.stdout) as { changes: Array<{ where: string; kind: string }> }).changes.filter((c) => c.kind === 'cert-changed').map((c) => c.where).sort();
    };
    const fromBriefs = await diffOf();
    expect(fromBriefs.length).toBeGreaterThan(0);
    for (const w of fromBriefs) expect(w).toMatch(/ via relay2$/);
    // A store written before migration 11: the same briefs without the vantage, schema at 10.
    for (const row of sql.prepare('SELECT id, brief FROM hosts').all() as Array<{ id: number; brief: string }>) {
      const b = JSON.parse(row.brief) as { probes: Array<{ vantage?: string }> };
      for (const p of b.probes) delete p.vantage;
      sql.prepare('UPDATE hosts SET brief = ? WHERE id = ?').run(JSON.stringify(b), row.id);
    }
    sql.prepare('DELETE FROM schema_migrations WHERE version >= 11').run();
    sql.close();
    // A writing command applies migration 11; the fleet hosts are then read from their records.
    const pr = await runCliProcess(['store', 'prune', '--keep', '3650d', '--store', db]);
    expect(pr.code, pr.stderr).toBe(0);
    const after = new Database(db, { readonly: true });
    expect((after.prepare('SELECT count(*) AS n FROM hosts WHERE brief IS NOT NULL').get() as { n: number }).n).toBe(0);
    after.close();
    expect(await diffOf()).toEqual(fromBriefs);
  });
});

describe('certificate expiry: a change only when the certificate entered the window between A and B', () => {
  const withCert = (validTo: string, fp?: string) => {
    const h = sampleHost();
    for (const p of h.probes) {
      if (p.tls?.certificate) {
        p.tls.certificate.validTo = validTo;
        if (fp) p.tls.certificate.fingerprint256 = fp;
      }
    }
    return h;
  };
  const kinds = (cs: Change[]) => cs.map((c) => c.kind).filter((k) => k.startsWith('cert-'));
  const at = (a: string, b: string) => ({ before: new Date(a), now: new Date(b), expiryDays: 14 });

  it('already inside the window in A and still in B: a reminder, not a change', () => {
    const h = withCert('2026-06-10T00:00:00Z');
    expect(kinds(diffHost(h, structuredClone(h), at('2026-05-30T00:00:00Z', '2026-06-01T00:00:00Z')))).toEqual(['cert-expiry-reminder']);
    // The same through two byte-equal briefs (the store's fast path), which never parses them.
    const header = parseBriefHeader(hostBrief(h, { input: 'x', domain: null }))!;
    expect(header.solo).toBe(false);
    expect(diffUnchanged(header, at('2026-05-30T00:00:00Z', '2026-06-01T00:00:00Z')).map((c) => c.kind)).toEqual(['cert-expiry-reminder']);
  });

  it('outside the window at A, inside at B (the same certificate): "now expiring", a change', () => {
    const h = withCert('2026-06-10T00:00:00Z');
    expect(kinds(diffHost(h, structuredClone(h), at('2026-05-01T00:00:00Z', '2026-06-01T00:00:00Z')))).toEqual(['cert-expiring']);
    const header = parseBriefHeader(hostBrief(h, { input: 'x', domain: null }))!;
    expect(diffUnchanged(header, at('2026-05-01T00:00:00Z', '2026-06-01T00:00:00Z')).map((c) => c.kind)).toEqual(['cert-expiring']);
  });

  it('replaced by a certificate inside the window: a change, even when the old one was inside it too', () => {
    const a = withCert('2026-06-05T00:00:00Z');
    const b = withCert('2026-06-10T00:00:00Z', NEW_FP);
    expect(kinds(diffHost(a, b, at('2026-05-30T00:00:00Z', '2026-06-01T00:00:00Z')))).toEqual(['cert-changed', 'cert-expiring']);
  });

  it('no certificate seen in A (no TLS session): not "already expiring", a change', () => {
    const a = sampleHost();
    for (const p of a.probes) p.tls = null;
    const b = withCert('2026-06-10T00:00:00Z');
    expect(kinds(diffHost(a, b, at('2026-05-30T00:00:00Z', '2026-06-01T00:00:00Z')))).toEqual(['cert-expiring']);
    expect(probe0(b).tls).not.toBeNull();
  });

  it('the CLI: two identical runs with an expiring certificate are "0 change(s)", exit 0, even with --fail-on-change', async () => {
    const run = structuredClone(SAMPLE);
    // No failed probe in this copy: the exit code then says only whether something changed.
    run.targets = run.targets.filter((t) => t.input === 'legacy.example.net' || t.input === 'example.com').map((t) => ({ ...t, hosts: t.hosts.filter((h) => h.probes.every((p) => p.status === 'success')) }));
    const f = writeJson('same-expiring.json', run);
    const before = await runCliProcess(['diff', f, f, '--expiry-days', '400', '--fail-on-change', 'cert-changed,starttls-lost', '--format', 'json']);
    expect(before.code, before.stderr).toBe(0);
    const doc = JSON.parse(before.stdout) as { changes: Array<{ kind: string }>; summary: { changes: number; reminders: number; note: string } };
    expect(doc.changes.map((c) => c.kind)).toContain('cert-expiry-reminder');
    expect(doc.summary.changes).toBe(0);
    expect(doc.summary.reminders).toBeGreaterThan(0);
    expect(doc.summary.note).toMatch(/^0 change\(s\) \(and \d+ reminder/);
  });
});
