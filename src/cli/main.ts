/**
 * The command-line entry point: the only module that touches `process` (exit code, signals,
 * standard streams). Subcommands receive a CliContext and never call process.exit.
 */
// commander is imported when a program is built, not at start-up: `mxprobe --version` never needs it.
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { MxprobeError } from '../errors.js';
import { VERSION } from '../version.js';
import { describeErrno, EXIT_OUTPUT_LOST, EXIT_PIPE_CLOSED, OutputError } from './output.js';

type Register = (program: Command, ctx: CliContext) => void;

/**
 * Every subcommand, loaded only when it runs: `mxprobe classify` must not pay for nodemailer,
 * mailauth, the HTML renderer or the lab (start-up time is what shell loops pay per call).
 * A new subcommand is one line here and one module exporting its register function.
 */
const SUBCOMMANDS: Record<string, () => Promise<Register>> = {
  probe: async () => (await import('./probe.js')).registerProbe,
  demo: async () => (await import('./demo.js')).registerDemo,
  lint: async () => (await import('./lint.js')).registerLint,
  classify: async () => (await import('./classify.js')).registerClassify,
  report: async () => (await import('./report.js')).registerReport,
  deliver: async () => (await import('./deliver.js')).registerDeliver,
  inspect: async () => (await import('./inspect.js')).registerInspect,
  logs: async () => (await import('./logs.js')).registerLogs,
  store: async () => (await import('./store.js')).registerStore,
  history: async () => (await import('./history.js')).registerHistory,
  diff: async () => (await import('./diff.js')).registerDiff,
  worker: async () => (await import('./worker.js')).registerWorker,
  fleet: async () => (await import('./fleet.js')).registerFleet,
};

/**
 * The subcommand named on the command line, if it is one we know: the first argument that is
 * not an option. Global options take no values, so the first bare word is the subcommand.
 */
function subcommandOf(argv: readonly string[]): string | undefined {
  for (const a of argv) {
    if (a === '--') return undefined;
    if (a.startsWith('-')) continue;
    return Object.hasOwn(SUBCOMMANDS, a) ? a : undefined;
  }
  return undefined;
}

/**
 * The program with the subcommands `argv` needs: only the one it names, or all of them for
 * help, an unknown command or none (so `mxprobe --help` still lists everything).
 */
export async function buildProgram(ctx: CliContext, argv?: readonly string[]): Promise<Command> {
  const { Command } = await import('commander');
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
  const only = argv === undefined ? undefined : subcommandOf(argv);
  const wanted = only !== undefined ? [only] : isVersionOnly(argv) ? [] : Object.keys(SUBCOMMANDS);
  const registers = await Promise.all(wanted.map((name) => SUBCOMMANDS[name]!()));
  for (const register of registers) register(program, ctx);
  for (const sub of program.commands) sub.exitOverride();
  return program;
}

/** `mxprobe --version` / `-V` alone needs no subcommand at all. */
function isVersionOnly(argv: readonly string[] | undefined): boolean {
  return argv !== undefined && argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V');
}

/**
 * Run the CLI against a context; resolves with the exit code. `commanderOnly` turns the classify fast
 * path off (tests compare both readings of the same command line).
 */
