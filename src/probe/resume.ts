/**
 * `--resume <results.ndjson>`: which matrix cells an earlier (interrupted or crashed) run already
 * finished, so a re-run can skip them and append to the same file.
 *
 * The NDJSON results file (report/json.ts) is: one `run` record, then `host` and `target` records
 * as they finish, then a `summary`. Host records are written (synchronously, with -o) the moment a
 * host's matrix is done, so after a crash or a signal the file holds every finished host; at most
 * the last line is cut short (killed mid-write). We tolerate exactly that: a torn LAST line is
 * ignored and reported through `validBytes`, so the caller can cut it off before appending.
 * Any other bad line is a usage error naming file:line: guessing there could silently re-probe
 * hosts (or skip ones never probed).
 *
 * A cell counts as complete when a host record holds it, except the cells the interruption itself
 * produced: `not-tried` with reason "run interrupted", and sessions cut by the signal
 * (error code E_INTERRUPTED). Those were never really observed, so a resumed run tries them.
 *
 * Memory: one short string key per completed cell in a Set (no records kept), and lines are
 * parsed one at a time from a stream, so a results file with transcripts of any size is fine.
 */
import { createReadStream } from 'node:fs';
import { UsageError } from '../errors.js';
import { SCHEMA_VERSION, type Identity, type IdentityKind } from '../results.js';

export interface ResumeSet {
  /** True when this (target input, host IP, identity, source) cell finished in the earlier run. */
  has(targetInput: string, ip: string, identityKind: IdentityKind | string, identityName: string, source: string | null): boolean;
  /**
   * The check the run should use: like `has`, but an `nxdomain` identity matches whatever random
   * label the earlier run drew (identities.ts draws a fresh one per run, so an exact name never
   * matches twice).
   */
  hasIdentity(targetInput: string, ip: string, identity: Identity): boolean;
  /** True when the earlier run wrote the `target` record: every host of it is done (DNS failures included). */
  hasTarget(targetInput: string): boolean;
  /** Completed cells. */
  readonly size: number;
  /** Targets with a `target` record. */
  readonly targets: number;
  /**
   * False when the file did not exist, or holds no record (empty, or its first line cut short):
   * a first run with --resume starts from nothing and writes the file anew, run record first.
   */
  readonly exists: boolean;
  /** Options of the first `run` record, to warn when the re-run asks for something else. Null without one. */
  readonly runOptions: Record<string, unknown> | null;
  /** The earlier run wrote its summary (it ended, possibly interrupted). */
  readonly finished: boolean;
  /** The summary says the run was interrupted. */
  readonly interrupted: boolean;
  /** Bytes up to the end of the last complete, valid line: truncate the file here before appending. */
  readonly validBytes: number;
  /** The last line was cut short (no newline and not valid JSON) and was ignored. */
  readonly truncatedTail: boolean;
  /** The last line is a valid record without its LF: write "\n" before appending. */
  readonly needsNewline: boolean;
}

/**
 * The dimensions of a run's matrix that decide which cells a target has: identity kinds, custom
 * names, sources (as recorded in the run's `options`). A target record from a part whose matrix
 * covers the current one means "nothing left to do"; otherwise the target is planned again and
 * only its missing cells are probed (adding an identity or a --source on resume).
 */
export interface CellDims {
  identities: readonly unknown[];
  customIdentities: readonly unknown[];
  sources: readonly unknown[];
}

function dimsOf(options: unknown): CellDims | null {
  if (typeof options !== 'object' || options === null) return null;
  const o = options as Record<string, unknown>;
  const { identities, customIdentities, sources } = o;
  if (!Array.isArray(identities) || !Array.isArray(customIdentities) || !Array.isArray(sources)) return null;
  return { identities, customIdentities, sources };
}

/** Every cell `want` asks for is in `have`'s matrix. */
export function dimsCover(have: CellDims, want: CellDims): boolean {
  const sub = (a: readonly unknown[], b: readonly unknown[]) => {
    const keys = new Set(b.map((x) => JSON.stringify(x)));
    return a.every((x) => keys.has(JSON.stringify(x)));
  };
  return sub(want.identities, have.identities) && sub(want.customIdentities, have.customIdentities) && sub(want.sources, have.sources);
}

const SEP = '\u0000';
/** Stands for "any name" in a key; U+0001 cannot be part of a HELO name. */
const ANY_NAME = '\u0001';
/** Kinds whose name is drawn at random per run (identities.ts). */
const GENERATED_NAME: ReadonlySet<string> = new Set(['nxdomain']);

