/** Running the built CLI (bin/mxprobe.js -> dist/) inside the lab namespace. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunResult } from '../../src/results.js';
import type { ExecResult, Lab } from './lab.js';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** MXPROBE_MTA_BIN points the suite at another entry script (for debugging a partial build). */
export const BIN = process.env['MXPROBE_MTA_BIN'] ?? join(REPO, 'bin', 'mxprobe.js');

export interface CliRun extends ExecResult {
  args: readonly string[];
}

export async function mxprobe(lab: Lab, args: readonly string[], timeoutMs = 120_000): Promise<CliRun> {
  if (!process.env['MXPROBE_MTA_BIN'] && !existsSync(join(REPO, 'dist', 'cli', 'main.js'))) {
    throw new Error('dist/cli/main.js is missing: build first (`npm test` runs `npm run build`)');
  }
  const r = await lab.exec(process.execPath, [BIN, ...args], { cwd: REPO, timeoutMs });
  return { ...r, args };
}

/** Parse the JSON results document, failing with everything the CLI said when it is not JSON. */
export function runResult(run: CliRun): RunResult {
  try {
    return JSON.parse(run.stdout) as RunResult;
  } catch (e) {
    throw new Error(`mxprobe ${run.args.join(' ')} gave no JSON (exit ${run.code}): ${String(e)}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
  }
}

export function describeRun(run: CliRun): string {
  return `mxprobe ${run.args.join(' ')} -> exit ${run.code}\nstderr:\n${run.stderr.slice(0, 4000)}`;
}
