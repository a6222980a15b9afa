/**
 * The store writer thread's input: the run's NDJSON lines, the very lines `-o` gets (report/json.ts
 * ndjsonHost, ndjsonTarget), as UTF-8 bytes in chunks that are moved to the thread, not copied.
 *
 * Why lines and not rows (session 13): on the prober's thread a host's rows (keys, the brief, the
 * record columns) and its insert cost ~120 µs, about a quarter of what probing the host costs there
 * (bench/results/store-2026-12-02-lines.md), and the prober's thread is what bounds a large run's
 * speed. The line is made for `-o` anyway; copying it into a chunk is ~1 µs. The thread parses it
 * back and does everything else (rows.ts, the inserts and commits) beside the prober. Rows built
 * here and cloned to the thread (the writer thread of sessions 6-12) left most of that cost here.
 *
 * A line never holds a raw LF: JSON.stringify escapes every control character inside strings and
 * writes no whitespace, so LF is a safe separator.
 */
import type { HostResult, TargetResult } from '../results.js';
import { hostRecord } from './rows.js';
import type { HostStrings } from './serialise.js';
import { StoreError, type HostTarget } from './types.js';

/** Bytes of one chunk. A line longer than a chunk gets a chunk of its own. */
export const LINE_CHUNK = 1 << 20;

/** A chunk of complete lines: `buf` holds `len` bytes of them. */
export interface LineChunk {
  buf: Buffer;
  len: number;
}

/**
 * Collects lines into chunks. `add` returns the chunk that just became full (to be sent), or null;
 * `take` the partly filled one. Chunks given back (`reuse`) are filled again.
 */
export class LineChunker {
  private cur: Buffer | null = null;
  private len = 0;
  private readonly free: Buffer[] = [];

  constructor(private readonly size: number = LINE_CHUNK) {}

  /** Bytes in the chunk being filled. */
  get pending(): number {
    return this.len;
  }

  add(line: string): LineChunk[] {
    const out: LineChunk[] = [];
    // UTF-8 needs at most 3 bytes per UTF-16 unit (a surrogate pair: 4 bytes for 2 units).
    const most = line.length * 3;
    if (most > this.size) {
      // Longer than any chunk: what is pending goes first, to keep the order, then the line alone.
      const before = this.take();
      if (before) out.push(before);
      // allocUnsafeSlow: an ArrayBuffer of its own, never Node's shared pool, so that moving it to
      // the thread cannot detach the pool (Buffer.from would pool a short string).
      const buf = Buffer.allocUnsafeSlow(Buffer.byteLength(line, 'utf8'));
      buf.write(line, 0, 'utf8');
      out.push({ buf, len: buf.length });
      return out;
    }
    if (this.cur !== null && this.len + most > this.size) {
      const full = this.take();
      if (full) out.push(full);
    }
    if (this.cur === null) {
      // Its own ArrayBuffer (never Node's shared pool), so that it can be transferred to the thread.
      this.cur = this.free.pop() ?? Buffer.allocUnsafeSlow(this.size);
      this.len = 0;
    }
    this.len += this.cur.write(line, this.len, 'utf8');
    return out;
  }

  take(): LineChunk | null {
    if (this.cur === null || this.len === 0) return null;
    const c = { buf: this.cur, len: this.len };
    this.cur = null;
    this.len = 0;
    return c;
  }

  /** A chunk the thread is done with, back for filling (only chunk-sized ones are kept). */
  reuse(buf: Buffer): void {
    if (buf.length === this.size && this.free.length < 8) this.free.push(buf);
  }
}

/** The lines of a chunk, in order (each without its LF). */
export function* chunkLines(buf: Buffer, len: number): Generator<string> {
  let at = 0;
  while (at < len) {
    let end = buf.indexOf(10, at);
    if (end < 0 || end > len) end = len;
    if (end > at) yield buf.toString('utf8', at, end);
    at = end + 1;
  }
}

/**
 * A host line as the store writes it: the host, its target's identity, and each probe's JSON text
 * as it stands in the line (the probes' record columns), or null when the line could not be read
 * that way (then the records are made from the objects, rows.ts probeRow).
 */
export type FedLine = { kind: 'host'; host: HostResult; target: HostTarget; probeTexts: string[] | null } | { kind: 'target'; target: TargetResult };

/**
 * One NDJSON line back into what the store writes: a host with its target's identity (the line's
 * `target`), or a target without its hosts. The inverse of ndjsonHost/ndjsonTarget: the host's own
 * keys keep their order, so its stored record is the bytes the prober's thread would have stored.
 */
