/**
 * Streaming line readers for mail logs: plain files, `-` (stdin), gzip (detected by its magic
 * bytes 1f 8b, RFC 1952 §2.3.1, not by the file name) and rotated sets.
 *
 * Memory: one chunk (64 KiB: below V8's large-object threshold, so chunks die young) plus at most one partial line. A line longer than `maxLine` is cut to
 * `maxLine` (counted by the caller through onCapped) and the rest of it is skipped without being
 * buffered. A file whose first 8 KiB hold a NUL byte is refused as binary before any line is
 * counted. A truncated or corrupt gzip stream throws LogInputError naming the file AFTER every
 * complete line before the damage was delivered (the partial line at the break is dropped).
 */
import { isAscii } from 'node:buffer';
import { closeSync, openSync, readSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { MxprobeError } from '../errors.js';
import { BINARY_SNIFF_BYTES, openForRead, streamOfFd } from '../io/input.js';

export const MAX_LINE = 65_536;

export type LogInputProblem = 'binary' | 'truncated-gzip' | 'corrupt-gzip' | 'unreadable';

export class LogInputError extends MxprobeError {
  readonly problem: LogInputProblem;
  readonly file: string;
  /** Lines delivered from this file before the error. */
  readonly linesRead: number;
  constructor(problem: LogInputProblem, file: string, linesRead: number, message: string, options?: { cause?: unknown }) {
    super('E_LOG_INPUT', message, options);
    this.name = 'LogInputError';
    this.problem = problem;
    this.file = file;
    this.linesRead = linesRead;
  }
}

export interface LineSink {
  /**
   * One complete line: text[start, end) (no terminator, a CR before LF dropped). `text` holds many
   * lines (one decoded read chunk): reading a line in place, without slicing it, is what keeps
   * `mxprobe logs` fast (fast.ts). Either this or `lines` must be given.
   */
  line?(text: string, start: number, end: number): void;
  /** The same lines as strings, in batches (one per read chunk). */
  lines?(batch: string[]): void;
  /** A line longer than the cap was cut. */
  capped(): void;
  /**
   * Called before the lines of each text handed out: `bytes` when the text was decoded from exactly
   * these bytes and they are all ASCII (so character i of the text is byte i: fastbytes.ts reads
   * them instead of the characters), else null (a cut line, a text with any other byte). Valid
   * until the next call.
   */
  chunk?(bytes: Uint8Array | null, text: string | null): void;
  /**
   * All the lines of an ASCII text (it ends with LF) decoded from `bytes`, at once: the sink splits
   * them as emit() does (range.ts lineSink) and returns how many, or -1 to have them handed out one
   * by one (then chunk() and line() are called as usual).
   */
  asciiChunk?(text: string, bytes: Uint8Array, maxLine: number): number;
}

function toBuf(c: unknown): Buffer {
  return Buffer.isBuffer(c) ? c : Buffer.from(String(c), 'utf8');
}

/** The raw bytes of `src`, gunzipped when they start with the gzip magic (and `gunzip` allows). */
async function* decoded(src: AsyncIterable<unknown>, onGzip: () => void, gunzip: boolean): AsyncGenerator<Buffer> {
  const it = src[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done === true) return;
  const head = toBuf(first.value);
  async function* rest(): AsyncGenerator<Buffer> {
    yield head;
    for (;;) {
      const n = await it.next();
      if (n.done === true) return;
      yield toBuf(n.value);
    }
  }
  if (gunzip && head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    onGzip();
    // Loaded here, not with the module: a plain file never needs them, and the worker thread of a
    // parallel range (range-worker.ts) would otherwise compile stream and zlib at its start.
    const [{ createGunzip }, { Readable }] = await Promise.all([import('node:zlib'), import('node:stream')]);
    const gz = createGunzip();
    const raw = Readable.from(rest());
    raw.on('error', (e) => gz.destroy(e));
    raw.pipe(gz);
    yield* gz as AsyncIterable<Buffer>;
  } else {
    yield* rest();
  }
}

const LF = 10;
const CR = 13;

/**
 * Split a byte stream into lines (LF only; see the file comment for caps). Returns the line count.
 *
 * Works on bytes: each chunk is cut after its last LF and only that part is decoded, as one string,
 * so no line and no UTF-8 sequence is ever split between two decodes (LF is ASCII and never inside
 * a multi-byte sequence), and lines are handed out as ranges of that string. The bytes after the
 * last LF wait (as bytes) for the next chunk. The cap counts UTF-16 code units of the decoded line,
 * as String.length does.
 */
export interface ReadOptions {
  /**
   * False for a part of a file that does not start it (a parallel range, run.ts): the file was
   * probed for NUL bytes and gzip magic at its start, and bytes in the middle mean nothing of the sort.
   */
  fileStart?: boolean;
  /** Lines of the same file read before this part (error messages count from the file's start). */
  linesBefore?: number;
}

export async function readLines(src: AsyncIterable<unknown>, label: string, sink: LineSink, maxLine = MAX_LINE, ro: ReadOptions = {}): Promise<{ lines: number; gzip: boolean }> {
  let carry: Buffer | null = null;
  let skipping = false;
  let lines = 0;
  let gzip = false;
  const fileStart = ro.fileStart ?? true;
  let probed = !fileStart;
  let batch: string[] | null = null;
  const put =
    sink.line !== undefined
      ? sink.line.bind(sink)
      : (text: string, a: number, b: number): void => {
          (batch ??= []).push(text.slice(a, b));
        };
  const flush = (): void => {
    if (batch !== null && batch.length > 0 && sink.lines !== undefined) sink.lines(batch);
    batch = null;
  };
  /** Hand out every line of `text`: each ends with LF, except (when `final`) the last one. */
  const emit = (text: string, final: boolean): void => {
    let pos = 0;
    const n = text.length;
    while (pos < n) {
      let nl = text.indexOf('\n', pos);
      if (nl < 0) nl = n;
      let end = nl;
      if (end > pos && text.charCodeAt(end - 1) === CR) end--;
      if (end - pos > maxLine) {
        sink.capped();
        const cut = text.slice(pos, pos + maxLine);
        lines++;
        put(cut, 0, cut.length);
      } else if (!(final && nl === n && end === pos)) {
        // (At the very end, an empty last piece is not a line: "a\n" is one line, as is "a\n\r".)
        lines++;
        put(text, pos, end);
      }
      pos = nl + 1;
    }
    flush();
  };
  /** The over-long start of a line with no LF yet: keep its first maxLine characters as a line, skip the rest. */
  const cutCarry = (): void => {
    if (carry === null || carry.length <= maxLine) return;
    const str = carry.toString('utf8');
    // One character more than the cap may still be the CR of a CRLF line of exactly maxLine.
    if (str.length <= maxLine || (str.length === maxLine + 1 && str.charCodeAt(maxLine) === CR)) return;
    const cut = str.slice(0, maxLine);
    carry = null;
    sink.chunk?.(null, null);
    lines++;
    sink.capped();
    put(cut, 0, cut.length);
    flush();
    skipping = true;
  };
  try {
    for await (let chunk of decoded(src, () => (gzip = true), fileStart)) {
      if (!probed) {
        probed = true;
        const probe = chunk.subarray(0, BINARY_SNIFF_BYTES);
        if (probe.includes(0)) throw new LogInputError('binary', label, 0, `${label}: refusing a binary file (NUL bytes in the first ${BINARY_SNIFF_BYTES} bytes); pass a text mail log or a .gz of one`);
      }
      if (skipping) {
        // Still inside an over-long line: drop everything up to its end.
        const nl = chunk.indexOf(LF);
        if (nl < 0) continue;
        chunk = chunk.subarray(nl + 1);
        skipping = false;
      }
      const last = chunk.lastIndexOf(LF);
      if (last < 0) {
        carry = carry === null ? Buffer.from(chunk) : Buffer.concat([carry, chunk]);
        cutCarry();
        continue;
      }
      let from = 0;
      if (carry !== null) {
        // The line begun in the chunk before: joined as bytes (a UTF-8 sequence may span the
        // chunks), alone, so the rest of the chunk is decoded without copying it first.
        const first = chunk.indexOf(LF);
        const joined = Buffer.concat([carry, chunk.subarray(0, first + 1)]);
        carry = null;
        const jt = joined.toString('utf8');
        // Its bytes too when ASCII: one such line per chunk (~1,900 per 1M lines) was enough to
        // make V8 optimise the whole character path (fast.ts) as well, a second large compile.
        sink.chunk?.(isAscii(joined) ? joined : null, jt);
        emit(jt, false);
        from = first + 1;
      }
      if (from <= last) {
        const bytes = chunk.subarray(from, last + 1);
        const ascii = isAscii(bytes);
        // ASCII bytes decode to the same characters as latin1 and as UTF-8; latin1 is a plain copy,
        // where the UTF-8 decoder scans the block again (110 M instructions on the 1M-line log).
        const text = chunk.toString(ascii ? 'latin1' : 'utf8', from, last + 1);
        let done = -1;
        if (sink.chunk !== undefined) {
          if (ascii && sink.asciiChunk !== undefined) done = sink.asciiChunk(text, bytes, maxLine);
          if (done < 0) sink.chunk(ascii ? bytes : null, text);
        }
        if (done >= 0) lines += done;
        else emit(text, false);
      }
      // Copied: the source may reuse its buffer (and a subarray would pin the whole chunk).
      carry = last + 1 < chunk.length ? Buffer.from(chunk.subarray(last + 1)) : null;
      cutCarry();
    }
  } catch (e) {
    if (e instanceof LogInputError) throw e;
    lines += ro.linesBefore ?? 0;
    const err = e as NodeJS.ErrnoException;
    if (gzip && (err.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(err.message))) {
      throw new LogInputError('truncated-gzip', label, lines, `${label}: truncated gzip file: ${lines} complete line(s) were read and counted before the data ended`, { cause: e });
    }
    if (gzip && typeof err.code === 'string' && err.code.startsWith('Z_')) {
      throw new LogInputError('corrupt-gzip', label, lines, `${label}: corrupt gzip data after ${lines} line(s) (${err.message})`, { cause: e });
    }
    throw new LogInputError('unreadable', label, lines, `${label}: cannot read: ${err.message}`, { cause: e });
  }
  if (!skipping && carry !== null) {
    sink.chunk?.(null, null);
    emit(carry.toString('utf8'), true);
  }
  return { lines, gzip };
}

export interface LogSource {
  /** As given on the command line ("-" for stdin). */
  label: string;
  /** The full path of a file source (a regular file may be split into parallel ranges, run.ts). */
  path?: string;
  open(): AsyncIterable<unknown>;
  /** The time of the source's last line, for syslog year inference: file mtime, or now for stdin. */
  reference(): Promise<Date>;
}

const CHUNK = 1 << 16;

/**
 * A regular file's bytes in 64 KiB chunks, read with readSync: a CLI that reads one file start to
 * end has nothing to overlap with the read, and a read stream's machinery (thread-pool round trip,
 * stream state, events per chunk) cost about 0.2 s per 120 MB in the bench, a fifth of the goal.
 * Each chunk is a fresh buffer (gunzip may still hold the last one). Every 64 chunks the generator
 * lets the event loop turn, so signals and timers are served during a long read. `start`/`end`:
 * the byte range [start, end) of the file (a parallel range, run.ts); the end is the file's end.
 */
export async function* fileChunks(path: string, start = 0, end = Infinity): AsyncGenerator<Buffer> {
  yield* fdChunks(openSync(path, 'r'), start, end);
}

/** fileChunks on a descriptor already open on a regular file; closes it when done. */
async function* fdChunks(fd: number, start = 0, end = Infinity): AsyncGenerator<Buffer> {
  try {
    let pos = start;
    // After a first chunk that is not gzip, one buffer serves every read: readLines() is done
    // with a chunk (it copies what it keeps) before it asks for the next, and 120 MB of fresh
    // external buffers cost V8 garbage collections (~20 ms CPU per 1M lines, measured). A gzip
    // file gets a fresh buffer per read: gunzip may still hold the ones before.
    let reuse: Buffer | null = null;
    for (let n = 1; pos < end; n++) {
      const want = Math.min(CHUNK, end - pos);
      const buf = reuse ?? Buffer.allocUnsafeSlow(want);
      const got = readSync(fd, buf, 0, want, pos);
      if (got === 0) return;
      if (n === 1 && want === CHUNK && !(got >= 2 && buf[0] === 0x1f && buf[1] === 0x8b)) reuse = Buffer.allocUnsafeSlow(CHUNK);
      pos += got;
      yield got < buf.length ? buf.subarray(0, got) : buf;
      if (n % 64 === 0) await new Promise<void>((r) => setImmediate(r));
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Any path's bytes: a regular file through positioned reads (fdChunks); anything else (a FIFO,
 * `<(zcat …)`'s /dev/fd/N pipe, a character device) cannot seek (positioned reads fail with ESPIPE),
 * so it is read in order from the same descriptor (src/io/input.ts).
 */
async function* pathChunks(path: string): AsyncGenerator<Buffer> {
  const { fd, stat } = await openForRead(path);
  if (stat.isFile()) {
    yield* fdChunks(fd);
    return;
  }
  const stream = await streamOfFd(fd, stat);
  try {
    for await (const chunk of stream) yield chunk;
  } finally {
    stream.destroy();
  }
}

export function fileSource(path: string, cwd: string): LogSource {
  const full = resolve(cwd, path);
  return {
    label: path,
    path: full,
    open: () => pathChunks(full),
    reference: async () => {
      try {
        return (await stat(full)).mtime;
      } catch {
        return new Date();
      }
    },
  };
}

export function streamSource(label: string, stream: AsyncIterable<unknown>, now: () => Date = () => new Date()): LogSource {
  return { label, open: () => stream, reference: async () => now() };
}

/**
 * Rotated sets oldest first: "mail.log mail.log.1 mail.log.2.gz" is read as .2.gz, .1, then mail.log,
 * so a message deferred in yesterday's file and delivered in today's is seen in order. Only files
 * sharing one base name are reordered; any other list is read as given.
 */
export function orderRotated(paths: readonly string[]): string[] {
  const parsed = paths.map((p) => {
    const m = /^(.*?)(?:[.-](\d+))?(?:\.gz)?$/.exec(basename(p));
    return { p, base: m?.[1] ?? p, n: m?.[2] !== undefined ? Number(m[2]) : 0 };
  });
  if (paths.length < 2 || paths.includes('-') || new Set(parsed.map((x) => x.base)).size !== 1) return [...paths];
  return parsed.sort((a, b) => b.n - a.n).map((x) => x.p);
}
