/**
 * `mxprobe fleet report <results>`: the relay-consistency report over a fleet run's results
 * (json or ndjson): per receiver the verdicts per vantage side by side, the cells where relays
 * are treated differently with the likely cause, acceptance per vantage and identity kind.
 * Exit 0 when the relays are treated alike, 1 when some cell differs or was not judged on some
 * relay (then "alike" is not known), 2 for an unreadable file.
 */
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import type { CliContext } from './context.js';
import { writeReportFile } from './output.js';
import { outputPathProblem } from './output-path.js';
import { loadResultsForCli } from './results-input.js';
import { ConsistencyBuilder, renderConsistency } from '../fleet/consistency.js';
import { vantageFactsFromOptions } from '../fleet/facts.js';

export function registerFleet(program: Command, ctx: CliContext): void {
  const fleet = program.command('fleet').description('multi-vantage (relay fleet) tools');
  fleet
    .command('report')
    .description('relay-consistency report over the results of a fleet run (probe --queue … --vantages …)')
    .argument('<results>', 'results file: .json or .ndjson')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('-o, --output <file>', 'write the report to this file instead of stdout')
    .action(async (file: string, flags: { format: 'table' | 'json'; output?: string }) => {
      if (flags.output !== undefined) {
        // Checked before the results are read, as `logs -o` and `report -o` do: `fleet report
        // run.json -o run.json` replaced the fleet run's only results with its report.
        const problem = flags.output.trim() === '' ? 'needs a file name' : await outputPathProblem(resolve(ctx.cwd, flags.output), [resolve(ctx.cwd, file)], 'the results being read');
        if (problem !== null) {
          ctx.stderr.write(`mxprobe fleet report: cannot write -o ${flags.output}: ${problem}\n`);
          ctx.setExitCode(2);
          return;
        }
      }
      const loaded = await loadResultsForCli(ctx, file);
      if (loaded === null) return;
      const b = new ConsistencyBuilder();
      for (const f of vantageFactsFromOptions(loaded.run.options)) b.addVantage(f);
      for (const t of loaded.run.targets) b.addTarget(t);
      const report = b.build();
      const text = flags.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : renderConsistency(report);
      if (flags.output !== undefined) {
        await writeReportFile(flags.output, resolve(ctx.cwd, flags.output), text);
      } else ctx.stdout.write(text);
      // A cell some relay did not judge is not "treated alike": exit 1 as for a difference (the
      // summary line says which it is).
      ctx.setExitCode(report.vantages.length === 0 ? 1 : report.inconsistencies > 0 || report.notJudgedCells > 0 ? 1 : 0);
    });
}
