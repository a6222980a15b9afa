/**
 * Reading targets from argv, files and stdin, streaming, with file:line origins.
 *
 * Memory: files are streamed chunk by chunk and split into lines here; a line longer than
 * MAX_LINE_LENGTH is reported invalid and not buffered past that cap, so a 100k-line file or a binary
 * file never sits in memory. De-duplication keeps one short key per distinct target (a few MB for
 * 100k targets), which is the price of "first occurrence wins".
 *
 * Why not node:readline: it splits on a lone CR as well as LF, which would silently turn "a\rb" into two
 * targets instead of reporting the CR, and its async iterator has a history of not surfacing input
 * stream errors. Our splitter treats LF as the only terminator (dropping one CR before it, for CRLF
 * files) and lets read errors propagate through `for await`.
 *
 * Two passes: the CLI validates every source first (validateTargets) and only then streams targets to
 * the probes (readTargets). Files and argv are simply read again. Stdin can be read only once, so the
 * validation pass keeps stdin's non-blank lines in memory (about 3 MB of text for 100k lines, which we
 * accept rather than spool to a temp file) and the second pass replays them; see `stdinReplay`.
 * A caller may ask the validation pass to keep up to `keep` valid targets (ValidateOptions): a run
 * of at most that many then skips the second pass entirely (issue 13: parsing twice was a visible
 * part of a short run's CPU); a longer input is streamed again as before, so memory stays bounded.
 */
import { BINARY_SNIFF_BYTES, openForRead, streamOfFd } from '../io/input.js';
import { resolve } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { InterruptedError, TargetInputError, UsageError } from '../errors.js';
import { MAX_LINE_LENGTH, parseTargetLine, targetKey, type ParseLine, type Target } from './parse.js';

export interface TargetSourceSpec {
  /** Targets given on the command line, one per item; origin "argv:N" (1-based). */
  args: string[];
  /** Files to read in order; "-" means `stdin` (at most once). Origin "path:line" with the path as given. */
  files: string[];
  stdin?: NodeJS.ReadableStream;
  /** Directory relative file paths are opened from (the CLI passes its context cwd); default process.cwd(). */
  cwd?: string;
}

/** One problem for TargetInputError: `line` is 1-based, or 0 when the whole source failed (unreadable file). */
export interface TargetProblem {
  source: string;
  line: number;
  input: string;
  reason: string;
}

/**
 * What readTargets yields: a parse result with where it came from and the line text (trimmed, capped at
 * 200 characters, for error messages). Blank and comment lines (`ok: 'skip'`) are never yielded, and
 * neither are duplicates.
 */
export type TargetLine = Exclude<ParseLine, { ok: 'skip' }> & { origin: string; lineNo: number; source: string; input: string };

export interface ReadHooks {
  /** Called for every target equal (kind + name + port) to an earlier one; the duplicate is not yielded. */
  onDuplicate?: (t: Target, firstOrigin: string) => void;
}

interface RawLine {
  text: string;
  lineNo: number;
  tooLong: boolean;
}

const INPUT_EXCERPT = 200;

/**
 * Split a byte/string stream into lines on LF. UTF-8 is decoded across chunk boundaries; a BOM on the
 * first line is dropped; one CR before LF is dropped. Lines over MAX_LINE_LENGTH are flagged and only
 * their start is kept.
 */
async function* splitLines(chunks: AsyncIterable<unknown>): AsyncGenerator<RawLine> {
  const decoder = new StringDecoder('utf8');
  let partial = '';
  let tooLong = false;
  let lineNo = 0;
  const append = (piece: string): void => {
    if (tooLong || piece === '') return;
    partial += piece;
    if (partial.length > MAX_LINE_LENGTH + 1 /* room for the CR of CRLF */) {
      tooLong = true;
      partial = partial.slice(0, INPUT_EXCERPT);
    }
  };
  const emit = (): RawLine => {
    lineNo++;
    let text = partial;
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (lineNo === 1 && text.startsWith('\ufeff')) text = text.slice(1);
    const line = { text, lineNo, tooLong };
    partial = '';
    tooLong = false;
    return line;
  };
  for await (const chunk of chunks) {
    const text = typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer);
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl === -1) {
        append(text.slice(start));
        break;
      }
      append(text.slice(start, nl));
      yield emit();
      start = nl + 1;
    }
  }
  append(decoder.end());
  if (partial !== '' || tooLong) yield emit();
}

