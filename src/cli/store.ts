/**
 * `mxprobe store import|prune|runs`: load earlier results files into the store (with the merge
 * rules of `report`: resumed files merged, interrupted files kept and marked, unknown
 * schemaVersion refused), delete old runs, list runs.
 */
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { importResultsFile } from '../store/import.js';
import { stripControl } from '../report/sanitize.js';
import { runStateText } from '../store/run-writer.js';
import { intOption } from './options.js';
import { openStoreFor, parseDuration, storeCommand } from './store-common.js';

/** How long a run still marked 'running' is kept by prune, whatever --keep says. */
const RUNNING_GRACE_MS = 7 * 86_400_000;

export function registerStore(program: Command, ctx: CliContext): void {
  const cmd = program.command('store').description('the results store: import results files, prune old runs, list runs');
  cmd
    .command('import')
    .description('load results files (.json or .ndjson, also resumed or interrupted ones) into the store')
    .argument('<files...>', 'results files written by mxprobe probe')
    .option('--store <url>', 'the store: sqlite:PATH, PATH.db or postgres://… (default $MXPROBE_STORE)')
    .action(async (files: string[], flags: { store?: string }) => {
      await storeCommand(ctx, async () => {
        // Each file is streamed into its own run (store/import.ts): a bad record stops the import
        // there, and that file's partial run is deleted; the files before it stay imported.
        const store = await openStoreFor(flags.store, ctx, false);
        try {
          let interrupted = 0;
          let truncated = 0;
          for (const file of files) {
            const r = await importResultsFile(store, file, { warn: (m) => void ctx.stderr.write(`mxprobe: warning: ${stripControl(m)}\n`) });
            if (r.truncated) truncated++;
            else if (r.interrupted) interrupted++;
            ctx.stdout.write(`${stripControl(file)}: imported as run ${r.runId} (${r.targets} target(s), ${r.hosts} host(s), ${r.probes} probe(s)${r.truncated ? ', truncated file: only its complete records' : r.interrupted ? ', interrupted run' : ''})\n`);
          }
          if (interrupted > 0) ctx.stderr.write(`mxprobe: note: ${interrupted} file(s) were interrupted runs, stored as state "interrupted"\n`);
          if (truncated > 0) {
            // Not everything in the file reached the store: never exit 0 after losing input.
            ctx.stderr.write(`mxprobe: ${truncated} file(s) were cut short; what was complete is stored as state "interrupted", the rest was not imported\n`);
            ctx.setExitCode(1);
          } else ctx.setExitCode(0);
        } finally {
          await store.close().catch(() => {});
        }
      });
    });
  cmd
    .command('prune')
    .description('delete runs older than --keep')
    .requiredOption('--keep <age>', 'keep runs younger than this: 90d, 12h, 2w')
    .option('--store <url>', 'the store (default $MXPROBE_STORE)')
    .action(async (flags: { keep: string; store?: string }) => {
      const ms = parseDuration('--keep', flags.keep);
      await storeCommand(ctx, async () => {
        const store = await openStoreFor(flags.store, ctx, false, true);
        try {
          const now = Date.now();
          const before = new Date(now - ms).toISOString();
          // A run still being written is never pruned under it; one that has said nothing for a
          // week (its process was killed) goes, so --keep 1h next to a long run is safe.
          const runningBefore = new Date(Math.min(now - ms, now - RUNNING_GRACE_MS)).toISOString();
          const { pruned, keptRunning } = await store.prune(before, runningBefore);
          ctx.stdout.write(`pruned ${pruned} run(s) started before ${before}\n`);
          if (keptRunning > 0) ctx.stderr.write(`mxprobe: note: kept ${keptRunning} run(s) still marked running (being written, or killed); they are pruned once they started before ${runningBefore}\n`);
          ctx.setExitCode(0);
        } finally {
          await store.close().catch(() => {});
        }
      });
    });
  cmd
    .command('runs')
    .description('list stored runs, newest first')
    .option('--store <url>', 'the store (default $MXPROBE_STORE)')
    .option('--limit <n>', 'at most this many', intOption('--limit', 1, 1_000_000), 20)
    .option('--json', 'one JSON object per line')
    .action(async (flags: { store?: string; limit: number; json?: boolean }) => {
      await storeCommand(ctx, async () => {
        const store = await openStoreFor(flags.store, ctx, true);
        try {
          const runs = await store.listRuns(flags.limit);
          // Empty is not an error (exit 0), but it is said, on stderr: stdout stays what --json
          // promises, one object per line, here none (a `[]` line would break line readers).
          if (runs.length === 0) ctx.stderr.write(`mxprobe: no runs stored in ${stripControl(store.label)}\n`);
          for (const r of runs) {
            if (flags.json) ctx.stdout.write(`${JSON.stringify(r)}\n`);
            else ctx.stdout.write(`${String(r.id).padStart(6)}  ${r.startedAt}  ${stripControl(runStateText(r)).padEnd(11)}  ${String(r.targetCount).padStart(6)} targets  ${String(r.hostCount).padStart(6)} hosts  ${String(r.probeCount).padStart(7)} probes${r.source ? `  from ${stripControl(r.source)}` : ''}\n`);
          }
          ctx.setExitCode(0);
        } finally {
          await store.close().catch(() => {});
        }
      });
    });
}
