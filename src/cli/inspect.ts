/**
 * `mxprobe inspect <message.eml|mbox|->`: read back how a test message landed: the Received: chain
 * (HELO, rDNS and IP the receiver recorded), Authentication-Results and spam-filter symbols.
 * Exit codes: 0 inspected, 2 usage error (unreadable input, unknown --token).
 */
import { readFile } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import type { Readable } from 'node:stream';
import type { Command } from 'commander';
import { inspectMessage, type InspectOptions } from '../analysis/inspect.js';
import { MxprobeError, UsageError } from '../errors.js';
import { formatInspectTable } from '../report/inspect.js';
import type { CliContext } from './context.js';

interface InspectFlags {
  token?: string;
  helo?: string;
  format: string;
}

/** Headers are all we need; cap what we read so a huge mbox on stdin cannot exhaust memory. */
const MAX_INPUT = 256 * 1024 * 1024;

async function readStream(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += b.length;
    if (size > MAX_INPUT) throw new UsageError(`input larger than ${MAX_INPUT} bytes`);
    chunks.push(b);
  }
  // latin1 would be lossless, but headers are ASCII and bodies are not parsed: utf8 reads both.
  return Buffer.concat(chunks).toString('utf8');
}

export function registerInspect(program: Command, ctx: CliContext): void {
  program
    .command('inspect')
    .description('read a delivered test message (.eml, mbox, or - for stdin): Received chain, authentication and spam-filter results')
    .argument('<message>', 'message file, mbox (last message unless --token), or - for stdin')
    .option('--token <token>', 'pick the message whose X-Mxprobe-Token is this')
    .option('--helo <name>', 'the HELO that was sent (default: X-Mxprobe-Helo of the message)')
    .option('--format <format>', 'table | json', 'table')
    .action(async (file: string, flags: InspectFlags) => {
      try {
        if (flags.format !== 'table' && flags.format !== 'json') throw new UsageError(`--format: "${flags.format}" is not one of table, json`);
        let raw: string;
        if (file === '-') raw = await readStream(ctx.stdin);
        else {
          try {
            raw = await readFile(resolvePath(ctx.cwd, file), 'utf8');
          } catch (err) {
            throw new UsageError(`${file}: ${err instanceof Error ? err.message : String(err)}`);
          }
        }
        const opts: InspectOptions = {};
        if (flags.token !== undefined) opts.token = flags.token;
        if (flags.helo !== undefined) opts.heloSent = flags.helo;
        const result = inspectMessage(raw, opts);
        ctx.stdout.write(flags.format === 'json' ? `${JSON.stringify(result, null, 2)}\n` : formatInspectTable(result));
        ctx.setExitCode(0);
      } catch (err) {
        if (err instanceof MxprobeError && err.code === 'E_USAGE') {
          ctx.stderr.write(`mxprobe inspect: ${err.message}\n`);
          ctx.setExitCode(2);
          return;
        }
        throw err;
      }
    });
}
