/**
 * `mxprobe logs --format json`: one document. Contract names (README "mxprobe logs: JSON contract"):
 * totals, relays, destinations, inbound, spam, unparsed are the names and stay stable;
 * the other members are additions. Server text is passed through stripControl so a terminal
 * `cat` of the file cannot be driven by a hostile reply.
 */
import type { LogRun } from '../logs/run.js';
import { heloPtrTargets } from '../logs/targets.js';
import { VERSION } from '../version.js';
import { stripControl } from './sanitize.js';

export const LOGS_SCHEMA = 'mxprobe-logs/1';

export interface LogsJsonOptions {
  /** The --emit-targets file, when one was written. */
  targetsFile?: string | null;
}

export function logsDocument(run: LogRun, opts: LogsJsonOptions = {}) {
  const s = run.summary;
  const clean = (t: string): string => stripControl(t);
  const targets = heloPtrTargets(s);
  return {
    schema: LOGS_SCHEMA,
    version: VERSION,
    files: run.files.map((f) => ({ ...f, file: clean(f.file), error: f.error ? { problem: f.error.problem, message: clean(f.error.message) } : null })),
    lines: s.lines,
    totals: s.totals,
    relays: s.relays.map((r) => ({ ...r, relay: clean(r.relay) })),
    destinations: s.destinations.map((d) => ({ ...d, domain: clean(d.domain), mx: d.mx.map((m) => ({ ...m, host: m.host === null ? null : clean(m.host), ip: m.ip === null ? null : clean(m.ip) })) })),
    refusals: s.refusals.map((r) => ({ ...r, relay: clean(r.relay), domain: clean(r.domain) })),
    replies: s.replies.map((r) => ({ ...r, text: clean(r.text) })),
    inbound: {
      ...s.inbound,
      byService: s.inbound.byService.map((b) => ({ ...b, service: clean(b.service), relay: clean(b.relay) })),
      heloNames: s.inbound.heloNames.map((h) => ({ ...h, name: clean(h.name) })),
    },
    spam: s.spam,
    time: s.time,
    unparsed: { count: s.unparsed.count, examples: s.unparsed.examples.map(clean) },
    limits: s.limits,
    targets: {
      heloOrPtr: targets.map((t) => ({ ...t, domain: clean(t.domain) })),
      file: opts.targetsFile ?? null,
      next: targets.length === 0 ? null : `mxprobe probe -f ${opts.targetsFile ?? 'TARGETS'} --identities all`,
    },
  };
}

export function renderLogsJson(run: LogRun, opts: LogsJsonOptions = {}): string {
  return `${JSON.stringify(logsDocument(run, opts), null, 2)}\n`;
}
