/**
 * The command-line entry point: the only module that touches `process` (exit code, signals,
 * standard streams). Subcommands receive a CliContext and never call process.exit.
 */
import { Command, CommanderError } from 'commander';
import type { CliContext } from './context.js';
import { MxprobeError } from '../errors.js';
import { VERSION } from '../version.js';
import { registerProbe } from './probe.js';
import { registerDemo } from './demo.js';
import { registerLint } from './lint.js';
import { registerClassify } from './classify.js';
import { registerReport } from './report.js';
import { registerDeliver } from './deliver.js';
import { registerInspect } from './inspect.js';

export function buildProgram(ctx: CliContext): Command {
  const program = new Command();
  program
    .name('mxprobe')
    .description('Active SMTP prober: what mail exchangers say, and how they treat your HELO identity')
    .version(VERSION)
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void ctx.stdout.write(s),
      writeErr: (s) => void ctx.stderr.write(s),
    });
  registerProbe(program, ctx);
  registerDemo(program, ctx);
  registerLint(program, ctx);
  registerClassify(program, ctx);
  registerReport(program, ctx);
  registerDeliver(program, ctx);
  registerInspect(program, ctx);
  for (const sub of program.commands) sub.exitOverride();
  return program;
}

/** Run the CLI against a context; resolves with the exit code. */
export async function runCli(argv: string[], ctx: CliContext & { exitCode(): number }): Promise<number> {
  const program = buildProgram(ctx);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ctx.exitCode();
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end "with an error" of exit code 0.
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof MxprobeError && (err.code === 'E_USAGE' || err.code === 'E_TARGET_INPUT' || err.code === 'E_COMMAND_UNSAFE' || err.code === 'E_INVALID_IP')) {
      ctx.stderr.write(`mxprobe: ${err.message}\n`);
      return 2;
    }
    ctx.stderr.write(`mxprobe: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}

export async function main(): Promise<void> {
  const controller = new AbortController();
  let code = 0;
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      process.stderr.write(`\nmxprobe: ${sig}: finishing open sessions and writing results…\n`);
      controller.abort();
    } else {
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A closed stdout pipe (mxprobe … | head) is not an error worth a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  });
  const ctx = {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    stderrIsTty: process.stderr.isTTY === true,
    env: process.env,
    cwd: process.cwd(),
    setExitCode: (c: number) => {
      code = c;
    },
    exitCode: () => code,
    signal: controller.signal,
  };
  const exit = await runCli(process.argv.slice(2), ctx);
  process.exitCode = exit;
  // Let stdout drain; do not keep the process alive for stray timers.
  if (process.stdout.writableNeedDrain) await new Promise((r) => process.stdout.once('drain', r));
  process.exit(exit);
}