/**
 * Pass the chunks through, refusing the source when a NUL byte appears in its first 8 KiB: a
 * binary file is not a targets list, and read line by line it gave one garbage error per LF byte,
 * while /dev/zero (no LF ever) was read forever. A NUL later in a text file is still reported on
 * its own line by the parser.
 */
async function* refuseBinary(chunks: AsyncIterable<unknown>, source: string): AsyncGenerator<unknown> {
  let seen = 0;
  for await (const chunk of chunks) {
    if (seen < BINARY_SNIFF_BYTES) {
      const head = typeof chunk === 'string' ? chunk.slice(0, BINARY_SNIFF_BYTES - seen) : (chunk as Buffer).subarray(0, BINARY_SNIFF_BYTES - seen);
      const nul = typeof head === 'string' ? head.indexOf('\0') : head.indexOf(0);
      if (nul !== -1) {
        throw new TargetInputError([{ source, line: 0, input: '', reason: `binary file (NUL byte at offset ${seen + nul}, within the first ${BINARY_SNIFF_BYTES} bytes), not a text list` }]);
      }
      seen += head.length;
    }
    yield chunk;
  }
}

function describeError(err: unknown, what = 'targets file'): string {
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : 'EIO';
  const message = typeof e.message === 'string' ? e.message : String(err);
  switch (code) {
    case 'ENOENT':
      return `cannot read ${what}: no such file`;
    case 'EACCES':
    case 'EPERM':
      return `cannot read ${what}: permission denied`;
    case 'EISDIR':
      return `cannot read ${what}: it is a directory`;
    default:
      // Node's message already starts with the code ("ENOTDIR: not a directory, open …"): say it once.
      return `cannot read ${what}: ${message.startsWith(`${code}: `) ? message : `${code}: ${message}`}`;
  }
}

/**
 * The lines of any line-oriented input file the CLI reads besides targets (`lint --fleet`), with
 * the same bounds: refused as binary on NUL in the first 8 KiB, and a line over MAX_LINE_LENGTH
 * is a TargetInputError at `path:line` instead of a buffer that grows until the process dies.
 */
export async function* boundedTextLines(chunks: AsyncIterable<unknown>, source: string): AsyncGenerator<string> {
  try {
    for await (const raw of splitLines(refuseBinary(chunks, source))) {
      if (raw.tooLong) throw new TargetInputError([{ source, line: raw.lineNo, input: raw.text, reason: `line longer than ${MAX_LINE_LENGTH} characters` }]);
      yield raw.text;
    }
  } catch (err) {
    // Read errors, as in fileLines: a directory opens and fails only at the first read (EISDIR),
    // which `lint --fleet DIR` reported as "internal error", exit 1. Errors of the consumer never
    // come back into a generator through `yield`, so only I/O failures are wrapped here.
    if (err instanceof TargetInputError) throw err;
    throw new TargetInputError([{ source, line: 0, input: '', reason: describeError(err, 'file') }]);
  }
}

/** A readable stream over a path, FIFOs included (src/io/input.ts). */
export async function openInputStream(path: string): Promise<NodeJS.ReadableStream & { destroy(): void }> {
  const { fd, stat } = await openForRead(path);
  return streamOfFd(fd, stat);
}

async function* fileLines(spec: TargetSourceSpec, file: string): AsyncGenerator<RawLine> {
  let stream;
  try {
    stream = await openInputStream(resolve(spec.cwd ?? process.cwd(), file));
  } catch (err) {
    throw new TargetInputError([{ source: file, line: 0, input: '', reason: describeError(err) }]);
  }
  try {
    yield* splitLines(refuseBinary(stream, file));
  } catch (err) {
    // Read errors (EISDIR surfaces here on Linux, EIO on a failing disk). Consumer errors never come
    // back into a generator through `yield`, so this only wraps I/O failures.
    if (err instanceof TargetInputError) throw err;
    throw new TargetInputError([{ source: file, line: 0, input: '', reason: describeError(err) }]);
  } finally {
    stream.destroy();
  }
}

/**
 * Stdin lines kept by the validation pass, keyed by the stream, so readTargets can replay them.
 * Only non-blank lines are kept (with their numbers).
 */
const stdinReplay = new WeakMap<object, RawLine[]>();

