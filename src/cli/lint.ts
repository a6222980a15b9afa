/**
 * `mxprobe lint <helo-name> [--source-ip <ip>]` and `mxprobe lint --fleet <file>`: judge a sending
 * identity's DNS alignment the way receivers will, and print the fix.
 * Exit codes: 0 aligned, 3 a check failed at fail level, 4 inconclusive (a DNS lookup failed, so
 * some check judged nothing, and nothing failed), 2 usage error.
 */
import { resolve as resolvePath } from 'node:path';
import { isIP } from 'node:net';
import type { Command } from 'commander';
import { lintFleet } from '../analysis/fleet.js';
import { TargetInputError } from '../errors.js';
import { boundedTextLines, openInputStream } from '../targets/read.js';
import { lint } from '../analysis/lint.js';
import { createResolver } from '../dns/resolver.js';
import { fleetInconclusive, formatFleetTable, formatLintTable, lintVerdict } from '../report/lint.js';
import { EXIT_INCONCLUSIVE } from './output.js';
import type { CliContext } from './context.js';

interface LintOptions {
  sourceIp?: string;
  resolver: string[];
  dnsTimeout?: string;
  timeout?: string;
  format: string;
  fleet?: string;
}

export function registerLint(program: Command, ctx: CliContext): void {
  program
    .command('lint')
    .description('check that a HELO name, its source IP and their DNS (PTR, FCrDNS, SPF) align; print the fix')
    .argument('[helo-name]', 'the name your MTA announces in EHLO/HELO')
    .option('--source-ip <ip>', 'the public IP you send from')
    .option('--resolver <ip[:port]>', 'DNS server to ask (repeatable); IPv6 with a port in brackets: [::1]:5353', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--dns-timeout <ms>', 'deadline for each DNS query in ms (as on probe)', undefined)
    .option('--timeout <ms>', 'the old name of --dns-timeout, still accepted', undefined)
    .option('--format <format>', 'table | json', 'table')
    .option('--fleet <file>', 'lint every "source-ip helo-name" line of a file')
    .action(async (heloArg: string | undefined, opts: LintOptions) => {
      const usage = (msg: string): void => {
        ctx.stderr.write(`mxprobe lint: ${msg}\n`);
        ctx.setExitCode(2);
      };
      if (opts.format !== 'table' && opts.format !== 'json') return usage(`--format: "${opts.format}" is not one of table, json`);
      // --dns-timeout is the name probe uses for the same deadline; --timeout was lint's name first
      // and stays as an alias so scripts keep working. Both with different values is a usage error.
      let timeoutMs: number | undefined;
      for (const [flag, value] of [['--dns-timeout', opts.dnsTimeout], ['--timeout', opts.timeout]] as const) {
        if (value === undefined) continue;
        if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 600_000) return usage(`${flag}: "${value}" is not a number of milliseconds (1-600000)`);
        if (timeoutMs !== undefined && timeoutMs !== Number(value)) return usage('--dns-timeout and --timeout (its old name) disagree: give one');
        timeoutMs = Number(value);
      }
      let resolver: ReturnType<typeof createResolver>;
      try {
        resolver = createResolver({ servers: opts.resolver, ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        // parseResolverAddress already names the option: say it once.
        return usage(msg.startsWith('--resolver') ? msg : `--resolver: ${msg}`);
      }

      if (opts.fleet !== undefined) {
        if (heloArg !== undefined) return usage('give either <helo-name> or --fleet <file>, not both');
        // '' (an unset shell variable) resolved to the working directory.
        if (opts.fleet.trim() === '') return usage('--fleet: empty path');
        const file = resolvePath(ctx.cwd, opts.fleet);
        let stream: Awaited<ReturnType<typeof openInputStream>>;
        try {
          stream = await openInputStream(file);
        } catch (err) {
          return usage(`--fleet: cannot read ${opts.fleet}: ${(err as Error).message}`);
        }
        let result: Awaited<ReturnType<typeof lintFleet>>;
        try {
          result = await lintFleet(boundedTextLines(stream, opts.fleet), opts.fleet, resolver);
        } catch (err) {
          // A binary file or an endless line: one line, exit 2 (readline grew its buffer until
          // "RangeError: Invalid string length").
          if (err instanceof TargetInputError) return usage(`--fleet: ${err.problems.map((p) => `${p.source}${p.line > 0 ? `:${p.line}` : ''}: ${p.reason}`).join('; ')}`);
          throw err;
        } finally {
          stream.destroy();
        }
        ctx.stdout.write(opts.format === 'json' ? `${JSON.stringify(result, null, 2)}\n` : formatFleetTable(result));
        if (result.errors.length) ctx.setExitCode(2);
        else if (result.failed) ctx.setExitCode(3);
        else if (fleetInconclusive(result)) ctx.setExitCode(EXIT_INCONCLUSIVE);
        return;
      }

      if (heloArg === undefined) return usage('missing <helo-name> (or use --fleet <file>)');
      // `lint "$HELO"` with the variable unset linted the empty name and exited 3 (a lint failure)
      // instead of saying the command line was wrong.
      if (heloArg.trim() === '') return usage('<helo-name> is empty');
      // RFC 5321 §2.3.8: CR, LF or NUL would end the command line; refuse rather than lint it.
      if (/[\r\n\0]/.test(heloArg)) return usage('<helo-name> contains CR, LF or NUL');
      let sourceIp: string | null = null;
      if (opts.sourceIp !== undefined) {
        const v = opts.sourceIp.replace(/^\[|\]$/g, '');
        if (isIP(v) === 0) return usage(`--source-ip: "${opts.sourceIp}" is not an IPv4 or IPv6 address`);
        sourceIp = v;
      }
      const result = await lint({ helo: heloArg, sourceIp }, resolver);
      if (opts.format === 'json') {
        const { helo, sourceIp: ip, checks, predictions, fix, unjudged } = result;
        ctx.stdout.write(`${JSON.stringify({ helo, sourceIp: ip, checks, predictions, fix, result: lintVerdict(result), unjudged }, null, 2)}\n`);
      } else ctx.stdout.write(formatLintTable(result));
      if (result.failed) ctx.setExitCode(3);
      else if (result.unjudged.length > 0) ctx.setExitCode(EXIT_INCONCLUSIVE);
    });
}
