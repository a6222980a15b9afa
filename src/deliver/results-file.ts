/**
 * --results <file>: a probe run (RunResult JSON or NDJSON, see src/results.ts) whose verdicts for
 * the hosts we deliver to are copied into the test message body, so the seed mailbox keeps the
 * probe's view next to the receiver's.
 */
import type { HostResult, NdjsonRecord, ProbeResult, RunResult } from '../results.js';
import { UsageError } from '../errors.js';

/** Every HostResult in a RunResult JSON document or an NDJSON stream ("host" records). */
export function readHostResults(text: string, source = 'results'): HostResult[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  try {
    const doc = JSON.parse(trimmed) as Partial<RunResult> & { type?: string };
    if (Array.isArray(doc.targets)) return doc.targets.flatMap((t) => (Array.isArray(t.hosts) ? t.hosts : []));
    if (doc.type !== 'host') throw new UsageError(`${source}: JSON without "targets": not a mxprobe RunResult`);
    // A one-line NDJSON file that happens to parse whole falls through to the line reader.
  } catch (err) {
    if (err instanceof UsageError) throw err;
  }
  const hosts: HostResult[] = [];
  const lines = trimmed.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (line === '') continue;
    let rec: NdjsonRecord;
    try {
      rec = JSON.parse(line) as NdjsonRecord;
    } catch {
      throw new UsageError(`${source}:${i + 1}: not JSON (expected a RunResult or NDJSON records)`);
    }
    if (rec.type === 'host') hosts.push(rec);
  }
  return hosts;
}

function norm(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

function describeProbe(p: ProbeResult): string {
  const v = p.verdict;
  const what = p.status === 'success' ? v.outcome : p.status;
  const where = v.stage ? ` at ${v.stage}` : '';
  const reply = v.code !== null ? ` ${v.code}${v.enhanced ? ` ${v.enhanced}` : ''}` : '';
  const cause = v.cause !== 'none' && v.cause !== 'unknown' ? ` cause=${v.cause}` : '';
  const source = p.identity.source ? ` from ${p.identity.source}` : '';
  return `${p.identity.kind} HELO ${p.identity.name}${source}: ${what}${where}${reply}${cause}`;
}

/** One line per probe of a host that is on the route (same exchange name and IP). */
export function verdictLines(hosts: readonly HostResult[], route: ReadonlyArray<{ exchange: string; ip: string }>): string[] {
  const out: string[] = [];
  for (const r of route) {
    for (const h of hosts) {
      if (h.ip !== r.ip || norm(h.exchange) !== norm(r.exchange)) continue;
      for (const p of h.probes) out.push(`${h.exchange} [${h.ip}] ${describeProbe(p)}`);
    }
  }
  return out;
}
