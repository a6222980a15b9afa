/**
 * Parallel parse of one large log file (issue 14: `mxprobe logs` at 10x pflogsumm's speed): the
 * file is cut at a line boundary into two byte ranges; the first is counted on the main thread
 * while a worker thread (range-worker.ts) counts the second into its own LogAggregator, which then
 * merges into the main one exactly as if its lines had been read there (LogAggregator.mergeRange).
 *
 * What the second range cannot know alone is the state the first leaves behind:
 * - the syslog year (YearTracker): the plan guesses it (the first line's year, no wrap in the first
 *   range, the month of its last line) and the run checks the guess when the first range is done;
 * - queue ids and smtpd sessions open across the cut: recorded by the range and replayed at the merge.
 * Whenever an assumption fails (a year wrap in the first range, an Exim continuation at the cut,
 * a cap in reach, a queue id that may be reused, a worker error) the run counts the second range
 * on the main thread instead, from the state the first range left: the result is the same, only
 * slower. Pure apart from the file reads; the worker is injected (RangeRunner).
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { LogAggregator, type AggregateOptions, type RangeSnapshot } from './aggregate.js';
import type { LogFormat } from './events.js';
import { fastLine } from './fast.js';
import { fastBytes, HANDLED, TRY_STRINGS } from './fastbytes.js';
import { classicStamp, YearTracker } from './header.js';
import { newParseContext, parseLine, type ParseContext } from './parse.js';
import { fileChunks, MAX_LINE, readLines } from './read.js';

/** One range for a worker: everything it needs is plain data (worker_threads workerData). */
export interface RangeJob {
  path: string;
  label: string;
  /** First byte of the range (just after a LF); the range runs to the file's end. */
  start: number;
  agg: AggregateOptions;
  format: LogFormat;
  relay: string;
  year: number | null;
  /** The file's reference time (ms), for YearTracker. */
  reference: number;
  /** The YearTracker state the range starts from (the plan's guess of the first range's end state). */
  yearState: [number | null, number];
  bloomBits: number;
}

export type RangeResult = { ok: true; lines: number; snapshot: RangeSnapshot; cpuMs: number | null } | { ok: false; reason: string };

/**
 * CPU time of the calling thread (Linux /proc/thread-self/stat, clock ticks of 10 ms), or null: the
 * bench's per-thread figures (wall time on a shared machine says little).
 */
export function threadCpuMs(): number | null {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return null;
  }
}

/** Runs a range somewhere (a worker thread in the CLI, in-process in tests); cancel() stops it early. */
export type RangeRunner = (job: RangeJob) => { result: Promise<RangeResult>; cancel(): void };

/**
 * The line sink every reader of the run uses: the byte-level fast path on ASCII chunks
 * (fastbytes.ts), the fast path on characters (fast.ts), else parseLine + add.
 */
export function lineSink(ctx: ParseContext, agg: LogAggregator, stats?: { bytes: number }) {
  let bytes: Uint8Array | null = null;
  let btext: string | null = null;
  const classic = ctx.format === 'auto' || ctx.format === 'syslog';
  return {
    chunk(b: Uint8Array | null, text: string | null): void {
      const on = b !== null && classic;
      bytes = on ? b : null;
      btext = on ? text : null;
    },
    line(text: string, s: number, e: number): void {
      if (bytes !== null && text === btext) {
        const v = fastBytes(text, bytes, s, e, ctx, agg);
        if (v === HANDLED) {
          if (stats !== undefined) stats.bytes++; // (tests: the byte path really ran)
          return;
        }
        if (v === TRY_STRINGS && fastLine(text, s, e, ctx, agg)) return;
      } else if (fastLine(text, s, e, ctx, agg)) return;
      if (text.charCodeAt(s) === 123 /* { */ && agg.ranged) agg.refuseRange(); // (see refuseRange)
      const line = text.slice(s, e);
      agg.add(parseLine(line, ctx), line);
    },
    capped(): void {
      agg.noteCapped();
    },
    /**
     * read.ts emit() for a whole ASCII chunk (text ends with LF), its loop fused with the byte
     * path: one call per chunk instead of two per line. The same lines: cut at LF, a CR before it
     * dropped, a line over `maxLine` cut (counted by capped()) and read from the cut string.
     */
    asciiChunk(text: string, b: Uint8Array, maxLine: number): number {
      if (!classic) return -1;
      const ranged = agg.ranged;
      let pos = 0;
      let lines = 0;
      const n = text.length;
      while (pos < n) {
        const nl = text.indexOf('\n', pos);
        let end = nl < 0 ? n : nl;
        if (end > pos && b[end - 1] === 13) end--;
        lines++;
        if (end - pos > maxLine) {
          agg.noteCapped();
          const cut = text.slice(pos, pos + maxLine);
          this.chunk(null, null);
          this.line(cut, 0, cut.length);
        } else {
          const v = fastBytes(text, b, pos, end, ctx, agg);
          if (v === HANDLED) {
            if (stats !== undefined) stats.bytes++;
          } else if (!(v === TRY_STRINGS && fastLine(text, pos, end, ctx, agg))) {
            if (ranged && b[pos] === 123 /* { */) agg.refuseRange(); // (as line() does)
            const line = text.slice(pos, end);
            agg.add(parseLine(line, ctx), line);
          }
        }
        pos = (nl < 0 ? n : nl) + 1;
      }
      return lines;
    },
  };
}

