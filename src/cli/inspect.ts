/**
 * `mxprobe inspect <message.eml|mbox|->`: read back how a test message landed: the Received: chain
 * (HELO, rDNS and IP the receiver recorded), Authentication-Results and spam-filter symbols.
 * Exit codes: 0 inspected, 2 usage error (unreadable input, unknown --token).
 */
import { BINARY_SNIFF_BYTES } from '../io/input.js';
import { openInputStream } from '../targets/read.js';
import { resolve as resolvePath } from 'node:path';
import type { Command } from 'commander';
import { inspectSelected, type InspectOptions } from '../analysis/inspect.js';
import { selectMessage, splitLines } from '../analysis/inspect/select.js';
import { describeErrno } from './output.js';
import { MxprobeError, UsageError } from '../errors.js';
import { formatInspectTable } from '../report/inspect.js';
import type { CliContext } from './context.js';

interface InspectFlags {
  token?: string;
  helo?: string;
  format: string;
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
        // Streamed: only the chosen message's header block (capped) and the start of its body
        // are kept (analysis/inspect/select.ts), whatever the size of the input.
        let input: AsyncIterable<Buffer | string>;
        if (file === '-') input = ctx.stdin as AsyncIterable<Buffer>;
        else {
          try {
            input = (await openInputStream(resolvePath(ctx.cwd, file))) as AsyncIterable<Buffer>;
          } catch (err) {
            throw new UsageError(`${file}: cannot read: ${describeErrno(err).text}`);
          }
        }
        let sel;
        try {
          sel = await selectMessage(splitLines(refuseBinary(input, file === '-' ? 'stdin' : file)), flags.token);
        } catch (err) {
          if (err instanceof MxprobeError) throw err;
          throw new UsageError(`${file}: cannot read: ${describeErrno(err).text}`);
        }
        const opts: InspectOptions = {};
        if (flags.helo !== undefined) opts.heloSent = flags.helo;
        const result = inspectSelected(sel, opts);
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

/**
 * RFC 5322 §2.3 (and RFC 6152 for 8BITMIME) allow no NUL in a message: a NUL in the first 8 KiB
 * means binary input, refused at once. /dev/zero (no LF, ever) was otherwise read forever.
 */
async function* refuseBinary(chunks: AsyncIterable<Buffer | string>, name: string): AsyncGenerator<Buffer | string> {
  const SNIFF = BINARY_SNIFF_BYTES;
  let seen = 0;
  for await (const c of chunks) {
    if (seen < SNIFF) {
      const head = typeof c === 'string' ? Buffer.from(c.slice(0, SNIFF - seen)) : c.subarray(0, SNIFF - seen);
      const nul = head.indexOf(0);
      if (nul !== -1) throw new UsageError(`${name}: binary input (NUL byte at offset ${seen + nul}): not an e-mail message (RFC 5322 §2.3)`);
      seen += head.length;
    }
    yield c;
  }
}