async function* stdinLines(stdin: NodeJS.ReadableStream, keep: boolean): AsyncGenerator<RawLine> {
  const kept = stdinReplay.get(stdin);
  if (kept !== undefined) {
    yield* kept;
    return;
  }
  const lines: RawLine[] = [];
  try {
    for await (const line of splitLines(refuseBinary(stdin, 'stdin'))) {
      if (keep && line.text.trim() !== '') lines.push(line);
      yield line;
    }
  } catch (err) {
    if (err instanceof TargetInputError) throw err;
    throw new TargetInputError([{ source: 'stdin', line: 0, input: '', reason: `cannot read targets from stdin: ${describeError(err).replace(/^cannot read targets file: /, '')}` }]);
  }
  if (keep) stdinReplay.set(stdin, lines);
}

function checkSpec(spec: TargetSourceSpec): void {
  const dashes = spec.files.filter((f) => f === '-').length;
  if (dashes > 1) throw new UsageError('stdin ("-") can be given only once as a targets source');
  if (dashes === 1 && spec.stdin === undefined) throw new UsageError('"-" given as a targets file but no stdin is available');
}

interface IterateOptions {
  /** Validation pass: keep stdin for replay. */
  keepStdin: boolean;
  /** When set, an unreadable file is reported here and skipped instead of thrown. */
  onUnreadable?: (problem: TargetProblem) => void;
}

async function* iterate(spec: TargetSourceSpec, hooks: ReadHooks | undefined, opts: IterateOptions): AsyncGenerator<TargetLine> {
  checkSpec(spec);
  // Target key → where it first appeared, packed as sourceIndex·2³² + line so that a 100k-target
  // run keeps one number per target rather than a second string.
  const seen = new Map<string, number>();
  const sourceNames: string[] = [];
  const sourceIndex = (source: string): number => {
    const i = sourceNames.indexOf(source);
    return i >= 0 ? i : sourceNames.push(source) - 1;
  };

  function classify(raw: RawLine, source: string): TargetLine | null {
    const origin = `${source}:${raw.lineNo}`;
    const input = raw.text.trim().slice(0, INPUT_EXCERPT);
    const parsed: ParseLine = raw.tooLong
      ? { ok: false, reason: `line longer than ${MAX_LINE_LENGTH} characters` }
      : parseTargetLine(raw.text, origin);
    if (parsed.ok === 'skip') return null;
    if (parsed.ok) {
      const key = targetKey(parsed.target);
      const first = seen.get(key);
      if (first !== undefined) {
        hooks?.onDuplicate?.(parsed.target, `${sourceNames[Math.floor(first / 2 ** 32)] ?? '?'}:${first % 2 ** 32}`);
        return null;
      }
      seen.set(key, sourceIndex(source) * 2 ** 32 + raw.lineNo);
    }
    const located: TargetLine = { ...parsed, origin, lineNo: raw.lineNo, source, input };
    return located;
  }

  for (const [i, arg] of spec.args.entries()) {
    const line = classify({ text: arg, lineNo: i + 1, tooLong: false }, 'argv');
    if (line !== null) yield line;
  }
  for (const file of spec.files) {
    const isStdin = file === '-';
    const source = isStdin ? 'stdin' : file;
    const lines = isStdin && spec.stdin !== undefined ? stdinLines(spec.stdin, opts.keepStdin) : fileLines(spec, file);
    try {
      for await (const raw of lines) {
        const line = classify(raw, source);
        if (line !== null) yield line;
      }
    } catch (err) {
      if (opts.onUnreadable !== undefined && err instanceof TargetInputError) {
        for (const p of err.problems) opts.onUnreadable({ ...p });
        continue;
      }
      throw err;
    }
  }
}

/**
 * Stream targets from argv items, then files and stdin ("-") in the order given, line by line.
 * De-duplicates (same kind + name + port), keeping the first and reporting each later one through
 * `hooks.onDuplicate`. Invalid lines are yielded with `ok: false` for the caller to count or show.
 * Throws TargetInputError (code E_TARGET_INPUT, naming the path) when a file cannot be read, and
 * UsageError for "-" given twice or without a stdin.
 */
export function readTargets(spec: TargetSourceSpec, hooks?: ReadHooks): AsyncGenerator<TargetLine> {
  return iterate(spec, hooks, { keepStdin: false });
}

