/**
 * Parallel parse (src/logs/range.ts, LogAggregator.mergeRange): a file cut into two ranges, the
 * second counted apart and merged, must give the same run as reading it on one thread, byte for
 * byte, wherever the cut falls. The second range runs in-process here (the same countRange the
 * worker thread runs; test/logs/range-cli.test.ts runs the real worker through the built CLI).
 */
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs bench script without types
import { generateText } from '../../bench/logs-gen.mjs';
import { countRange, planSplit, type RangeRunner } from '../../src/logs/range.js';
import { fileSource } from '../../src/logs/read.js';
import { analyseLogs, type LogRunOptions } from '../../src/logs/run.js';

const dir = mkdtempSync(join(tmpdir(), 'mxprobe-range-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const FIX = join(import.meta.dirname, '..', 'fixtures', 'logs');
const MTIME = new Date('2026-11-30T12:00:00Z');

const inProcess: RangeRunner = (job) => ({ result: countRange(job), cancel() {} });
const OPTS: LogRunOptions = { format: 'auto', relay: 'r0', bucket: 'hour', since: null, until: null };

function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  utimesSync(p, MTIME, MTIME);
  return p;
}

/** The one-thread run and the two-range run at `share`, with the reasons a merge was refused. */
async function both(path: string, share: number, opts: LogRunOptions = OPTS) {
  const seq = await analyseLogs([fileSource(path, '/')], opts);
  const fallbacks: string[] = [];
  const par = await analyseLogs([fileSource(path, '/')], opts, { run: inProcess, minBytes: 0, share, onFallback: (_f, why) => fallbacks.push(why) });
  return { seq, par, fallbacks };
}

const generated: string = (generateText as (n: number) => string)(30_000);

describe('parallel ranges: the same run as one thread', () => {
  it('a generated Postfix log cut in the middle merges (no fallback) and equals the one-thread run', async () => {
    const p = write('gen.log', generated);
    const r = await both(p, 0.5);
    expect(r.fallbacks).toEqual([]);
    expect(r.par).toEqual(r.seq);
    // The cut really split deferred-then-delivered messages and open sessions across the ranges.
    expect(r.seq.summary.totals.deliveredAfterDeferral).toBeGreaterThan(100);
  });

  it('any cut point gives the same run (property: random split points, merged or not)', async () => {
    const p = write('gen-prop.log', generated);
    let merged = 0;
    await fc.assert(
      fc.asyncProperty(fc.double({ min: 0.01, max: 0.99, noNaN: true }), fc.constantFrom<'hour' | 'day'>('hour', 'day'), async (share, bucket) => {
        const r = await both(p, share, { ...OPTS, bucket });
        expect(r.par).toEqual(r.seq);
        if (r.fallbacks.length === 0) merged++;
      }),
      { numRuns: 25 },
    );
    expect(merged).toBeGreaterThan(20);
  });

  it('a deferral before the cut delivered after it, and a session open across it, count as one thread counts them', async () => {
    const lines = [
      'Nov 30 10:00:00 relay1 postfix/smtpd[100]: connect from unknown[203.0.113.9]',
      'Nov 30 10:00:01 relay1 postfix/smtpd[100]: NOQUEUE: reject: RCPT from unknown[203.0.113.9]: 504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname; from=<a@b.test> to=<c@d.test> proto=ESMTP helo=<localhost>',
      'Nov 30 10:00:02 relay1 postfix/smtp[200]: 4A1: to=<u@dest.test>, relay=mx1.dest.test[192.0.2.1]:25, delay=5, delays=0.1/0/5/0, dsn=4.7.1, status=deferred (host mx1.dest.test[192.0.2.1] said: 451 4.7.1 Greylisting in action (in reply to RCPT TO command))',
      'Nov 30 10:00:03 relay1 postfix/smtp[200]: 4A1: to=<v@dest.test>, relay=mx1.dest.test[192.0.2.1]:25, delay=5, delays=0.1/0/5/0, dsn=4.7.1, status=deferred (host mx1.dest.test[192.0.2.1] said: 451 4.7.1 Greylisting in action (in reply to RCPT TO command))',
    ];
    const after = [
      // the same session logs its HELO again: one observation, not two
      'Nov 30 10:10:01 relay1 postfix/smtpd[100]: NOQUEUE: reject: RCPT from unknown[203.0.113.9]: 504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname; from=<a@b.test> to=<e@d.test> proto=ESMTP helo=<localhost>',
      'Nov 30 10:10:02 relay1 postfix/smtpd[100]: disconnect from unknown[203.0.113.9] ehlo=1 mail=1 rcpt=0/2 quit=1 commands=3/5',
      'Nov 30 10:20:02 relay1 postfix/smtp[201]: 4A1: to=<u@dest.test>, relay=mx1.dest.test[192.0.2.1]:25, delay=900, delays=0.1/0/1/1, dsn=2.0.0, status=sent (250 2.0.0 Ok)',
      'Nov 30 10:20:03 relay1 postfix/smtp[201]: 4A1: to=<v@dest.test>, relay=mx1.dest.test[192.0.2.1]:25, delay=900, delays=0.1/0/1/1, dsn=4.7.1, status=deferred (host mx1.dest.test[192.0.2.1] said: 451 4.7.1 Greylisting in action (in reply to RCPT TO command))',
      'Nov 30 10:30:03 relay1 postfix/smtp[201]: 4A1: to=<v@dest.test>, relay=mx1.dest.test[192.0.2.1]:25, delay=900, delays=0.1/0/1/1, dsn=2.0.0, status=sent (250 2.0.0 Ok)',
      'Nov 30 10:30:04 relay1 postfix/qmgr[300]: 4A1: removed',
    ];
    const text = `${lines.join('\n')}\n${after.join('\n')}\n`;
    const p = write('cross.log', text);
    const share = (lines.join('\n').length + 1) / text.length - 0.001; // the cut falls right after `lines`
    const plan = planSplit(p, 'auto', MTIME, null, 0, share);
    expect(plan?.boundary).toBe(lines.join('\n').length + 1);
    const r = await both(p, share);
    expect(r.fallbacks).toEqual([]);
    expect(r.par).toEqual(r.seq);
    expect(r.seq.summary.totals).toMatchObject({ deferred: 1, deferrals: 3, delivered: 2, deliveredAfterDeferral: 2 });
    expect(r.seq.summary.inbound.heloObserved).toBe(1);
  });

  it('no split outside [minBytes, maxBytes], for gzip, or another --log-format', () => {
    const p = write('plan.log', generated);
    const size = generated.length;
    expect(planSplit(p, 'auto', MTIME, null, 0, 0.5, size)).not.toBeNull();
    expect(planSplit(p, 'auto', MTIME, null, 0, 0.5, size - 1)).toBeNull();
    expect(planSplit(p, 'auto', MTIME, null, size + 1)).toBeNull();
    expect(planSplit(p, 'exim', MTIME, null, 0)).toBeNull();
    const gz = join(dir, 'plan.log.gz');
    writeFileSync(gz, gzipSync(generated));
    expect(planSplit(gz, 'auto', MTIME, null, 0)).toBeNull();
  });

  it('a queue id still open at the cut and born again after it is not merged (Bloom check): counted on one thread, same result', async () => {
    const text = [
      'Nov 30 10:00:02 relay1 postfix/smtp[200]: 4B2: to=<u@dest.test>, relay=mx1.dest.test[192.0.2.1]:25, delay=5, delays=0.1/0/5/0, dsn=4.7.1, status=deferred (host mx1.dest.test[192.0.2.1] said: 451 4.7.1 Greylisting in action (in reply to RCPT TO command))',
      'Nov 30 10:00:03 relay1 postfix/smtpd[101]: 4B2: client=app.our.test[10.0.0.1]',
      'Nov 30 10:00:04 relay1 postfix/smtp[200]: 4B2: to=<u@dest.test>, relay=mx1.dest.test[192.0.2.1]:25, delay=900, delays=0.1/0/1/1, dsn=2.0.0, status=sent (250 2.0.0 Ok)',
      '',
    ].join('\n');
    const p = write('reuse.log', text);
    const r = await both(p, 0.4);
    expect(r.fallbacks).toEqual(['a queue id open here may be reused in the range']);
    expect(r.par).toEqual(r.seq);
    expect(r.seq.summary.totals.deliveredAfterDeferral).toBe(1);
  });

  it('a year wrap before the cut, an unknown-format and a JSON line after it, CRLF and a capped line: the same run', async () => {
    const lines = (generated.split('\n').slice(0, 4000) as string[]).map((l, i) => (i < 2000 ? l.replace(/^Nov  1/, 'Dec 31') : l.replace(/^Nov  1/, 'Jan  1')));
    lines.splice(3000, 0, 'garbage line \u0007 with controls', '{"MESSAGE":"x\\ud800y","SYSLOG_IDENTIFIER":"postfix/smtp","_HOSTNAME":"h"}', `Jan  1 00:00:00 relay1 postfix/smtpd[1]: ${'x'.repeat(70_000)}`);
    lines.splice(1000, 0, 'Dec 31 23:00:00 relay1 postfix/qmgr[2]: ABC: removed\r');
    const p = write('wrap.log', `${lines.join('\n')}\n`);
    for (const share of [0.1, 0.3, 0.6, 0.9]) {
      const r = await both(p, share);
      expect(r.par).toEqual(r.seq);
    }
    // The cut after the wrap: the year guess (no wrap in the first range) is refused.
    const r = await both(p, 0.9);
    expect(r.fallbacks[0]).toMatch(/year state/);
  });

  it('a rotated set with a fixture, a .gz and the generated log: the same run, and the fixtures alone are not split', async () => {
    const gen = write('mail.log', generated);
    const sources = ['postfix-classic.txt', 'exim-mainlog.txt', 'rspamd.txt', 'journal.json'].map((f) => fileSource(join(FIX, f), '/'));
    const seq = await analyseLogs([...sources, fileSource(gen, '/')], OPTS);
    const fallbacks: string[] = [];
    const par = await analyseLogs([...sources, fileSource(gen, '/')], OPTS, { run: inProcess, minBytes: 100_000, share: 0.37, onFallback: (_f, w) => fallbacks.push(w) });
    expect(par).toEqual(seq);
    expect(fallbacks).toEqual([]);
    expect(readFileSync(gen).length).toBeGreaterThan(100_000);
  });
});
