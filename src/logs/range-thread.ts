/**
 * The RangeRunner of the CLI: one worker_threads worker per range (range-worker.ts).
 */
import { Worker } from 'node:worker_threads';
import type { RangeJob, RangeResult, RangeRunner } from './range.js';

/**
 * The worker's young generation is capped at 8 MB: two isolates with V8's default (up to 16 MB
 * semi-spaces each) took the 1M-line bench to ~137 MB peak RSS, near the 150 MB goal; with the cap
 * ~122 MB at the same CPU time (measured, bench/logs.mjs).
 */
export const threadRange: RangeRunner = (job: RangeJob) => {
  const worker = new Worker(new URL('./range-worker.js', import.meta.url), { workerData: job, resourceLimits: { maxYoungGenerationSizeMb: 8 } });
  let settled = false;
  const result = new Promise<RangeResult>((resolve) => {
    const done = (r: RangeResult): void => {
      if (settled) return;
      settled = true;
      resolve(r);
      void worker.terminate();
    };
    worker.once('message', (m: RangeResult) => done(m));
    worker.once('error', (e) => done({ ok: false, reason: e.message }));
    worker.once('exit', (code) => done({ ok: false, reason: `worker exited (${code})` }));
  });
  return {
    result,
    cancel(): void {
      if (!settled) void worker.terminate();
    },
  };
};