/** At most this many problems are kept in memory; `invalid` still counts them all. */
export const MAX_PROBLEMS = 1000;

export interface ValidationResult {
  /** Invalid lines and unreadable files (line 0), in input order, at most MAX_PROBLEMS. */
  problems: TargetProblem[];
  /** Valid, distinct targets. */
  count: number;
  /** Valid targets dropped as duplicates of an earlier one. */
  duplicates: number;
  /** Total number of problems, including those beyond MAX_PROBLEMS. */
  invalid: number;
  /** Valid IP targets (their default recipient is a domain literal, postmaster@[ip]). */
  ipTargets: number;
  /**
   * The valid, distinct targets in input order, when asked for (`keep`) and there were no more
   * than that many: the run then starts from them instead of reading and parsing every source a
   * second time. Undefined when not asked for or when there were more (a long file is streamed
   * again rather than held in memory).
   */
  targets?: Target[];
}

export interface ValidateOptions {
  /** Keep the valid targets when there are at most this many (see ValidationResult.targets). */
  keep?: number;
  /**
   * Abort the reading (SIGINT/SIGTERM): rejects with InterruptedError at once, even while a read
   * is pending on a FIFO or a pipe whose writer stays open.
   */
  signal?: AbortSignal;
}

/**
 * First pass: read every source, collecting problems ("file:line: reason") and counting targets, without
 * keeping the targets themselves. Stdin is buffered for the second pass (see the file comment).
 * An unreadable file is a problem here, not an exception, so the user sees every issue at once.
 * The CLI refuses to probe when `problems` is non-empty (unless --skip-invalid): throw
 * `new TargetInputError(result.problems)`; when `count` is 0, throw `noTargetsError(spec)`.
 */
export async function validateTargets(spec: TargetSourceSpec, options: ValidateOptions = {}): Promise<ValidationResult> {
  const keep = options.keep ?? 0;
  let kept: Target[] | null = keep > 0 ? [] : null;
  const problems: TargetProblem[] = [];
  let invalid = 0;
  let count = 0;
  let duplicates = 0;
  let ipTargets = 0;
  const addProblem = (p: TargetProblem): void => {
    invalid++;
    if (problems.length < MAX_PROBLEMS) problems.push(p);
  };
  const lines = iterate(spec, { onDuplicate: () => void duplicates++ }, { keepStdin: true, onUnreadable: addProblem });
  const signal = options.signal;
  const interrupted = () => new InterruptedError('interrupted while reading the targets: nothing was probed');
  if (signal?.aborted) throw interrupted();
  // A pending read cannot be cancelled from outside the generator, so each next() races the
  // signal; the CLI exits right after, which closes whatever was still open.
  let onAbort: (() => void) | undefined;
  const aborted = signal === undefined ? null : new Promise<never>((_, reject) => {
    onAbort = () => reject(interrupted());
    signal.addEventListener('abort', onAbort, { once: true });
  });
  aborted?.catch(() => {});
  const next = (): Promise<IteratorResult<TargetLine>> => (aborted === null ? lines.next() : Promise.race([lines.next(), aborted]));
  try {
    for (let r = await next(); r.done !== true; r = await next()) {
      processLine(r.value);
    }
  } finally {
    if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
  }
  return { problems, count, duplicates, invalid, ipTargets, ...(kept !== null ? { targets: kept } : {}) };

  function processLine(line: TargetLine): void {
    if (line.ok === true) {
      count++;
      if (line.target.kind === 'ip') ipTargets++;
      if (kept !== null) {
        if (kept.length < keep) kept.push(line.target);
        else kept = null;
      }
    } else if (line.ok === false) addProblem({ source: line.source, line: line.lineNo, input: line.input, reason: line.reason });
  }
}

/** The error for "no targets at all" (every source empty or only comments). The CLI exits with 2. */
export function noTargetsError(spec: TargetSourceSpec): UsageError {
  const sources = [
    ...(spec.args.length > 0 ? ['the command-line arguments'] : []),
    ...spec.files.map((f) => (f === '-' ? 'stdin' : f)),
  ];
  const where = sources.length === 0 ? 'no targets given' : `no targets found in ${sources.join(', ')} (only blank or comment lines)`;
  return new UsageError(`${where}: give domains, host:port, IPs or [IPv6] as arguments, or a file with one target per line ("-" for stdin)`);
}