/** The Set key of one cell. NUL cannot occur in any of the parts (targets and names refuse it). */
export function resumeKey(targetInput: string, ip: string, identityKind: string, identityName: string, source: string | null): string {
  return [targetInput, ip.toLowerCase(), identityKind, identityName, source ?? ''].join(SEP);
}

interface ProbeLike {
  identity?: { kind?: unknown; name?: unknown; source?: unknown };
  status?: unknown;
  notTried?: { reason?: unknown };
  error?: { code?: unknown };
}

/** Cells produced by the interruption itself are not results. */
function isComplete(p: ProbeLike): boolean {
  if (p.status === 'not-tried' && p.notTried?.reason === 'run interrupted') return false;
  if (p.error?.code === 'E_INTERRUPTED') return false;
  return true;
}

class Completed implements ResumeSet {
  readonly cells = new Set<string>();
  /** Target input → the parts (indexes into `parts`) that wrote its target record. */
  readonly targetInputs = new Map<string, number[]>();
  /** The matrix of each run/resume part, in file order (null: not recorded). */
  readonly parts: Array<CellDims | null> = [];
  /** The parts whose matrix covers the current run's (all of them when the caller gave none). */
  covering: ReadonlySet<number> | null = null;
  /** Targets with a cell the interruption cut short: their target record does not mean "done". */
  readonly unfinishedTargets = new Set<string>();
  /** Distinct exact cells (the Set also holds "any name" keys for generated names). */
  exact = 0;
  exists = true;
  runOptions: Record<string, unknown> | null = null;
  finished = false;
  interrupted = false;
  validBytes = 0;
  truncatedTail = false;
  needsNewline = false;

  has(targetInput: string, ip: string, identityKind: string, identityName: string, source: string | null): boolean {
    return this.cells.has(resumeKey(targetInput, ip, identityKind, identityName, source));
  }
  hasIdentity(targetInput: string, ip: string, identity: Identity): boolean {
    const name = GENERATED_NAME.has(identity.kind) ? ANY_NAME : identity.name;
    return this.cells.has(resumeKey(targetInput, ip, identity.kind, name, identity.source));
  }
  hasTarget(targetInput: string): boolean {
    const parts = this.targetInputs.get(targetInput);
    if (parts === undefined || this.unfinishedTargets.has(targetInput)) return false;
    // Finished under a smaller matrix (fewer identities or sources): plan it again; its finished
    // cells are still skipped one by one through hasIdentity.
    const covering = this.covering;
    return covering === null || parts.some((p) => covering.has(p));
  }
  add(targetInput: string, ip: string, kind: string, name: string, source: string | null): void {
    const key = resumeKey(targetInput, ip, kind, name, source);
    if (!this.cells.has(key)) this.exact++;
    this.cells.add(key);
    if (GENERATED_NAME.has(kind)) this.cells.add(resumeKey(targetInput, ip, kind, ANY_NAME, source));
  }
  get size(): number {
    return this.exact;
  }
  get targets(): number {
    return this.targetInputs.size;
  }
}

function bad(path: string, lineNo: number, why: string): UsageError {
  return new UsageError(`--resume: ${path}:${lineNo}: ${why}`);
}

