/**
 * `mxprobe history <domain|host|ip>`: one line per change across the stored runs, for every host
 * of that target (or that exchange, or that IP): the date, what changed, before → after. The first
 * sighting of each host is a line too, so a host seen once is not silently absent, and so is its
 * leaving: a finished run of its target whose DNS answered without it ("host disappeared"), so that
 * the timeline of a host that is no longer an MX does not read as "unchanged since".
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import type { CliContext } from './context.js';
import { UsageError } from '../errors.js';
import { changeRenderer, CHANGE_FORMATS, type ChangeFormat } from '../report/changes.js';
import { diffHost, diffTarget, splitByVantage, type Change } from '../store/diff.js';
import { showHostKey, type HistoryEntry, type RunState, type Store } from '../store/types.js';
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

/**
 * Per target key, the runs in which a host of that target that is not in the run's results has
 * gone: runs that finished (`complete`: an interrupted or failed run may simply not have reached
 * it) and whose DNS answered for the target (a failed MX lookup is a DNS change, said by
 * diffTarget, not a host leaving). Nothing is claimed from the other runs' silence.
 */
async function coveringRuns(store: Store, targets: ReadonlyArray<{ runId: number; tkey: string; startedAt: string; target: { dns: { status: string } } }>): Promise<Map<string, Array<{ runId: number; startedAt: string }>>> {
  const out = new Map<string, Array<{ runId: number; startedAt: string }>>();
  const state = new Map<number, RunState | null>();
  for (const t of targets) {
    if (t.target.dns.status !== 'ok' && t.target.dns.status !== 'not-needed') continue;
    if (!state.has(t.runId)) state.set(t.runId, (await store.getRun(t.runId))?.state ?? null);
    if (state.get(t.runId) !== 'complete') continue;
    let list = out.get(t.tkey);
    if (!list) out.set(t.tkey, (list = []));
    list.push({ runId: t.runId, startedAt: t.startedAt });
  }
  return out;
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
            const emit = (when: string, where: string, vantage: string, list: readonly Change[]) => {
              for (const change of list) {
                // One line per change: a certificate already expiring at the previous record is not
                // one (its line was written when it entered the window).
                if (change.kind === 'cert-expiry-reminder') continue;
                changes++;
                if (change.kind === 'probe-failed' || change.kind === 'transport-inconclusive') inconclusive++;
                out.write(r.row({ when, where, ...(vantage === '' ? {} : { vantage }), change, violates: [] }));
              }
            };
            // The target runs of every host's target: the queried domain's, and for an MX-name or IP
            // query those of the targets the host was found under.
            const targetRuns = [...targets];
            for (const tkey of new Set(entries.map((e) => e.tkey))) if (!targets.some((t) => t.tkey === tkey)) targetRuns.push(...(await store.targetHistory(tkey, flags.limit)));
            const covering = await coveringRuns(store, targetRuns);
            // Entries come ordered by host, then time: one group per host.
            for (let i = 0; i < entries.length; ) {
              let j = i;
              while (j < entries.length && entries[j]!.hkey === entries[i]!.hkey) j++;
              const group = entries.slice(i, j);
              i = j;
              const first = group[0]!;
              const where = showHostKey(first.hkey);
              hosts.add(first.hkey);
              // The runs that would have shown this host (its target's finished runs whose MX
              // lookup answered), from its first sighting on.
              const seenIn = new Set(group.map((e) => e.runId));
              const gaps = (covering.get(first.tkey) ?? []).filter((c) => c.startedAt > first.startedAt && !seenIn.has(c.runId));
              // A fleet run holds a host once per vantage (relay): each is compared with the same
              // vantage's previous record, never relay1's with relay2's of the same run.
              const prev = new Map<string, { host: HostResult; startedAt: string }>();
              let last: HistoryEntry | null = null;
              for (const e of group) {
                // A run of its target without it since its last sighting: it disappeared then, and
                // its next sighting is a first one again.
                const gap = last === null ? undefined : gaps.find((c) => c.startedAt > last!.startedAt && c.startedAt < e.startedAt);
                if (gap !== undefined) {
                  emit(gap.startedAt, where, '', [{ kind: 'host-disappeared' }]);
                  prev.clear();
                }
                const now = new Date(Date.parse(e.startedAt));
                for (const [v, host] of splitByVantage(e.host)) {
                  const before = prev.get(v);
                  // A first sighting says what a diff says of a new host: that it appeared, a
                  // certificate already within --expiry-days, a failed probe.
                  const list = before === undefined ? diffHost(null, host, { now, expiryDays: flags.expiryDays }) : diffHost(before.host, host, { now, before: new Date(Date.parse(before.startedAt)), expiryDays: flags.expiryDays });
                  emit(e.startedAt, v === '' ? where : `${where} via ${v}`, v, list);
                  prev.set(v, { host, startedAt: e.startedAt });
                }
                last = e;
              }
              const after = gaps.find((c) => c.startedAt > last!.startedAt);
              if (after !== undefined) emit(after.startedAt, where, '', [{ kind: 'host-disappeared' }]);
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
