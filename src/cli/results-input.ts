/**
 * Reading a saved results file for a subcommand (report, fleet report): a malformed or unreadable
 * file is the user's input error (one line, exit 2), never a stack trace; warnings go to stderr.
 */
import { stripControl } from '../report/sanitize.js';
import { resolve } from 'node:path';
import type { CliContext } from './context.js';
import { loadResultsDetailed, ResultsInputError } from '../report/load.js';

export type LoadedResults = Awaited<ReturnType<typeof loadResultsDetailed>>;

/** The loaded results, or null after reporting the input error (exit code 2 set). */
export async function loadResultsForCli(ctx: CliContext, file: string): Promise<LoadedResults | null> {
  let loaded: LoadedResults;
  try {
    loaded = await loadResultsDetailed(resolve(ctx.cwd, file));
  } catch (e) {
    if (e instanceof ResultsInputError) {
      ctx.stderr.write(`mxprobe: ${stripControl(e.message, { keepNewlines: true })}\n`);
      ctx.setExitCode(2);
      return null;
    }
    throw e;
  }
  for (const w of loaded.warnings) ctx.stderr.write(`mxprobe: warning: ${w}\n`);
  return loaded;
}
