/**
 * The fleet half of `mxprobe probe --queue …`: kept out of probe.ts so the local path does not
 * load BullMQ. Opens the run (Redis checked, live vantages known, their self-lint recorded in
 * the run's options), then feeds the ordinary sink from the coordinator.
 */
import type { CliContext } from './context.js';
import type { ProbeFlags } from './probe.js';
import type { RunResult, TargetResult } from '../results.js';
import type { RunOptions, RunSink } from '../probe/run.js';
import type { Target } from '../targets/parse.js';
import { resolve as resolvePath } from 'node:path';
import { UsageError } from '../errors.js';
import { stripControl } from '../report/sanitize.js';
import { redactRedisUrl } from '../fleet/url.js';

export interface FleetRun {
  vantageCount: number;
  /** Runs the coordinator into the sink; resolves true when something is missing (exit 1). */
  run(targets: AsyncIterable<Target>, options: RunOptions, sink: RunSink): Promise<boolean>;
}

/**
 * `--ca-file` with `--queue`: the workers probe, and a fleet run checks no transport security (no
 * MTA-STS, whose policy fetch the file's anchors serve), so the file is not used; it went without
 * a word, even a missing one. It is read and checked as a local run checks it (transport-options.ts
 * loadTransportCa: the same usage errors, before -o is opened), then said to be unused, on stderr
 * even with -q, as a local run says it.
 */
async function checkUnusedCaFile(caFile: string, ctx: CliContext): Promise<void> {
  if (caFile.trim() === '') throw new UsageError('--ca-file: empty path');
  const [{ readSmallTextFile }, { parseCaBundle }] = await Promise.all([import('../io/small-file.js'), import('../transport/pkix.js')]);
  const pem = readSmallTextFile(resolvePath(ctx.cwd, caFile), '--ca-file');
  let n: number;
  try {
    n = parseCaBundle(pem).length;
  } catch (err) {
    throw new UsageError(`--ca-file: ${caFile}: not a PEM certificate bundle: ${(err as Error).message}`);
  }
  if (n === 0) throw new UsageError(`--ca-file: ${caFile} holds no PEM certificate`);
  ctx.stderr.write(`mxprobe: warning: --ca-file ${stripControl(caFile)} is not used: a fleet run (--queue) judges no transport security (no MTA-STS, whose policy fetch its anchors serve); the workers probe with their own trust\n`);
}

export async function openFleetRun(flags: ProbeFlags, ctx: CliContext, recorded: Record<string, unknown>): Promise<FleetRun> {
  if (flags.resume !== undefined) throw new UsageError('--resume and --queue exclude each other (a fleet run re-uses finished jobs with the same --run-id instead)');
  if (flags.source?.length) throw new UsageError('--source with --queue: each worker probes from its own --source (mxprobe worker --source …)');
  if (flags.caFile !== undefined) await checkUnusedCaFile(flags.caFile, ctx);
  const { redisSpec } = await import('../fleet/redis.js');
  const { prepareFleet } = await import('../fleet/prepare.js');
  const { recordVantages } = await import('../fleet/facts.js');
  const vantages = flags.vantages === undefined || flags.vantages.trim() === 'all' ? ('all' as const) : flags.vantages.split(',').map((v) => v.trim()).filter(Boolean);
  if (vantages !== 'all' && vantages.length === 0) throw new UsageError('--vantages: give names or "all"');
  const log = (line: string) => {
    if (!flags.quiet) ctx.stderr.write(`mxprobe: fleet: ${stripControl(line)}\n`);
  };
  const cfg = {
    redis: redisSpec(flags.queue ?? '', flags.queueCa),
    vantages,
    waitMs: flags.wait === undefined ? null : flags.wait * 1000,
    alignment: flags.alignment,
    signal: ctx.signal,
    log,
    ...(flags.runId !== undefined ? { runId: flags.runId } : {}),
  };
  const prepared = await prepareFleet(cfg);
  // Each vantage probes with its own HELO and source: the coordinator's are not used.
  delete recorded['helo'];
  delete recorded['sources'];
  recorded['fleet'] = {
    queue: redactRedisUrl(cfg.redis.url),
    runId: prepared.runId,
    asked: prepared.asked,
    deadVantages: prepared.deadVantages,
    vantages: recordVantages(prepared.heartbeats),
  };
  if (prepared.deadVantages.length > 0) log(`no live worker for: ${prepared.deadVantages.join(', ')} (reported missing, not waited for)`);
  if (!flags.quiet) log(`run ${prepared.runId}: vantages ${prepared.vantages.join(', ') || '(none alive)'}`);
  return {
    vantageCount: prepared.asked.length,
    async run(targets, options, sink) {
      const { runFleet } = await import('../fleet/coordinator.js');
      const outcome = await runFleet(targets, options, cfg, sink, prepared);
      if (outcome.missing.length > 0) {
        const shown = outcome.missing.slice(0, 20).map((m) => `  ${m.vantage} ${m.target}: ${m.reason}`);
        ctx.stderr.write(`mxprobe: fleet: ${outcome.missing.length} (target, vantage) result(s) missing:\n${stripControl(shown.join('\n'), { keepNewlines: true })}${outcome.missing.length > 20 ? `\n  … and ${outcome.missing.length - 20} more` : ''}\n`);
      }
      return outcome.missing.length > 0;
    },
  };
}

/**
 * The relay-consistency report appended to the table of a run with more than one vantage, fed
 * target by target as results arrive (the run's targets are not kept for it).
 */
export async function startFleetConsistency(options: RunResult['options']): Promise<{ add(t: TargetResult): void; render(): string }> {
  const { ConsistencyBuilder, renderConsistency } = await import('../fleet/consistency.js');
  const { vantageFactsFromOptions } = await import('../fleet/facts.js');
  const b = new ConsistencyBuilder();
  for (const f of vantageFactsFromOptions(options)) b.addVantage(f);
  return { add: (t) => b.addTarget(t), render: () => renderConsistency(b.build()) };
}
