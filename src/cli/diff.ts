/**
 * `mxprobe diff [A] [B]`: what changed between two runs. A and B are run ids in the store or
 * results files (.json/.ndjson); with neither, the last two runs in the store that cover the same
 * targets. `--fail-on-change` exits 3 on the listed changes; a probe that failed in the newer run
 * makes the diff inconclusive (exit 1) unless a rule already fired.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import type { CliContext } from './context.js';
import { UsageError } from '../errors.js';
import { changeRenderer, CHANGE_FORMATS, type ChangeFormat } from '../report/changes.js';
import { matchRules, parseChangeRules, ruleName, type ChangeRule } from '../store/diff.js';
import { diffSides, fileSide, storeSide, type DiffCounts, type DiffSide } from '../store/diff-stream.js';
import type { RunRow, Store } from '../store/types.js';
import { choice, intOption } from './options.js';
import { writerLiveness } from '../store/run-writer.js';
import { stripControl } from '../report/sanitize.js';
import { openSink, openStoreFor, storeCommand } from './store-common.js';

interface DiffFlags {
  store?: string;
  format: ChangeFormat;
  failOnChange?: string;
  expiryDays: number;
  output?: string;
}

/** The run to compare B with: the newest earlier finished run with the same target set. */
export function pickPair(runs: readonly RunRow[]): { a: RunRow; b: RunRow } | { reason: string } {
  const done = runs.filter(comparable);
  const b = done[0];
  if (!b) return { reason: 'the store has no finished run' };
  const a = done.slice(1).find((r) => r.targetsDigest !== null && r.targetsDigest === b.targetsDigest);
  if (!a) return { reason: `no earlier run covers the same ${b.targetCount} target(s) as run ${b.id} (${b.startedAt}); nothing to compare yet` };
  return { a, b };
}

/**
 * Whether a run can be one side of the default pair: finished, and its rows all stored. A run still
 * `running` is being written (or its writer died); a `failed` one lost its store mid-run (a full
 * disk: store-hook-open.ts marks it), so it holds an arbitrary part of what was probed, and
 * compared as if complete every host it lacks would "disappear". Both are left out, with a warning
 * (leftOut); give a run's id to compare with it anyway.
 */
function comparable(r: RunRow): boolean {
  return r.state !== 'running' && r.state !== 'failed';
}

/** Why a run is not comparable (see comparable()), for the warning. */
export function unfinishedWhy(r: RunRow): string {
  if (r.state === 'failed') return 'its store failed mid-run, it holds part of its results';
  // Migration 10: a writer on this host that is gone will never finish the run.
  if (writerLiveness(r) === 'gone') return `not finished: its writer (pid ${r.writerPid} on ${stripControl(r.writerHost ?? '')}) is gone`;
  return 'not finished (still running, or its writer died)';
}

function leftOut(runs: readonly RunRow[], warn: (s: string) => void, tail = ''): void {
  if (runs.length === 0) return;
  const failed = runs.filter((r) => r.state === 'failed');
  const running = runs.filter((r) => r.state !== 'failed');
  const parts: string[] = [];
  if (running.length > 0) parts.push(`run ${running.map((r) => r.id).join(', ')}: ${unfinishedWhy(running[0]!)}`);
  if (failed.length > 0) parts.push(`run ${failed.map((r) => r.id).join(', ')}: ${unfinishedWhy(failed[0]!)}`);
  warn(`left out ${parts.join('; ')}${tail}`);
}

/**
 * A stored run that ended early holds only part of its targets' results: said, as `diff` of the
 * same run's results file says it ("the run was interrupted before all targets finished"). The
 * stored side said nothing, so a cron diff against a run cut short by SIGINT read like any other.
 */
function noteState(run: RunRow, warn: (s: string) => void): void {
  if (run.state === 'interrupted') warn(`run ${run.id} was interrupted before all targets finished: its results are partial`);
  else if (run.state === 'failed') warn(`run ${run.id} failed before it finished (its store failed mid-run): its results are partial`);
}

async function sideOf(arg: string, store: () => Promise<Store>, warn: (s: string) => void): Promise<DiffSide> {
  if (/^\d+$/.test(arg)) {
    const s = await store();
    const run = await s.getRun(Number(arg));
    if (!run) throw new UsageError(`diff: no run ${arg} in the store (mxprobe store runs lists them)`);
    if (run.state === 'running') warn(`run ${run.id} has ${unfinishedWhy(run)}`);
    noteState(run, warn);
    return storeSide(s, run);
  }
  const { side, warnings } = await fileSide(arg);
  warnings.forEach(warn);
  return side;
}

