/**
 * The HELO-identity matrix against real Postfix: every (listener, source, identity) cell must carry
 * the verdict that Postfix's actual reply implies, read from Postfix's own log, so the test fails
 * when mxprobe reports anything Postfix did not say.
 * Depends on: probe --stop-after rcpt, --identities all, --source (repeatable), --rcpt,
 * --mismatch-name, --host-gap, --resolver, --helo, --format json, --quiet.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { IdentityKind, ProbeResult, RunResult } from '../../src/results.js';
import { LAB_ADDRESSES as A, LAB_NAMES as N, LAB_SERVICES } from './lab.js';
import { describeRun, mxprobe, runResult, type CliRun } from './mxprobe.js';
import { causesForPostfixReply, outcomeForCode, parseRcptEvents, parseSessionEnds, type RcptEvent } from './postfix-log.js';
import { SKIP_LAB, useLab } from './suite.js';

const KINDS: readonly IdentityKind[] = ['primary', 'literal', 'bare-ip', 'short', 'localhost', 'nxdomain', 'mismatch', 'dynamic'];
const SOURCES = [A.good, A.other, A.noPtr] as const;
const HOSTS = [
  { ip: A.mx, service: LAB_SERVICES.mx },
  { ip: A.strict, service: LAB_SERVICES.strict },
] as const;
const RCPT = 'postmaster@example.test';

interface Cell {
  hostIp: string;
  service: string;
  probe: ProbeResult;
}

describe.skipIf(SKIP_LAB)('mxprobe identity matrix against real Postfix (stop-after rcpt)', () => {
  const ctx = useLab('matrix');
  let run: CliRun;
  let result: RunResult;
  let cells: Cell[] = [];
  let events: RcptEvent[] = [];
  let log = '';

  beforeAll(async () => {
    const mark = ctx.lab.logMark();
    run = await mxprobe(
      ctx.lab,
      [
        'probe', N.domain, N.strictDomain,
        '--resolver', A.dns,
        '--helo', N.good,
        '--stop-after', 'rcpt',
        '--identities', 'all',
        // A name that resolves, but not to any source (other.example.test A 127.0.0.99).
        '--mismatch-name', N.other,
        ...SOURCES.flatMap((s) => ['--source', s]),
        '--rcpt', RCPT,
        // Postfix here has no rate limits; the default 1 s gap would only slow the suite.
        '--host-gap', '0',
        '--format', 'json', '--quiet',
      ],
      240_000,
    );
    result = runResult(run);
    cells = result.targets.flatMap((t) =>
      t.hosts.flatMap((h) => h.probes.map((probe) => ({ hostIp: h.ip, service: HOSTS.find((x) => x.ip === h.ip)?.service ?? '?', probe }))),
    );
    // Every session ends with a disconnect record; wait until Postfix has logged all of them.
    const want = cells.filter((c) => c.probe.status !== 'not-tried').length;
    await ctx.lab.waitForLog(
      (s) => parseSessionEnds(s).filter((e) => e.clientIp !== A.mx && e.clientIp !== A.strict).length >= want,
      mark,
      15_000,
    ).catch(() => undefined);
    log = ctx.lab.logSince(mark);
    events = parseRcptEvents(log);
  }, 300_000);

  it('exits without a usage error and covers every (host, source, identity) cell', () => {
    expect([0, 1, 3], describeRun(run)).toContain(run.code);
    const seen = new Set(cells.map((c) => `${c.hostIp} ${c.probe.identity.source} ${c.probe.identity.kind}`));
    const missing: string[] = [];
    for (const h of HOSTS) for (const s of SOURCES) for (const k of KINDS) if (!seen.has(`${h.ip} ${s} ${k}`)) missing.push(`${h.ip} ${s} ${k}`);
    expect(missing, describeRun(run)).toEqual([]);
  });

  it('every verdict is the one Postfix gave (outcome, stage, code, enhanced, cause, reply text)', () => {
    const problems: string[] = [];
    for (const { hostIp, service, probe } of cells) {
      const id = `${hostIp} src=${probe.identity.source} ${probe.identity.kind}(${probe.identity.name})`;
      const mine = events.filter((e) => e.service === service && e.clientIp === probe.identity.source && e.helo === probe.identity.name);
      const infos = mine.filter((e) => e.kind === 'info');
      const rejects = mine.filter((e) => e.kind === 'reject');
      if (probe.status !== 'success') problems.push(`${id}: status ${probe.status} ${probe.error?.message ?? probe.notTried?.reason ?? ''}`);
      if (infos.length !== 1) {
        problems.push(`${id}: Postfix evaluated RCPT ${infos.length} times for this cell (want exactly 1)`);
        continue;
      }
      const v = probe.verdict;
      if (v.stage !== 'rcpt') problems.push(`${id}: stage ${v.stage}, Postfix decided at RCPT`);
      const reject = rejects[0];
      if (!reject) {
        // No reject record: Postfix accepted the recipient.
        if (v.outcome !== 'accepted') problems.push(`${id}: outcome ${v.outcome}, Postfix accepted`);
        if (probe.rcpt?.code !== 250) problems.push(`${id}: rcpt reply ${probe.rcpt?.code}, Postfix accepted (250)`);
        if (v.cause !== 'none') problems.push(`${id}: cause ${v.cause} on an accepted cell`);
        continue;
      }
      if (reject.code === null || reject.reply === null) {
        problems.push(`${id}: unparsable Postfix record ${reject.line}`);
        continue;
      }
      const outcome = outcomeForCode(reject.code);
      if (v.outcome !== outcome) problems.push(`${id}: outcome ${v.outcome}, Postfix said ${reject.reply} (${outcome})`);
      if (v.code !== reject.code) problems.push(`${id}: code ${v.code}, Postfix said ${reject.code}`);
      if (v.enhanced !== reject.enhanced) problems.push(`${id}: enhanced ${v.enhanced}, Postfix said ${reject.enhanced}`);
      if (probe.rcpt?.lines.join('\n') !== reject.reply) problems.push(`${id}: rcpt reply ${JSON.stringify(probe.rcpt?.lines)}, Postfix logged ${JSON.stringify(reject.reply)}`);
      const causes = causesForPostfixReply(reject.reply);
      if (causes === null) problems.push(`${id}: extend causesForPostfixReply() for ${JSON.stringify(reject.reply)}`);
      else if (!causes.includes(v.cause)) problems.push(`${id}: cause ${v.cause}, Postfix's text implies ${causes.join(' or ')}: ${reject.reply}`);
    }
    expect(problems, `${describeRun(run)}\nPostfix log:\n${log}`).toEqual([]);
  });

  it('matches the restrictions as configured (a check on the lab as much as on mxprobe)', () => {
    const cell = (hostIp: string, source: string, kind: IdentityKind): ProbeResult | undefined =>
      cells.find((c) => c.hostIp === hostIp && c.probe.identity.source === source && c.probe.identity.kind === kind)?.probe;
    for (const src of SOURCES) {
      // .25: helo restrictions only.
      expect(cell(A.mx, src, 'primary')?.verdict, `primary from ${src}`).toMatchObject({ outcome: 'accepted', stage: 'rcpt' });
      expect(cell(A.mx, src, 'localhost')?.verdict, `localhost from ${src}`).toMatchObject({
        outcome: 'rejected', stage: 'rcpt', code: 504, enhanced: '5.5.2', cause: 'helo-not-fqdn',
      });
      expect(cell(A.mx, src, 'nxdomain')?.verdict, `nxdomain from ${src}`).toMatchObject({
        outcome: 'deferred', stage: 'rcpt', code: 450, enhanced: '4.7.1', cause: 'helo-not-resolving',
      });
    }
    // .26 also applies reject_unknown_client_hostname: the good source passes, the others do not.
    expect(cell(A.strict, A.good, 'primary')?.verdict).toMatchObject({ outcome: 'accepted', stage: 'rcpt' });
    // Postfix says "cannot find your hostname" for both; mxprobe's own PTR lookup tells them apart.
    for (const [src, cause] of [[A.other, 'fcrdns-fail'], [A.noPtr, 'no-ptr']] as const) {
      const v = cell(A.strict, src, 'primary')?.verdict;
      expect(v, `strict primary from ${src}`).toMatchObject({ outcome: 'deferred', stage: 'rcpt', code: 450, cause });
    }
  });

  it('never sends DATA (transcripts and Postfix counters)', () => {
    for (const { probe } of cells) {
      const data = probe.transcript.filter((l) => l.dir === 'C' && /^(DATA|BDAT)\b/i.test(l.line));
      expect(data, `${probe.identity.kind} from ${probe.identity.source}`).toEqual([]);
    }
    const ends = parseSessionEnds(log);
    expect(ends.length).toBeGreaterThan(0);
    for (const end of ends) {
      expect(end.counters, end.line).not.toHaveProperty('data');
      expect(end.counters, end.line).not.toHaveProperty('bdat');
    }
  });
});