export async function runCli(argv: string[], ctx: CliContext & { exitCode(): number }, how: { commanderOnly?: boolean } = {}): Promise<number> {
  // Start-up fast path (issue 13): the version alone loads no parser and no subcommand.
  if (isVersionOnly(argv)) {
    ctx.stdout.write(`${VERSION}\n`);
    return 0;
  }
  let usedCommander = false;
  try {
    // Start-up fast path (issue 13 part 2): a plain `classify` command line is read without commander
    // (cli/classify.ts parseClassifyArgs; anything else, help included, goes to commander below).
    if (argv[0] === 'classify' && how.commanderOnly !== true) {
      const { parseClassifyArgs, runClassify } = await import('./classify.js');
      const parsed = parseClassifyArgs(argv.slice(1));
      if (parsed !== null) {
        await runClassify(parsed.replies, parsed.opts, ctx);
        return ctx.exitCode();
      }
    }
    usedCommander = true;
    const program = await buildProgram(ctx, argv);
    await program.parseAsync(argv, { from: 'user' });
    return ctx.exitCode();
  } catch (err) {
    const { CommanderError } = usedCommander ? await import('commander') : { CommanderError: null };
    if (CommanderError !== null && err instanceof CommanderError) {
      // --help and --version end "with an error" of exit code 0.
      return err.exitCode === 0 ? 0 : 2;
    }
    // Error messages quote input (a file's bytes, a server's reply, a bad argument): never let
    // them carry terminal controls to the user's terminal.
    const { stripControl } = await import('../report/sanitize.js');
    const say = (m: string): void => void ctx.stderr.write(`mxprobe: ${stripControl(m, { keepNewlines: true })}\n`);
    if (err instanceof OutputError) {
      say(err.message);
      return EXIT_OUTPUT_LOST;
    }
    if (err instanceof MxprobeError && (err.code === 'E_USAGE' || err.code === 'E_TARGET_INPUT' || err.code === 'E_COMMAND_UNSAFE' || err.code === 'E_INVALID_IP')) {
      say(err.message);
      return 2;
    }
    say(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 1;
  }
}

export async function main(): Promise<void> {
  const controller = new AbortController();
  let code = 0;
  let signals = 0;
  // Only these have sessions to QUIT and results to close on a signal; any other command
  // (classify, inspect, logs, lint, report, store, …) ends at once with 130, as a filter would,
  // instead of printing "finishing open sessions" and reading on until a second signal.
  const graceful = new Set(['probe', 'demo', 'deliver', 'worker']);
  const command = subcommandOf(process.argv.slice(2));
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (command === undefined || !graceful.has(command)) process.exit(130);
    if (signals === 1) {
      process.stderr.write(`\nmxprobe: ${sig}: finishing open sessions and writing results…\n`);
      controller.abort();
    } else {
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A closed stdout pipe (mxprobe … | head) ends quietly, as a filter killed by SIGPIPE would
  // (141); any other write error (ENOSPC, EIO) lost results: one line, and never exit 0.
  let stdoutError: NodeJS.ErrnoException | null = null;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(EXIT_PIPE_CLOSED);
    stdoutError ??= err;
  });
  const ctx = {
    stdout: process.stdout,
    stderr: process.stderr,
    // A getter: process.stdin builds a stream (and its modules) when first read; most commands never read it.
    get stdin() {
      return process.stdin;
    },
    stderrIsTty: process.stderr.isTTY === true,
    env: process.env,
    cwd: process.cwd(),
    setExitCode: (c: number) => {
      code = c;
    },
    exitCode: () => code,
    signal: controller.signal,
  };
  // Last line of defence: if the event loop ever runs dry while main() is still waiting (a
  // promise nobody will settle), node would end with exit 0 and results lost. Never exit 0 then.
  let finished = false;
  process.once('beforeExit', () => {
    if (finished) return;
    process.stderr.write('mxprobe: internal error: ended before the results were complete\n');
    process.exitCode = 1;
  });
  let exit = await runCli(process.argv.slice(2), ctx);
  process.exitCode = exit;
  // Let stdout drain (or fail); do not keep the process alive for stray timers.
  // A stream that already failed emits nothing more: waiting for it would leave an empty event
  // loop, and node would end with exit 0 and the results lost.
  if (stdoutError === null && process.stdout.writableNeedDrain && !process.stdout.destroyed && process.stdout.errored === null) {
    await new Promise((r) => {
      process.stdout.once('drain', r);
      process.stdout.once('error', r);
      process.stdout.once('close', r);
    });
  }
  // A write to a file or a full device fails on a later tick: look once more before judging.
  await new Promise((r) => setImmediate(r));
  if (stdoutError !== null) {
    process.stderr.write(`mxprobe: ${new OutputError('stdout', (stdoutError as NodeJS.ErrnoException).code, describeErrno(stdoutError).text).message}\n`);
    exit = EXIT_OUTPUT_LOST;
  }
  finished = true;
  process.exit(exit);
}
