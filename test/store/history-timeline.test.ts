/**
 * `mxprobe history DOMAIN` over five stored runs of one results file, through the built CLI:
 * - a host that leaves the MX set says so ("host disappeared"), at the first finished run of its
 *   target that answered without it, and appears again when it is back. Before, its timeline just
 *   stopped, which reads as "nothing changed since";
 * - a run whose MX lookup failed (SERVFAIL) claims no disappearance (nothing is judged from it);
 * - "certificate expires within N days" is said when the host is first seen with such a
 *   certificate, and not again at every later run (it is a state, not a change). Before, it was
 *   missing at the first sighting and repeated at every later one.
 * Both SQLite and (when the package is there) a real PostgreSQL.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliProcess } from '../helpers/cli.js';
import { PG_REASON, SKIP_PG, startPg, type PgServer } from './pg-server.js';

const dir = mkdtempSync(join(tmpdir(), 'mxprobe-history-timeline-'));
const FIX = join(import.meta.dirname, '..', 'fixtures', 'results', 'sample-run.json');
const MX2 = 'example.com mx2.example.com 198.51.100.20:25';
const MX1 = 'example.com mx1.example.com 192.0.2.10:25';

interface Doc {
  startedAt: string;
  finishedAt: string;
  targets: Array<{ input: string; dns: { status: string; detail?: string }; mx: Array<{ exchange: string }>; hosts: Array<{ exchange: string }> }>;
}

/** The five runs: A, B without mx2, C with it again, D with example.com's MX lookup failed, E as A. */
function files(): string[] {
  const base = JSON.parse(readFileSync(FIX, 'utf8')) as Doc;
  const day = (d: Doc, n: number): Doc => ({ ...d, startedAt: `2026-02-0${n}T10:00:00.000Z`, finishedAt: `2026-02-0${n}T10:00:42.500Z` });
  const withoutMx2 = structuredClone(base);
  const ex = withoutMx2.targets.find((t) => t.input === 'example.com')!;
  ex.hosts = ex.hosts.filter((h) => h.exchange !== 'mx2.example.com');
  ex.mx = ex.mx.filter((m) => m.exchange !== 'mx2.example.com');
  const servfail = structuredClone(base);
  const sf = servfail.targets.find((t) => t.input === 'example.com')!;
  sf.dns = { status: 'servfail', detail: 'example.com: SERVFAIL' };
  sf.hosts = [];
  sf.mx = [];
  return [day(base, 1), day(withoutMx2, 2), day(base, 3), day(servfail, 4), day(base, 5)].map((d, i) => {
    const p = join(dir, `run-${i + 1}.json`);
    writeFileSync(p, JSON.stringify(d));
    return p;
  });
}

let pg: PgServer | undefined;
beforeAll(async () => {
  if (!SKIP_PG) pg = await startPg();
}, 120_000);
afterAll(async () => {
  await pg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function check(store: string): Promise<void> {
  const imp = await runCliProcess(['store', 'import', ...files(), '--store', store]);
  expect(imp.code, imp.stderr).toBe(0);
  const h = await runCliProcess(['history', 'example.com', '--store', store, '--format', 'json']);
  expect(h.code, h.stderr).toBe(0);
  const changes = (JSON.parse(h.stdout) as { changes: Array<{ when: string; where: string; kind: string }> }).changes;
  const of = (where: string) => changes.filter((c) => c.where === where).map((c) => `${c.when.slice(0, 10)} ${c.kind}`);
  expect(of(MX2)).toEqual([
    '2026-02-01 host-appeared',
    '2026-02-01 cert-expiring',
    '2026-02-01 probe-failed',
    '2026-02-02 host-disappeared',
    '2026-02-03 host-appeared',
    '2026-02-03 cert-expiring',
    '2026-02-03 probe-failed',
    // 02-04: the MX lookup failed, nothing said of the host. 02-05: the same certificate, still
    // expiring (not repeated); the failed probe is said again (diff's rule for a failed probe).
    '2026-02-05 probe-failed',
  ]);
  // mx1 never left (the SERVFAIL run is no evidence) and its certificate is far from expiry.
  expect(of(MX1)).toEqual(['2026-02-01 host-appeared']);
  // The domain's own lines still say what its DNS did.
  expect(of('example.com').some((l) => l.startsWith('2026-02-04 '))).toBe(true);
}

describe('history: hosts leaving and coming back, expiry said once', () => {
  it('SQLite', async () => {
    await check(join(dir, 'h.db'));
  });
  it.skipIf(SKIP_PG)(`PostgreSQL${SKIP_PG ? ` (skipped: ${PG_REASON})` : ''}`, async () => {
    await pg!.createDb('timeline');
    await check(pg!.url('timeline'));
  }, 60_000);
});
