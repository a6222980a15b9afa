/**
 * `mxprobe history <domain|host|ip>`: one line per change across the stored runs, for every host
 * of that target (or that exchange, or that IP): the date, what changed, before → after. The first
 * sighting of each host is a line too, so a host seen once is not silently absent.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import type { CliContext } from './context.js';
import { UsageError } from '../errors.js';
import { changeRenderer, CHANGE_FORMATS, type ChangeFormat } from '../report/changes.js';
import { diffHost, diffTarget, splitByVantage } from '../store/diff.js';
import { showHostKey, type RunState, type Store } from '../store/types.js';
import type { HostResult } from '../results.js';
import { choice, intOption } from './options.js';
import { openSink, openStoreFor, storeCommand } from './store-common.js';

interface HistoryFlags {
  store?: string;
  format: ChangeFormat;
  limit: number;
  expiryDays: number;
  output?: string;
}

/**
 * The runs a history draws on that hold only part of their results, said on stderr as `diff` says
 * them: a line of such a run may be a "change" only because the run stopped early (a host missing
 * from it, a probe cut short). A run still `running` is being written, or its process died (killed,
 * or a store that failed mid-run and could not even be marked failed); an `interrupted` one was
 * stopped by a signal; a `failed` one lost its store mid-run. One line per state.
 */
async function notePartialRuns(store: Store, runIds: readonly number[], warn: (m: string) => void): Promise<void> {
  const byState = new Map<RunState, number[]>();
  for (const id of [...new Set(runIds)].sort((x, y) => x - y)) {
    const run = await store.getRun(id);
    if (!run || run.state === 'complete') continue;
    let list = byState.get(run.state);
    if (!list) byState.set(run.state, (list = []));
    list.push(id);
  }
  const runs = (ids: number[]) => `run${ids.length > 1 ? 's' : ''} ${ids.join(', ')}`;
  const running = byState.get('running');
  if (running) warn(`${runs(running)} ha${running.length > 1 ? 've' : 's'} not finished (still running, or its writer died): partial results`);
  const interrupted = byState.get('interrupted');
  if (interrupted) warn(`${runs(interrupted)} ${interrupted.length > 1 ? 'were' : 'was'} interrupted before all targets finished: partial results`);
  const failed = byState.get('failed');
  if (failed) warn(`${runs(failed)} failed before ${failed.length > 1 ? 'they' : 'it'} finished (the store failed mid-run): partial results`);
}

export function registerHistory(program: Command, ctx: CliContext): void {
  program
    .command('history')
    .description('what changed over time for a domain, MX host or IP, across the stored runs')
    .argument('<target>', 'a domain, an MX host name or an IP address')
    .option('--store <url>', 'the store: sqlite:PATH, PATH.db or postgres://… (default $MXPROBE_STORE)')
    .addOption(new Option('--format <format>', `output format: ${CHANGE_FORMATS.join('|')}`).argParser(choice('--format', CHANGE_FORMATS)).default('table'))
    .option('--limit <n>', 'at most this many stored host records', intOption('--limit', 1, 1_000_000), 10_000)
    .option('--expiry-days <n>', 'report certificates expiring within this many days', intOption('--expiry-days', 0, 3650), 14)
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action(async (target: string, flags: HistoryFlags) => {
      await storeCommand(ctx, async () => {
        // An empty name (an unset shell variable) matches nothing: a usage error, not exit 1 "nothing stored for ".
        if (target.trim() === '') throw new UsageError('history: give a domain, an MX host name or an IP address');
        const store = await openStoreFor(flags.store, ctx, true);
        try {
          const entries = await store.history(target, flags.limit);
          // The domain's own facts (MX set, MTA-STS, TLS-RPT) across runs, when it is a stored target.
          const targets = await store.targetHistory(target, flags.limit);
          await notePartialRuns(store, [...entries.map((e) => e.runId), ...targets.map((t) => t.runId)], (m) => void ctx.stderr.write(`mxprobe: warning: ${m}\n`));
          const out = openSink(ctx, flags.output);
          const r = changeRenderer(flags.format);
          let changes = 0;
          let inconclusive = 0;
          const hosts = new Set<string>();
          try {
            out.write(r.header({ title: `mxprobe history: ${target}`, info: { store: store.label, records: entries.length } }));
            for (let i = 1; i < targets.length; i++) {
              const t = targets[i]!;
              for (const change of diffTarget(targets[i - 1]!.target, t.target)) {
                changes++;
                if (change.kind === 'transport-inconclusive') inconclusive++;
                out.write(r.row({ when: t.startedAt, where: t.tkey, change, violates: [] }));
              }
            }
            // Entries come ordered by host, then time. A fleet run holds a host once per vantage
            // (relay): each is compared with the same vantage's previous record, never relay1's
            // record with relay2's of the same run (which read as a change at every run).
            let hkey: string | null = null;
            let prev = new Map<string, { host: HostResult; startedAt: string }>();
            for (const e of entries) {
              if (e.hkey !== hkey) {
                hkey = e.hkey;
                prev = new Map();
              }
              hosts.add(e.hkey);
              for (const [v, host] of splitByVantage(e.host)) {
                const where = v === '' ? showHostKey(e.hkey) : `${showHostKey(e.hkey)} via ${v}`;
                const before = prev.get(v) ?? null;
                const list =
                  before === null
                    ? [{ kind: 'host-appeared' as const }]
                    : diffHost(before.host, host, { now: new Date(Date.parse(e.startedAt)), before: new Date(Date.parse(before.startedAt)), expiryDays: flags.expiryDays });
                for (const change of list) {
                  // One line per change: a certificate already expiring at the previous record is
                  // not one (the line is written when it entered the window).
                  if (change.kind === 'cert-expiry-reminder') continue;
                  changes++;
                  if (change.kind === 'probe-failed' || change.kind === 'transport-inconclusive') inconclusive++;
                  out.write(r.row({ when: e.startedAt, where, ...(v === '' ? {} : { vantage: v }), change, violates: [] }));
                }
                prev.set(v, { host, startedAt: e.startedAt });
              }
            }
            const note =
              entries.length === 0
                ? `nothing stored for ${target}`
                : `${changes} line(s) over ${entries.length} record(s) of ${hosts.size} host(s)${entries.length >= flags.limit ? ` (stopped at --limit ${flags.limit})` : ''}`;
            out.write(r.footer({ changes, places: hosts.size, violations: 0, inconclusive, note }));
          } finally {
            out.close();
          }
          // Nothing stored for the target is not an answer: say so and exit 1.
          ctx.setExitCode(entries.length === 0 ? 1 : 0);
        } finally {
          await store.close().catch(() => {});
        }
      });
    });
}
