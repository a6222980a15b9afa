/**
 * Totals cross-check with the real pflogsumm (Debian package) on a generated 40,000-line classic
 * Postfix log (bench/logs-gen.mjs: outbound sent/deferred/bounced with per-message tokens,
 * deferred-then-delivered, inbound HELO-check rejects, qmgr/cleanup noise). Under CI=true a missing
 * pflogsumm fails the run instead of skipping.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs bench script without types
import { generateText } from '../../bench/logs-gen.mjs';
import { runCliProcess } from '../helpers/cli.js';
import { pflogsummTotals } from './pflogsumm-totals.js';

const PFLOGSUMM = '/usr/sbin/pflogsumm';
if (!existsSync(PFLOGSUMM) && process.env['CI'] === 'true') throw new Error('pflogsumm is missing (apt-get install pflogsumm; .ci/run installs it)');
const dir = mkdtempSync(join(tmpdir(), 'mxprobe-pflogsumm-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!existsSync(PFLOGSUMM))('mxprobe logs totals equal pflogsumm on a generated log', () => {
  it('received, delivered, deferred (deferrals), bounced, rejected', async () => {
    const file = join(dir, 'mail.log');
    writeFileSync(file, (generateText as (n: number) => string)(40_000));
    const pf = spawnSync(PFLOGSUMM, [file], { encoding: 'utf8', maxBuffer: 1 << 26 });
    expect(pf.status, pf.stderr).toBe(0);
    const want = pflogsummTotals(pf.stdout);
    const r = await runCliProcess(['logs', file, '--format', 'json'], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout);
    expect(d.totals).toMatchObject(want);
    expect(want.deferred).toBeGreaterThan(100);
    expect(d.unparsed.count).toBe(0);
    // What pflogsumm cannot say: refusals grouped after normalising per-message tokens.
    expect(d.replies.length).toBeLessThan(20);
    expect(d.totals.deliveredAfterDeferral).toBeGreaterThan(0);
  }, 180_000);
});
