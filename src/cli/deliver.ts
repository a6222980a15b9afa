/**
 * `mxprobe deliver`: send one real test message (opt-in, explicit recipient) with a chosen HELO
 * identity, directly to the recipient's MX or --via, and print the transcript and the receiver's
 * queue id. Exit codes: 0 delivered (or --dry-run), 1 not delivered, 2 usage error.
 *
 * Safety: the recipient comes only from --to. There is deliberately no targets-file option: a
 * probe target list must never turn into a mailing list.
 */
import { isIP } from 'node:net';
import { resolve as resolvePath } from 'node:path';
import type { Command } from 'commander';
import { deliver, MAX_COUNT, type DeliverOptions, type TlsPolicy } from '../deliver/deliver.js';
import { formatDeliverText } from '../deliver/format.js';
import { readHostResults } from '../deliver/results-file.js';
import { readSmallTextFile } from '../io/small-file.js';
import { createResolver } from '../dns/resolver.js';
import { MxprobeError, UsageError } from '../errors.js';
import type { CliContext } from './context.js';
import { stripControl } from '../report/sanitize.js';
import { assertLocalAddress, safeWireValue } from './options.js';

interface DeliverFlags {
  to?: string;
  helo?: string;
  from?: string;
  source?: string;
  via?: string;
  port?: string;
  tls: string;
  count: string;
  results?: string;
  dryRun?: boolean;
  format: string;
  resolver: string[];
  timeout?: string;
}

/** deliver --results is read whole: a probe run of a few thousand hosts with transcripts fits. */
const RESULTS_FILE_MAX = 64 * 1024 * 1024;

const USAGE_CODES = new Set(['E_USAGE', 'E_COMMAND_UNSAFE', 'E_INVALID_IP']);

function wholeNumber(flag: string, value: string, min: number, max: number): number {
  if (!/^\d+$/.test(value.trim())) throw new UsageError(`${flag}: "${value}" is not a whole number`);
  const n = Number(value);
  if (n < min || n > max) throw new UsageError(`${flag}: ${n} is out of range (${min}-${max})`);
  return n;
}

export function registerDeliver(program: Command, ctx: CliContext): void {
  program
    .command('deliver')
    .description('send ONE real test message with a chosen HELO identity to a seed mailbox you own (opt-in; the only command that sends DATA)')
    .option('--to <address>', 'the seed mailbox (required; never taken from a targets file)')
    .option('--helo <name>', 'the EHLO/HELO identity under test (required)')
    .option('--from <address>', 'envelope and header sender (default postmaster@<helo>)')
    .option('--source <ip>', 'local source address to bind')
    .option('--via <host[:port]>', 'deliver to this host instead of the recipient domain\'s MX')
    .option('--port <n>', 'port for MX delivery', '25')
    .option('--tls <mode>', 'require | opportunistic | none', 'opportunistic')
    .option('--count <n>', `messages to send (1-${MAX_COUNT})`, '1')
    .option('--results <file>', 'a probe run (JSON or NDJSON, at most 64 MiB) whose verdicts for the route go into the body')
    .option('--dry-run', 'print what would be sent and where, then stop')
    .option('--format <format>', 'table | json', 'table')
    .option('--resolver <ip[:port]>', 'DNS server to ask (repeatable); IPv6 with a port in brackets: [::1]:5353', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--timeout <ms>', 'connect/reply timeout in ms', '30000')
    .action(async (flags: DeliverFlags) => {
      try {
        if (flags.to === undefined || flags.to === '') throw new UsageError('--to <address> is required: deliver sends only to a mailbox you name');
        if (flags.helo === undefined || flags.helo === '') throw new UsageError('--helo <name> is required');
        if (flags.format !== 'table' && flags.format !== 'json') throw new UsageError(`--format: "${flags.format}" is not one of table, json`);
        if (!['require', 'opportunistic', 'none'].includes(flags.tls)) throw new UsageError(`--tls: "${flags.tls}" is not one of require, opportunistic, none`);
        const count = wholeNumber('--count', flags.count, 1, MAX_COUNT);
        const port = wholeNumber('--port', flags.port ?? '25', 1, 65535);
        const timeoutMs = wholeNumber('--timeout', flags.timeout ?? '30000', 1, 3_600_000);
        const opts: DeliverOptions = { to: flags.to, helo: flags.helo, tls: flags.tls as TlsPolicy, count, port, timeoutMs, signal: ctx.signal };
        if (flags.from !== undefined) opts.from = flags.from;
        if (flags.source !== undefined) {
          const source = safeWireValue('--source', flags.source).replace(/^\[|\]$/g, '');
          if (isIP(source) === 0) throw new UsageError(`--source: "${flags.source}" is not an IPv4 or IPv6 address`);
          // As probe does: bind it once, so a typo or a foreign address is a usage error now (also
          // on --dry-run, which promises the plan would work), not EADDRNOTAVAIL blamed on the MX.
          await assertLocalAddress('--source', source);
          opts.source = source;
        }
        if (flags.via !== undefined) opts.via = flags.via;
        if (flags.dryRun === true) opts.dryRun = true;
        if (flags.results !== undefined) {
          // Read whole (the verdicts of the routed hosts are picked after DNS), so with a cap and never
          // binary: readFileSync on /dev/zero grew without bound before anything was sent.
          const text = readSmallTextFile(resolvePath(ctx.cwd, flags.results), '--results', RESULTS_FILE_MAX, 'give a results file of only the hosts deliver sends to');
          opts.results = { source: flags.results, hosts: readHostResults(text, flags.results) };
        }
        const resolver = createResolver({ servers: flags.resolver, timeoutMs: Math.min(timeoutMs, 5000) });
        // The table of a dry run restates the plan's envelope line and "nothing sent": keep those two
        // once, on stdout, and the rest of the plan (route, message) on stderr.
        const restated = flags.dryRun === true && flags.format === 'table';
        // Server replies reach this log: strip terminal controls before they reach the terminal.
        const log = (line: string): void => {
          if (restated && (line.startsWith('deliver: ') || line === 'dry run: nothing sent')) return;
          ctx.stderr.write(`${stripControl(line)}\n`);
        };
        const result = await deliver(opts, { resolver, log });
        ctx.stdout.write(flags.format === 'json' ? `${JSON.stringify(result, null, 2)}\n` : formatDeliverText(result));
        const ok = result.dryRun || result.messages.every((m) => m.outcome === 'delivered');
        ctx.setExitCode(ok ? 0 : 1);
      } catch (err) {
        if (err instanceof MxprobeError && USAGE_CODES.has(err.code)) {
          ctx.stderr.write(`mxprobe deliver: ${err.message}\n`);
          ctx.setExitCode(2);
          return;
        }
        throw err;
      }
    });
}
