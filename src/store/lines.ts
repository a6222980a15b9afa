/**
 * Feeding a StoreSink from NDJSON record lines (report/json.ts ndjsonHost / ndjsonTarget) instead of
 * result objects: how `probe --store` hands its results to the store writer thread (sink-worker.ts).
 * The line is the one the NDJSON writer already serialised, so the prober's thread serialises each
 * record once and the store's work (rows, brief, inserts) happens off it.
 *
 * Same rows as the object path: JSON.parse(JSON.stringify(x)) keeps every key in order and every
 * JSON value, and each stored column is JSON.stringify of such a value or a field read from it
 * (test/store/lines.test.ts compares the two stores table by table).
 */
import type { HostResult, TargetResult } from '../results.js';
import type { StoreSink } from './sink.js';
import type { HostTarget } from './types.js';

/** Thrown for a line that is not a host or target record (a bug in the caller, not user input). */
export class StoreLineError extends Error {}

/** Queue one NDJSON host or target line into the sink. */
export function applyLine(sink: StoreSink, line: string): Promise<void> {
  const rec = JSON.parse(line) as { type?: unknown } & Record<string, unknown>;
  if (rec.type === 'host') {
    const { type: _t, target, ...host } = rec as unknown as { type: 'host'; target: HostTarget } & HostResult;
    return sink.host(host, target);
  }
  if (rec.type === 'target') {
    const { type: _t, ...rest } = rec as unknown as { type: 'target' } & Omit<TargetResult, 'hosts'>;
    return sink.target({ ...rest, hosts: [] });
  }
  throw new StoreLineError(`not a host or target record: ${String(rec.type)}`);
}
