/**
 * What the workers said about themselves (their heartbeats' lint), recorded by the coordinator in
 * the run's options as `fleet.vantages`, read back as consistency-report facts.
 */
import type { AlignmentCheck } from '../results.js';
import type { VantageFacts } from './consistency.js';
import type { Heartbeat } from './types.js';
import { byCodeUnits } from '../report/order.js';

export interface RecordedVantage {
  name: string;
  helo: string;
  sources: Array<string | null>;
  workers: number;
  lint: Array<{ sourceIp: string | null; failed: boolean; problems: AlignmentCheck[] }>;
}

/** One record per vantage from its live workers' heartbeats. */
export function recordVantages(heartbeats: Heartbeat[]): RecordedVantage[] {
  const by = new Map<string, RecordedVantage>();
  for (const h of heartbeats) {
    const r = by.get(h.vantage);
    if (r) r.workers++;
    else by.set(h.vantage, { name: h.vantage, helo: h.helo, sources: h.sources, workers: 1, lint: h.lint });
  }
  return [...by.values()].sort((a, b) => byCodeUnits(a.name, b.name));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Tolerant reader: a results file is input, so anything malformed is skipped, not trusted. */
export function vantageFactsFromOptions(options: Record<string, unknown>): VantageFacts[] {
  const fleet = options['fleet'];
  if (!isObject(fleet) || !Array.isArray(fleet['vantages'])) return [];
  const out: VantageFacts[] = [];
  for (const v of fleet['vantages'] as unknown[]) {
    if (!isObject(v) || typeof v['name'] !== 'string') continue;
    const lint = Array.isArray(v['lint']) ? (v['lint'] as unknown[]) : [];
    const problems: AlignmentCheck[] = [];
    // A lint row with its problem list means the worker checked its HELO and source: its empty list is "aligned".
    let judged = false;
    for (const l of lint) {
      if (!isObject(l) || !Array.isArray(l['problems'])) continue;
      judged = true;
      for (const p of l['problems'] as unknown[]) {
        if (isObject(p) && typeof p['id'] === 'string' && typeof p['detail'] === 'string' && (p['status'] === 'fail' || p['status'] === 'warn')) {
          problems.push({ id: p['id'], status: p['status'], detail: p['detail'] });
        }
      }
    }
    const sources = Array.isArray(v['sources']) ? (v['sources'] as unknown[]).filter((s): s is string => typeof s === 'string') : [];
    out.push({ name: v['name'], helo: typeof v['helo'] === 'string' ? v['helo'] : null, sources, problems, judged });
  }
  return out;
}
