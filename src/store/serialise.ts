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

/**
 * null when the host has a key the shortcut does not model (then the ordinary path is taken).
 *
 * The line is made by one Array.prototype.join, which gives a flat string, and each probe's
 * record is a slice of it (`String.prototype.slice` of a flat string is a SlicedString: no copy).
 * Why (session 9, bench/results/store-2026-12-01-storeperf7.md): JSON.stringify returns a long
 * result as a tree of ConsStrings (V8 builds it in parts), and better-sqlite3 binds a string
 * through v8::String::Utf8Value, which flattens a ConsString first: a new copy of every probe
 * record, made when the batch is written, by then in the old generation, and so in fresh memory
 * (page faults) in a short run; the tree's parts had been promoted there too. Now a probe's record
 * costs no bytes beyond the line, which the writer needs anyway: the batch keeps the line alive
 * (~300 bytes more per host than the record alone) until it is written.
 */
export function serialiseHost(host: HostResult, target: HostTarget): HostStrings | null {
  const h = host as unknown as Record<string, unknown>;
  if ('type' in h || 'target' in h || !Array.isArray(h['probes'])) return null;
  const json = host.probes.map((p) => JSON.stringify(p));
  const info = JSON.stringify({ input: target.input, origin: target.origin, kind: target.kind, domain: target.domain, mx: target.mx });
  // lineParts[0] is the line's head; the parts are joined with ',' once, at the end.
  const lineParts: string[] = [`{"type":"host","target":${info}`];
  const recParts: string[] = [];
  /** Index in lineParts of the "probes" part (-1: none, e.g. a key order without it). */
  let probesAt = -1;
  for (const k of Object.keys(h)) {
    if (k === 'probes') {
      probesAt = lineParts.length;
      lineParts.push(`"probes":[${json.join(',')}]`);
      continue;
    }
    const v = JSON.stringify(h[k]);
    if (v === undefined) continue;
    const part = `${JSON.stringify(k)}:${v}`;
    lineParts.push(part);
    recParts.push(part);
  }
  recParts.push(`"target":${JSON.stringify({ input: target.input, domain: target.domain })}`);
  // The closing brace and LF go into the last part, so that the join's result is the whole line
  // (a `+ '}\n'` after it would make a ConsString again, and slicing that would flatten it).
  lineParts[lineParts.length - 1] += '}\n';
  const line = lineParts.join(',');
  let probes = json;
  if (probesAt >= 0) {
    // Where the probes part starts in the line: the parts before it, each followed by ','.
    let at = 0;
    for (let i = 0; i < probesAt; i++) at += lineParts[i]!.length + 1;
    at += '"probes":['.length;
    probes = json.map((s) => {
      const slice = line.slice(at, at + s.length);
      at += s.length + 1;
      return slice;
    });
  }
  // The host's record, flat for the same reason: '{' and '}' inside the first and last parts.
  recParts[0] = `{${recParts[0]!}`;
  recParts[recParts.length - 1] += '}';
  return { line, record: recParts.join(','), probes };
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