export function trackerFor(reference: Date, year: number | null): YearTracker {
  return year !== null ? YearTracker.fixed(year) : YearTracker.fromDate(reference);
}

/** Count the range [job.start, end of file) into a fresh range aggregator. */
export async function countRange(job: RangeJob): Promise<RangeResult> {
  const agg = new LogAggregator(job.agg);
  agg.startRange(job.bloomBits);
  const ctx = newParseContext(job.format, new Date(job.reference), job.relay, job.year ?? undefined);
  ctx.years.restore(job.yearState);
  try {
    const r = await readLines(fileChunks(job.path, job.start), job.label, lineSink(ctx, agg), MAX_LINE, { fileStart: false });
    return { ok: true, lines: r.lines, snapshot: agg.snapshot(), cpuMs: threadCpuMs() };
  } catch (e) {
    return { ok: false, reason: e instanceof Error ? e.message : String(e) };
  }
}

export interface SplitPlan {
  /** The second range starts here (just after a LF). */
  boundary: number;
  /** The YearTracker state the first range is expected to end in. */
  yearState: [number | null, number];
  /** log2 of the Bloom filter size for the second range. */
  bloomBits: number;
}

const PROBE = 1 << 16;

function readAt(fd: number, pos: number, len: number): Buffer {
  const buf = Buffer.alloc(len);
  const got = readSync(fd, buf, 0, len, pos);
  return buf.subarray(0, got);
}

/** The month of a classic stamp at the start of `line` (via classicStamp on a throwaway tracker), or -1. */
function stampMonth(line: string): number {
  const t = YearTracker.fixed(2000);
  if (Number.isNaN(classicStamp(line, t))) return -1;
  return t.state()[1];
}

/**
 * Where to cut `path` (at about `share` of its size, after a LF), and the year state the first
 * range should end in; null when the file is not worth splitting or not a classic-syslog text log
 * (gzip, no stamp on its first line or just before the cut, another --log-format), or outside
 * [minBytes, maxBytes].
 */
export function planSplit(path: string, format: LogFormat, reference: Date, year: number | null, minBytes: number, share = 0.5, maxBytes = Infinity): SplitPlan | null {
  if (format !== 'auto' && format !== 'syslog') return null;
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size < minBytes || st.size > maxBytes) return null;
    const head = readAt(fd, 0, PROBE);
    if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return null;
    const nl = head.indexOf(10);
    if (nl < 0) return null;
    const tracker = trackerFor(reference, year);
    if (Number.isNaN(classicStamp(head.toString('utf8', 0, nl), tracker))) return null;
    const mid = Math.floor(st.size * share);
    const at = readAt(fd, mid, PROBE);
    const cut = at.indexOf(10);
    if (cut < 0) return null;
    const boundary = mid + cut + 1;
    if (boundary >= st.size) return null;
    // The last line of the first range: it ends with the LF at boundary - 1.
    const from = Math.max(0, boundary - 1 - PROBE);
    const before = readAt(fd, from, boundary - 1 - from);
    const prev = before.lastIndexOf(10);
    if (prev < 0 && from > 0) return null;
    let last = before.subarray(prev + 1);
    if (last.length > 0 && last[last.length - 1] === 13) last = last.subarray(0, last.length - 1);
    const month = stampMonth(last.toString('utf8'));
    if (month < 0) return null;
    // About 200 bits per queue id the range may see born (a message is ~120 bytes a line, ~6
    // lines): with 3 hashes, a false "maybe reused" per open queue id at the cut of about 2.5e-6.
    const bloomBits = Math.min(27, Math.max(16, Math.round(Math.log2(((st.size - boundary) / 700) * 200))));
    return { boundary, yearState: [tracker.state()[0], month], bloomBits };
  } finally {
    closeSync(fd);
  }
}