export function parseLine(line: string): FedLine {
  const rec = JSON.parse(line) as { type?: unknown; target?: unknown } & Record<string, unknown>;
  if (rec.type === 'host') {
    const { type: _type, target, ...host } = rec;
    const probes = (host as { probes?: unknown }).probes;
    const texts = Array.isArray(probes) ? probeTexts(line, probes.length) : null;
    return { kind: 'host', host: host as unknown as HostResult, target: target as HostTarget, probeTexts: texts };
  }
  if (rec.type === 'target') {
    const { type: _type, ...target } = rec;
    return { kind: 'target', target: target as unknown as TargetResult };
  }
  throw new StoreError('E_STORE_WRITE', `store writer thread: a line of type ${JSON.stringify(rec.type)}, expected host or target`);
}

/** What storeChunk writes into: a StoreSink (sink.ts). */
export interface LineSink {
  host(host: HostResult, target: HostTarget, pre?: HostStrings | null): Promise<void>;
  target(t: TargetResult): Promise<void>;
  fail(e: unknown): void;
}

/**
 * Store a chunk's lines, in order, waiting whenever the sink asks (backpressure). A line that does
 * not read back (never one ndjsonHost/ndjsonTarget made) fails the sink: the run is then not stored
 * completely and says so, as after a failed write.
 */
export async function storeChunk(chunk: LineChunk, sink: LineSink): Promise<void> {
  for (const line of chunkLines(chunk.buf, chunk.len)) {
    let fed: FedLine;
    try {
      fed = parseLine(line);
    } catch (e) {
      sink.fail(e);
      return;
    }
    if (fed.kind === 'target') await sink.target(fed.target);
    else await sink.host(fed.host, fed.target, fed.probeTexts ? { line, record: hostRecord(fed.host, fed.target), probes: fed.probeTexts } : null);
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJ = 0x7b;
const CLOSE_OBJ = 0x7d;
const OPEN_ARR = 0x5b;
const CLOSE_ARR = 0x5d;

/** The index just past the JSON string that starts at `i` (a quote). */
function skipString(s: string, i: number): number {
  let j = i + 1;
  for (;;) {
    const k = s.indexOf('"', j);
    if (k < 0) return -1;
    // Escaped when an odd number of backslashes stands before it.
    let b = 0;
    for (let m = k - 1; s.charCodeAt(m) === BACKSLASH; m--) b++;
    if (b % 2 === 0) return k + 1;
    j = k + 1;
  }
}

/** The index just past the JSON value that starts at `i`; -1 if the text ends first. */
function skipValue(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c === QUOTE) return skipString(s, i);
  if (c === OPEN_OBJ || c === OPEN_ARR) {
    let depth = 0;
    for (let j = i; j < s.length; ) {
      const ch = s.charCodeAt(j);
      if (ch === QUOTE) {
        j = skipString(s, j);
        if (j < 0) return -1;
        continue;
      }
      if (ch === OPEN_OBJ || ch === OPEN_ARR) depth++;
      else if (ch === CLOSE_OBJ || ch === CLOSE_ARR) {
        depth--;
        if (depth === 0) return j + 1;
      }
      j++;
    }
    return -1;
  }
  // A number, true, false or null: up to the next separator.
  let j = i;
  while (j < s.length) {
    const ch = s.charCodeAt(j);
    if (ch === COMMA || ch === CLOSE_OBJ || ch === CLOSE_ARR) break;
    j++;
  }
  return j;
}

/**
 * The JSON text of each element of the top-level "probes" array of a line JSON.stringify wrote (no
 * whitespace), as slices of the line: exactly JSON.stringify(probe) of the parsed probe, since
 * JSON.stringify writes a nested value as it would write it alone. Why: re-serialising each parsed
 * probe was the store writer thread's largest cost after parsing (~20 µs a probe); finding the
 * slices is a scan that jumps over strings. null when the line does not read as expected (`count`
 * elements), and the caller serialises instead.
 */
export function probeTexts(line: string, count: number): string[] | null {
  if (line.charCodeAt(0) !== OPEN_OBJ) return null;
  let i = 1;
  while (i < line.length && line.charCodeAt(i) === QUOTE) {
    const keyEnd = skipString(line, i);
    if (keyEnd < 0 || line.charCodeAt(keyEnd) !== COLON) return null;
    const isProbes = keyEnd - i === 8 && line.startsWith('"probes"', i);
    i = keyEnd + 1;
    if (isProbes) {
      if (line.charCodeAt(i) !== OPEN_ARR) return null;
      i++;
      const out: string[] = [];
      while (line.charCodeAt(i) !== CLOSE_ARR) {
        const end = skipValue(line, i);
        if (end < 0) return null;
        out.push(line.slice(i, end));
        i = end;
        if (line.charCodeAt(i) === COMMA) i++;
        else if (line.charCodeAt(i) !== CLOSE_ARR) return null;
      }
      return out.length === count ? out : null;
    }
    i = skipValue(line, i);
    if (i < 0) return null;
    if (line.charCodeAt(i) === COMMA) i++;
  }
  return null;
}
