import type { Readable, Writable } from 'node:stream';

/**
 * What a subcommand may touch. main.ts builds it from `process`; tests build it from streams.
 * Subcommands never call process.exit: they set `exitCode` (0 ok, 1 some target failed,
 * 2 usage/input error, 3 policy/lint failure, 130 interrupted).
 */
export interface CliContext {
  stdout: Writable;
  stderr: Writable;
  stdin: Readable;
  /** True when stderr is a terminal (progress spinners are allowed only then). */
  stderrIsTty: boolean;
  env: Record<string, string | undefined>;
  cwd: string;
  setExitCode(code: number): void;
  /** An AbortSignal fired on SIGINT/SIGTERM. */
  signal: AbortSignal;
}