export function registerDiff(program: Command, ctx: CliContext): void {
  program
    .command('diff')
    .description('what changed between two runs (run ids or results files; default: the last two stored runs of the same targets)')
    .argument('[a]', 'the earlier run: a run id in the store or a results file')
    .argument('[b]', 'the later run (default: the newest finished run in the store)')
    .option('--store <url>', 'the store: sqlite:PATH, PATH.db or postgres://… (default $MXPROBE_STORE)')
    .addOption(new Option('--format <format>', `output format: ${CHANGE_FORMATS.join('|')}`).argParser(choice('--format', CHANGE_FORMATS)).default('table'))
    .option('--fail-on-change <rules>', 'exit 3 on: starttls-lost, tls-downgrade, cert-changed, verdict-worse[:kind], mx-changed, new-refusal, dane-broken, mta-sts-worse')
    .option('--expiry-days <n>', 'report certificates expiring within this many days', intOption('--expiry-days', 0, 3650), 14)
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action(async (a: string | undefined, b: string | undefined, flags: DiffFlags) => {
      // `--fail-on-change "$RULES"` with RULES empty must not quietly turn the alert off: an empty
      // value is "no rule given" (exit 2), as "," already was.
      const rules: ChangeRule[] = flags.failOnChange !== undefined ? parseChangeRules(flags.failOnChange) : [];
      let store: Store | null = null;
      const getStore = async () => (store ??= await openStoreFor(flags.store, ctx, true));
      const warn = (s: string) => void ctx.stderr.write(`mxprobe: warning: ${s}\n`);
      await storeCommand(ctx, async () => {
        try {
          let sa: DiffSide;
          let sb: DiffSide;
          if (a !== undefined && b !== undefined) {
            // `diff 5 5` compares a run with itself: "no changes", exit 0, whatever the run holds.
            if (a === b || (/^\d+$/.test(a) && /^\d+$/.test(b) && Number(a) === Number(b))) warn(`A and B are the same run (${a}): nothing can differ`);
            sa = await sideOf(a, getStore, warn);
            sb = await sideOf(b, getStore, warn);
          } else if (a !== undefined) {
            sa = await sideOf(a, getStore, warn);
            // The newest FINISHED run, as with no argument: a run still being written (or whose
            // writer was killed) has only some of its hosts, and compared as if complete every
            // other host "disappeared", exit 0. Give its id to compare with it anyway (warned).
            const runs = await (await getStore()).listRuns(1000);
            const newest = runs.find(comparable);
            if (!newest) throw new UsageError(runs.length > 0 ? 'diff: the store has no finished run to compare with' : 'diff: the store has no run to compare with');
            leftOut(runs.slice(0, runs.indexOf(newest)), warn, `; comparing with run ${newest.id}, the newest finished run`);
            noteState(newest, warn);
            sb = storeSide(await getStore(), newest);
          } else {
            const runs = await (await getStore()).listRuns(1000);
            const firstDone = runs.findIndex(comparable);
            leftOut(runs.slice(0, firstDone === -1 ? runs.length : firstDone), warn);
            const pair = pickPair(runs);
            if ('reason' in pair) {
              ctx.stderr.write(`mxprobe: diff: ${pair.reason}\n`);
              ctx.setExitCode(1);
              return;
            }
            noteState(pair.a, warn);
            noteState(pair.b, warn);
            sa = storeSide(await getStore(), pair.a);
            sb = storeSide(await getStore(), pair.b);
          }
          await runDiff(ctx, sa, sb, flags, rules);
        } finally {
          await (store as Store | null)?.close().catch(() => {});
        }
      });
    });
}

/** A side's start time, for the expiry window; now when a file's startedAt is missing or unreadable. */
function timeOf(startedAt: string): Date {
  const t = Date.parse(startedAt);
  return Number.isNaN(t) ? new Date() : new Date(t);
}

async function runDiff(ctx: CliContext, a: DiffSide, b: DiffSide, flags: DiffFlags, rules: ChangeRule[]): Promise<void> {
  const out = openSink(ctx, flags.output);
  const r = changeRenderer(flags.format);
  const counts: DiffCounts = { targetsCompared: 0, hostsCompared: 0 };
  let changes = 0;
  // A certificate already inside the expiry window in A and still in B: shown, not a change.
  let reminders = 0;
  let violations = 0;
  let inconclusive = 0;
  // DANE / MTA-STS / TLS-RPT lookups that failed in the newer run: inconclusive too (exit 1).
  let lookups = 0;
  const fired = new Set<string>();
  try {
    out.write(r.header({ title: `mxprobe diff: ${a.label} → ${b.label}`, info: { a: a.label, aStartedAt: a.startedAt, b: b.label, bStartedAt: b.startedAt } }));
    // Each side's certificates are judged against the window at the time that side was observed:
    // B's at B's start, A's at A's start. A certificate that was inside it in A and still is in B
    // did not change (qa11: two identical runs said "1 change(s)" for an expiring certificate).
    for await (const row of diffSides(a, b, { now: timeOf(b.startedAt), before: timeOf(a.startedAt), expiryDays: flags.expiryDays }, counts)) {
      if (row.change.kind === 'cert-expiry-reminder') {
        reminders++;
        out.write(r.row({ ...row, violates: [] }));
        continue;
      }
      const hit = matchRules(row.change, rules).map(ruleName);
      changes++;
      if (hit.length > 0) {
        violations++;
        hit.forEach((h) => fired.add(h));
      }
      if (row.change.kind === 'probe-failed') inconclusive++;
      if (row.change.kind === 'transport-inconclusive') lookups++;
      out.write(r.row({ ...row, violates: hit }));
    }
    const verdict =
      violations > 0
        ? `${violations} change(s) violate --fail-on-change (${[...fired].join(', ')})`
        : inconclusive + lookups > 0
          ? `${[inconclusive > 0 ? `${inconclusive} probe(s)` : '', lookups > 0 ? `${lookups} DANE/MTA-STS/TLS-RPT lookup(s)` : ''].filter(Boolean).join(' and ')} failed in ${b.label}: inconclusive for those cells`
          : changes === 0
            ? 'no changes'
            : 'no rule violated';
    const remind = reminders > 0 ? ` (and ${reminders} reminder(s) of a certificate already expiring in ${a.label}, not counted)` : '';
    out.write(r.footer({ changes, reminders, places: counts.hostsCompared, violations, inconclusive: inconclusive + lookups, note: `${changes} change(s)${remind}; compared ${counts.targetsCompared} target(s), ${counts.hostsCompared} host(s); ${verdict}` }));
  } finally {
    out.close();
  }
  if (violations > 0) ctx.stderr.write(`mxprobe: diff: ${violations} change(s) violate --fail-on-change: ${[...fired].join(', ')}\n`);
  ctx.setExitCode(violations > 0 ? 3 : inconclusive + lookups > 0 ? 1 : 0);
}
