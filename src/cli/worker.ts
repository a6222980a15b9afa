/**
 * `mxprobe worker --queue redis://… --vantage NAME`: the long-lived process on each relay (see
 * src/fleet/worker.ts). Runs until SIGTERM/SIGINT; the first signal lets the job in flight finish
 * (nothing is lost), a second one exits at once and BullMQ hands the job to a sibling after its
 * lock expires.
 */
import { hostname } from 'node:os';
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { UsageError } from '../errors.js';
import { createResolver } from '../dns/resolver.js';
import { parseResolverAddress } from '../dns/servers.js';
import { assertLocalAddress, collect, intOption, ipOption, safeWireValue } from './options.js';
import { assertName, FleetJobError } from '../fleet/job.js';
import { redisSpec } from '../fleet/redis.js';
import { startWorker } from '../fleet/worker.js';
import { stripControl } from '../report/sanitize.js';

interface WorkerFlags {
  queue: string;
  queueCa?: string;
  vantage: string;
  helo?: string;
  source?: string[];
  resolver?: string[];
  concurrency: number;
  heartbeat: number;
  lockMs: number;
  backoff: number;
  quiet?: boolean;
}

export function registerWorker(program: Command, ctx: CliContext): void {
  program
    .command('worker')
    .description('run on a relay: take probe jobs for one vantage from a Redis (BullMQ) queue')
    .requiredOption('--queue <url>', 'redis://[user:password@]host:6379[/db] or rediss://… (TLS)')
    .option('--queue-ca <file>', 'CA certificate(s) for a rediss:// server with a private CA')
    .requiredOption('--vantage <name>', 'this relay\'s vantage name (letters, digits, . _ -)')
    .option('--helo <name>', 'this relay\'s HELO name (its smtp_helo_name; default: this host name)')
    .option('--source <ip>', 'local source address to probe from (repeatable)', ipOption('--source'))
    .option('--resolver <ip[:port]>', 'DNS server to use (repeatable; default: the system resolvers); IPv6 with a port in brackets: [::1]:5353', collect)
    .option('--concurrency <n>', 'targets (and sessions) at once on this worker', intOption('--concurrency', 1, 1000), 4)
    .option('--heartbeat <ms>', 'heartbeat interval; the worker counts as dead after 3 missed', intOption('--heartbeat', 200, 600_000), 5_000)
    .option('--lock-ms <ms>', 'BullMQ lock: a job of a killed worker is retried elsewhere after this', intOption('--lock-ms', 1_000, 3_600_000), 30_000)
    .option('--backoff <ms>', 'after a 421 or a drop, every worker leaves that IP alone this long', intOption('--backoff', 0, 86_400_000), 300_000)
    .option('-q, --quiet', 'no log lines on stderr')
    .action(async (flags: WorkerFlags) => {
      let vantage: string;
      try {
        vantage = assertName('--vantage', flags.vantage);
      } catch (err) {
        throw new UsageError((err as FleetJobError).message);
      }
      const helo = safeWireValue('--helo', flags.helo ?? hostname());
      if (helo.trim() === '' || /\s/.test(helo)) throw new UsageError(`--helo: "${helo}" must be one word`);
      for (const s of flags.source ?? []) await assertLocalAddress('--source', s);
      const servers = (flags.resolver ?? []).map((r) => parseResolverAddress(r));
      const resolver = createResolver(servers.length ? { servers } : {});
      const log = (line: string) => {
        if (!flags.quiet) ctx.stderr.write(`${new Date().toISOString()} ${stripControl(line)}\n`);
      };
      const w = await startWorker({
        redis: redisSpec(flags.queue, flags.queueCa),
        vantage,
        helo,
        sources: flags.source && flags.source.length > 0 ? flags.source : [null],
        concurrency: flags.concurrency,
        heartbeatMs: flags.heartbeat,
        lockMs: flags.lockMs,
        backoffMs: flags.backoff,
        resolver,
        log,
      });
      await new Promise<void>((resolve) => {
        if (ctx.signal.aborted) resolve();
        else ctx.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      log('stopping: finishing the job(s) in flight');
      await w.close();
      const s = w.stats();
      log(`stopped (${s.completed} completed, ${s.failed} failed)`);
      ctx.setExitCode(0);
    });
}