/** Apply one parsed record; throws UsageError for a record that is JSON but not ours. */
function apply(set: Completed, rec: unknown, path: string, lineNo: number): void {
  if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) throw bad(path, lineNo, 'not a results record');
  const r = rec as Record<string, unknown>;
  // The contract (README "Results contract") opens every file with its run record. Without one
  // (hand-edited, or records pasted from another file) the records' matrix is unknown: a finished
  // target was planned again and came out with no host (exit 1), and the appended file was one
  // `report` refuses ("no run record"). Refused here too, naming the line, before anything is probed.
  if (set.parts.length === 0 && r['type'] !== 'run') {
    throw bad(path, lineNo, `${JSON.stringify(r['type'])} record before the run record: not an mxprobe results file this run can append to (restore its first line, or resume into a new file)`);
  }
  switch (r['type']) {
    case 'run': {
      if (r['schemaVersion'] !== SCHEMA_VERSION) {
        throw bad(path, lineNo, `schemaVersion ${String(r['schemaVersion'])} is not ${SCHEMA_VERSION}`);
      }
      const opts = r['options'];
      if (set.runOptions === null && typeof opts === 'object' && opts !== null) set.runOptions = opts as Record<string, unknown>;
      set.parts.push(dimsOf(opts));
      return;
    }
    case 'host': {
      const target = r['target'] as { input?: unknown } | undefined;
      const ip = r['ip'];
      const probes = r['probes'];
      if (typeof target?.input !== 'string' || typeof ip !== 'string' || !Array.isArray(probes)) {
        throw bad(path, lineNo, 'host record without target.input, ip or probes');
      }
      for (const p of probes as ProbeLike[]) {
        const id = p?.identity;
        if (!id || typeof id.kind !== 'string' || typeof id.name !== 'string' || (id.source !== null && typeof id.source !== 'string')) {
          throw bad(path, lineNo, 'probe without identity {kind, name, source}');
        }
        if (isComplete(p)) set.add(target.input, ip, id.kind, id.name, id.source as string | null);
        else set.unfinishedTargets.add(target.input);
      }
      return;
    }
    case 'target': {
      if (typeof r['input'] !== 'string') throw bad(path, lineNo, 'target record without input');
      // A target the signal kept from starting (probe/run.ts notStartedTarget) is not done.
      if ((r['dns'] as { status?: unknown } | undefined)?.status === 'not-tried') return;
      const part = set.parts.length - 1;
      const seen = set.targetInputs.get(r['input']);
      if (seen === undefined) set.targetInputs.set(r['input'], [part]);
      else if (!seen.includes(part)) seen.push(part);
      return;
    }
    case 'resume':
      // A part appended by an earlier --resume: its cells count like any others; its matrix
      // (identities, sources) may be larger than the first run's.
      set.parts.push(dimsOf(r['options']));
      return;
    case 'summary':
      // The last summary speaks for the file (a resumed part may finish what was interrupted).
      set.finished = true;
      set.interrupted = r['interrupted'] === true;
      return;
    default:
      throw bad(path, lineNo, `unknown record type ${JSON.stringify(r['type'])}`);
  }
}

/**
 * Read an NDJSON results file and collect its completed cells. A missing file gives an empty set
 * (`exists: false`); an unreadable one or a bad line before the last is a UsageError (exit 2).
 */
export async function loadCompleted(path: string, current?: CellDims): Promise<ResumeSet> {
  const set = new Completed();
  const stream = createReadStream(path);
  let pending: Buffer[] = [];
  let pendingLen = 0;
  let offset = 0;
  let lineNo = 0;

  const handleLine = (buf: Buffer, endOffset: number): void => {
    lineNo++;
    const text = buf.toString('utf8').replace(/\r$/, '');
    if (text.trim() === '') {
      set.validBytes = endOffset;
      return;
    }
    let rec: unknown;
    try {
      rec = JSON.parse(text);
    } catch {
      // A line that ended with LF was written whole: invalid JSON there is not a torn write.
      throw bad(path, lineNo, 'not valid JSON');
    }
    apply(set, rec, path, lineNo);
    set.validBytes = endOffset;
  };

  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let start = 0;
      let lf: number;
      while ((lf = chunk.indexOf(0x0a, start)) !== -1) {
        const piece = chunk.subarray(start, lf);
        const line = pendingLen > 0 ? Buffer.concat([...pending, piece]) : piece;
        pending = [];
        pendingLen = 0;
        handleLine(line, offset + lf + 1);
        start = lf + 1;
      }
      if (start < chunk.length) {
        pending.push(chunk.subarray(start));
        pendingLen += chunk.length - start;
      }
      offset += chunk.length;
    }
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') {
      set.exists = false;
      return set;
    }
    throw new UsageError(`--resume: cannot read ${path}: ${e.message}`);
  } finally {
    stream.destroy();
  }

  if (pendingLen > 0) {
    // The last line has no LF: whole if it parses (a writer that omits the final newline),
    // otherwise a write cut short by a crash or SIGKILL, which we drop.
    const text = Buffer.concat(pending).toString('utf8');
    let rec: unknown;
    let parsed = false;
    try {
      rec = JSON.parse(text);
      parsed = true;
    } catch {
      set.truncatedTail = true;
    }
    if (parsed) {
      apply(set, rec, path, lineNo + 1);
      // Keep the record; the caller must write the missing LF before appending.
      set.validBytes = offset;
      set.needsNewline = true;
    }
  }
  if (set.parts.length === 0) {
    // No record at all: an empty file, or one cut before its first line ended (killed while
    // writing the run record). Nothing to skip or keep: the run starts it afresh, run record
    // first; appending a `resume` record to it made a file without a run record.
    set.exists = false;
  }
  if (current !== undefined) {
    // A part without a recorded matrix covers nothing: its targets are planned again (cheap: DNS
    // only; every finished cell is still skipped).
    set.covering = new Set(set.parts.flatMap((d, i) => (d !== null && dimsCover(d, current) ? [i] : [])));
  }
  return set;
}
