import { PassThrough } from 'node:stream';
import { Command } from 'commander';
import type { CliContext } from '../../src/cli/context.js';

/** A commander program with one subcommand registered, on PassThrough streams. */
export async function runSub(
  register: (program: Command, ctx: CliContext) => void,
  args: string[],
  opts: { stdin?: string; cwd?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  stdin.end(opts.stdin ?? '');
  let code = 0;
  const ctx: CliContext = {
    stdout,
    stderr,
    stdin,
    stderrIsTty: false,
    env: {},
    cwd: opts.cwd ?? process.cwd(),
    setExitCode: (c) => void (code = c),
    signal: new AbortController().signal,
  };
  const program = new Command().exitOverride().configureOutput({ writeOut: (s) => void stdout.write(s), writeErr: (s) => void stderr.write(s) });
  register(program, ctx);
  for (const sub of program.commands) sub.exitOverride();
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch {
    code = code || 2;
  }
  await new Promise((r) => setImmediate(r));
  return { code, stdout: out, stderr: err };
}
