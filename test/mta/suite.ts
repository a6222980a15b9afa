/**
 * Shared vitest wiring for the real-MTA suite: one lab per test file (beforeAll/afterAll), a
 * skip-with-reason where the lab cannot run, and a hard failure instead of a skip in CI.
 */
import { afterAll, beforeAll } from 'vitest';
import { labUnavailableReason, startLab, type Lab } from './lab.js';

export const IN_CI = process.env.CI === 'true';
export const LAB_REASON = labUnavailableReason();
/** Skip only outside CI: in CI a missing prerequisite must fail the run (startLab throws the reason). */
export const SKIP_LAB = LAB_REASON !== null && !IN_CI;

/** Register setup/teardown for this file's lab; read `.lab` inside tests. */
export function useLab(suiteName: string): { readonly lab: Lab } {
  if (SKIP_LAB) {
    console.warn(`[mta] ${suiteName}: SKIPPED, real-MTA lab unavailable: ${LAB_REASON}`);
  }
  let lab: Lab | undefined;
  let t0 = 0;
  beforeAll(async () => {
    if (SKIP_LAB) return;
    t0 = performance.now();
    lab = await startLab();
    console.log(`[mta] ${suiteName}: lab ${lab.ns} up in ${((performance.now() - t0) / 1000).toFixed(1)}s`);
  });
  afterAll(async () => {
    if (!lab) return;
    await lab.stop();
    console.log(`[mta] ${suiteName}: ran in ${((performance.now() - t0) / 1000).toFixed(1)}s (setup + tests + teardown)`);
  });
  return {
    get lab(): Lab {
      if (!lab) throw new Error('lab not started (beforeAll failed?)');
      return lab;
    },
  };
}
