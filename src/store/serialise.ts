/**
 * One serialisation of a host result for both the NDJSON writer and the store. `probe --store
 * --format ndjson` used to JSON.stringify every probe twice: once inside the NDJSON host line
 * (report/json.ts ndjsonHost) and once for the store's probe record column (rows.ts probeRow).
 * Here each probe is stringified once and the line, the host record column and the probe record
 * columns are assembled from the same pieces.
 *
 * Byte-identical by construction: JSON.stringify writes a nested value exactly as it writes it
 * alone (no indentation), keys in Object.keys order, undefined/function values left out; the
 * assembly mirrors `{ type, target, ...host }` (ndjsonHost) and `{ ...hostWithoutProbes, target }`
 * (rows.ts hostRow). test/store/lines.test.ts checks the line against ndjsonHost and the stored
 * rows against those written without it.
 */
import type { HostResult, TargetResult } from '../results.js';
import type { HostTarget } from './types.js';

export interface HostStrings {
  /** ndjsonHost(host, target), LF included. */
  line: string;
  /** rows.ts hostRow's `record` column. */
  record: string;
  /** rows.ts probeRow's `record` column, one per probe in order. */
  probes: string[];
}

/** null when the host has a key the shortcut does not model (then the ordinary path is taken). */
export function serialiseHost(host: HostResult, target: HostTarget): HostStrings | null {
  const h = host as unknown as Record<string, unknown>;
  if ('type' in h || 'target' in h || !Array.isArray(h['probes'])) return null;
  const probes = host.probes.map((p) => JSON.stringify(p));
  const lineParts: string[] = [];
  const recParts: string[] = [];
  for (const k of Object.keys(h)) {
    if (k === 'probes') {
      lineParts.push(`"probes":[${probes.join(',')}]`);
      continue;
    }
    const v = JSON.stringify(h[k]);
    if (v === undefined) continue;
    const part = `${JSON.stringify(k)}:${v}`;
    lineParts.push(part);
    recParts.push(part);
  }
  const info = JSON.stringify({ input: target.input, origin: target.origin, kind: target.kind, domain: target.domain, mx: target.mx });
  recParts.push(`"target":${JSON.stringify({ input: target.input, domain: target.domain })}`);
  return {
    line: `{"type":"host","target":${info}${lineParts.length > 0 ? ',' : ''}${lineParts.join(',')}}\n`,
    record: `{${recParts.join(',')}}`,
    probes,
  };
}

export interface TargetStrings {
  /** ndjsonTarget(target), LF included. */
  line: string;
  /** rows.ts targetRow's `record` column: the target without its hosts. */
  record: string;
}

/**
 * The target's NDJSON line and its stored record from one JSON.stringify: ndjsonTarget writes
 * `{ type: 'target', ...rest }` and targetRow stores `rest` (the target without `hosts`), so the
 * line is the record with `"type":"target",` put in front of its first key. null when the target
 * has a `type` key of its own (the spread would overwrite it; then the ordinary path is taken).
 */
export function serialiseTarget(target: TargetResult): TargetStrings | null {
  if ('type' in target) return null;
  const { hosts: _hosts, ...rest } = target;
  const record = JSON.stringify(rest);
  return { line: record.length > 2 ? `{"type":"target",${record.slice(1)}\n` : '{"type":"target"}\n', record };
}
