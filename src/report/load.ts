/**
 * Read saved results back: a `.json` RunResult or an `.ndjson` stream (results.ts NdjsonRecord).
 *
 * NDJSON carries hosts as they finish and the target record after its hosts, so TargetResults
 * are rebuilt by grouping host records under their target (keyed by input + origin). A run that
 * was interrupted (Ctrl-C, crash, full disk) ends early: its last line may be cut mid-record and the
 * summary record may be missing. That is tolerated and reported in `warnings`, and the summary is
 * rebuilt from what was saved. A malformed line anywhere else is an error naming file:line.
 */
import { createReadStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { MxprobeError } from '../errors.js';
import { BINARY_SNIFF_BYTES } from '../io/input.js';
import type { HostResult, NdjsonRecord, RunResult, TargetResult } from '../results.js';
import { SCHEMA_VERSION } from '../results.js';
import { SummaryBuilder } from './summary.js';

/** The results file is unreadable or not a results file; the CLI exits with 2. */
export class ResultsInputError extends MxprobeError {
  constructor(message: string) {
    super('E_RESULTS_INPUT', message);
  }
}

export interface LoadedResults {
  run: RunResult;
  /** True when the file ends before the run's summary (or the summary says interrupted). */
  interrupted: boolean;
  /** Human-readable notes about what was tolerated, each prefixed with the file name. */
  warnings: string[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function checkSchema(v: Record<string, unknown>, where: string): void {
  if (v['schemaVersion'] !== SCHEMA_VERSION) {
    throw new ResultsInputError(`${where}: unsupported schemaVersion ${JSON.stringify(v['schemaVersion'])} (this mxprobe reads ${SCHEMA_VERSION})`);
  }
}

/**
 * The shape every renderer relies on. A hand-edited or foreign file that lacks it is an input
 * error naming the place (exit 2), never a TypeError deep inside a renderer.
 */
export function checkHost(h: unknown, where: string): void {
  if (!isObject(h)) throw new ResultsInputError(`${where}: not a host result`);
  if (typeof h['ip'] !== 'string' || typeof h['exchange'] !== 'string' || typeof h['port'] !== 'number' || !Array.isArray(h['probes'])) {
    throw new ResultsInputError(`${where}: host result needs string ip and exchange, numeric port and a probes array`);
  }
  for (const [i, p] of (h['probes'] as unknown[]).entries()) {
    const at = `${where} probes[${i}]`;
    if (!isObject(p)) throw new ResultsInputError(`${at}: not a probe result`);
    const id = p['identity'];
    if (!isObject(id) || typeof id['kind'] !== 'string' || typeof id['name'] !== 'string') throw new ResultsInputError(`${at}: identity {kind, name} missing`);
    if (typeof p['status'] !== 'string') throw new ResultsInputError(`${at}: status missing`);
    const v = p['verdict'];
    if (!isObject(v) || typeof v['outcome'] !== 'string') throw new ResultsInputError(`${at}: verdict {outcome} missing`);
    const caps = p['capabilities'];
    if (!isObject(caps) || !('plain' in caps) || !('tls' in caps)) throw new ResultsInputError(`${at}: capabilities {plain, tls} missing`);
    if (!Array.isArray(p['transcript'])) throw new ResultsInputError(`${at}: transcript array missing`);
    if (!isObject(p['timings'])) throw new ResultsInputError(`${at}: timings missing`);
  }
}

function checkRun(v: unknown, path: string): RunResult {
  if (!isObject(v)) throw new ResultsInputError(`${path}: not an mxprobe results object`);
  checkSchema(v, path);
  if (!Array.isArray(v['targets'])) throw new ResultsInputError(`${path}: missing "targets" array`);
  for (const [i, t] of (v['targets'] as unknown[]).entries()) {
    if (!isObject(t) || !Array.isArray(t['hosts']) || typeof t['input'] !== 'string') {
      throw new ResultsInputError(`${path}: targets[${i}] is not a target result`);
    }
    for (const [j, h] of (t['hosts'] as unknown[]).entries()) checkHost(h, `${path}: targets[${i}].hosts[${j}]`);
  }
  const run = v as unknown as RunResult;
  // A summary is derived data; rebuild it when a hand-edited or partial file lacks one.
  if (!isObject(v['summary'])) run.summary = summarizeTargets(run.targets);
  return run;
}

function summarizeTargets(targets: readonly TargetResult[]): RunResult['summary'] {
  const b = new SummaryBuilder();
  for (const t of targets) b.addTarget(t);
  return b.build();
}

export async function loadResults(path: string): Promise<RunResult> {
  return (await loadResultsDetailed(path)).run;
}

/** Like loadResults, but also says whether the run was interrupted and what was tolerated. */
export async function loadResultsDetailed(path: string): Promise<LoadedResults> {
  await refuseBinary(path);
  return (await isNdjsonFile(path)) ? loadNdjson(path) : loadJson(path);
}

/**
 * A NUL in the first 8 KiB: not a results file (JSON text has no raw NUL, RFC 8259 §7), said at once;
 * `report /dev/zero` used to read ~600 MB before failing. The rule `logs` and the targets reader use.
 * Not on a FIFO: the sniff would consume bytes the reader needs.
 */
async function refuseBinary(path: string): Promise<void> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw ioError(path, e);
  }
  try {
    const st = await fh.stat();
    if (st.isFIFO()) return;
    const buf = Buffer.alloc(BINARY_SNIFF_BYTES);
    const { bytesRead } = await fh.read(buf, 0, buf.length, st.isFile() ? 0 : null);
    if (buf.subarray(0, bytesRead).includes(0)) throw new ResultsInputError(`${path}: refusing a binary file (NUL bytes in the first ${BINARY_SNIFF_BYTES} bytes); not an mxprobe results file`);
  } catch (e) {
    throw e instanceof ResultsInputError ? e : ioError(path, e);
  } finally {
    await fh.close();
  }
}

/**
 * NDJSON or one JSON document? By extension, else sniff: a RunResult file is one JSON document;
 * NDJSON's first record is `run` ({"type": ...}). `report` and `store import` both decide here.
 */
export async function isNdjsonFile(path: string): Promise<boolean> {
  if (/\.json$/i.test(path)) return false;
  if (/\.ndjson$|\.jsonl$/i.test(path)) return true;
  return /^\s*\{\s*"type"\s*:/.test(await readHead(path));
}

async function readHead(path: string): Promise<string> {
  const stream = createReadStream(path, { encoding: 'utf8', start: 0, end: 255 });
  let s = '';
  try {
    for await (const chunk of stream) s += chunk as string;
  } catch (e) {
    throw ioError(path, e);
  }
  return s;
}

export function ioError(path: string, e: unknown): ResultsInputError {
  const code = isObject(e) && typeof e['code'] === 'string' ? `${e['code']}: ` : '';
  return new ResultsInputError(`${path}: cannot read results file (${code}${e instanceof Error ? e.message : String(e)})`);
}

export type NdjsonItem = { kind: 'record'; lineNo: number; type: string; rec: Record<string, unknown> } | { kind: 'truncated'; line: number; message: string };

/**
 * The records of an NDJSON results file in order, with their line numbers: the one reader behind
 * `report` and `store import`. Blank lines are skipped. A line that is not JSON is fatal (file:line)
 * unless it is the last line: a writer killed mid-line leaves a torn last line, which is reported
 * once, as `truncated`, after the last record. A line that is not an object with a string `type` is
 * fatal. Read errors name the file.
 */
export async function* ndjsonRecords(path: string): AsyncGenerator<NdjsonItem> {
  let lineNo = 0;
  let bad: { line: number; message: string } | null = null;
  const stream = createReadStream(path, { encoding: 'utf8' });
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  const it = rl[Symbol.asyncIterator]();
  try {
    for (;;) {
      let next: IteratorResult<string>;
      try {
        next = await it.next();
      } catch (e) {
        throw ioError(path, e);
      }
      if (next.done) break;
      const raw = next.value;
      lineNo++;
      if (bad !== null) throw new ResultsInputError(`${path}:${bad.line}: ${bad.message}`);
      if (raw.trim() === '') continue;
      let rec: unknown;
      try {
        rec = JSON.parse(raw);
      } catch (e) {
        bad = { line: lineNo, message: `not valid JSON (${e instanceof Error ? e.message : String(e)})` };
        continue;
      }
      if (!isObject(rec) || typeof rec['type'] !== 'string') throw new ResultsInputError(`${path}:${lineNo}: not an mxprobe NDJSON record`);
      yield { kind: 'record', lineNo, type: rec['type'], rec };
    }
  } finally {
    rl.close();
    stream.destroy();
  }
  if (bad !== null) yield { kind: 'truncated', ...bad };
}

async function loadJson(path: string): Promise<LoadedResults> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw ioError(path, e);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new ResultsInputError(`${path}: not valid JSON (${e instanceof Error ? e.message : String(e)}); an interrupted run is only recoverable from --format ndjson output`);
  }
  const run = checkRun(parsed, path);
  // The streaming JSON writer marks a run cut short by a signal with a top-level "interrupted": true.
  if (isObject(parsed) && parsed['interrupted'] === true) {
    return { run, interrupted: true, warnings: [`${path}: the run was interrupted before all targets finished`] };
  }
  return { run, interrupted: false, warnings: [] };
}

type HostRecord = Extract<NdjsonRecord, { type: 'host' }>;
type TargetRecord = Extract<NdjsonRecord, { type: 'target' }>;
type RunRecord = Extract<NdjsonRecord, { type: 'run' }>;
type SummaryRecord = Extract<NdjsonRecord, { type: 'summary' }>;

function targetKey(input: string, origin: string): string {
  return `${origin}\u0000${input}`;
}

export function hostOf(rec: HostRecord): HostResult {
  const { type: _type, target: _target, ...host } = rec;
  return host;
}

/** A cell the interruption produced rather than the server: a resumed run redoes it. */
export function interruptedCell(p: HostResult['probes'][number]): boolean {
  return (p.status === 'not-tried' && p.notTried?.reason === 'run interrupted') || p.error?.code === 'E_INTERRUPTED';
}

/**
 * A resumed run writes a second host record for a host the first run left unfinished: merge its
 * cells into the first, the new cell replacing the interrupted one of the same identity (kind and
 * source; the nxdomain label is random per run).
 */
export function mergeHost(hosts: HostResult[], next: HostResult): void {
  const same = hosts.find((h) => h.ip === next.ip && h.port === next.port);
  if (!same) {
    hosts.push(next);
    return;
  }
  for (const p of next.probes) {
    const i = same.probes.findIndex(
      (q) => interruptedCell(q) && q.identity.kind === p.identity.kind && q.identity.source === p.identity.source && (q.identity.kind === 'nxdomain' || q.identity.name === p.identity.name),
    );
    if (i >= 0) same.probes[i] = p;
    else same.probes.push(p);
  }
  if (next.alignment) same.alignment = next.alignment;
}

async function loadNdjson(path: string): Promise<LoadedResults> {
  const warnings: string[] = [];
  let runRec: RunRecord | null = null;
  let resumed = false;
  let summaryRec: SummaryRecord | null = null;
  /** Hosts waiting for their target record, in arrival order. */
  const pending = new Map<string, { first: HostRecord; hosts: HostResult[] }>();
  /** Targets in the order their target record arrived. */
  const targets: TargetResult[] = [];
  const emitted = new Map<string, TargetResult>();
  /** A torn last line (an interrupted writer), reported after the last record. */
  let bad: { line: number; message: string } | null = null;

  try {
    for await (const item of ndjsonRecords(path)) {
      if (item.kind === 'truncated') {
        bad = item;
        continue;
      }
      const { lineNo, rec } = item;
      switch (item.type) {
        case 'run':
          if (runRec !== null) throw new ResultsInputError(`${path}:${lineNo}: second "run" record (concatenated runs are not supported)`);
          checkSchema(rec, `${path}:${lineNo}`);
          runRec = rec as unknown as RunRecord;
          break;
        case 'host': {
          const h = rec as unknown as HostRecord;
          if (!isObject(h.target) || !Array.isArray(h.probes)) throw new ResultsInputError(`${path}:${lineNo}: host record without target or probes`);
          checkHost(h, `${path}:${lineNo}`);
          const key = targetKey(h.target.input, h.target.origin);
          const entry = pending.get(key);
          if (entry === undefined) pending.set(key, { first: h, hosts: [hostOf(h)] });
          else mergeHost(entry.hosts, hostOf(h));
          break;
        }
        case 'resume':
          // An appended --resume part: its cells complete the earlier ones; recount the summary.
          resumed = true;
          break;
        case 'target': {
          const { type: _type, ...t } = rec as unknown as TargetRecord;
          if (typeof t.input !== 'string') throw new ResultsInputError(`${path}:${lineNo}: target record without input`);
          const key = targetKey(t.input, t.origin);
          const hosts = pending.get(key)?.hosts ?? [];
          pending.delete(key);
          const earlier = emitted.get(key);
          if (earlier) {
            // A --resume part finished a target the interrupted part had written: one target,
            // the new cells replacing the interrupted ones.
            for (const h of hosts) mergeHost(earlier.hosts, h);
            // The interrupted part never started it (DNS not-tried): the resumed part's DNS and MX stand.
            if (earlier.dns.status === 'not-tried' && t.dns?.status !== 'not-tried') Object.assign(earlier, { ...t, hosts: earlier.hosts });
            break;
          }
          const target: TargetResult = { ...t, hosts };
          emitted.set(key, target);
          targets.push(target);
          break;
        }
        case 'summary':
          summaryRec = rec as unknown as SummaryRecord;
          break;
        default:
          // Unknown record types may come from a newer minor writer; skip rather than fail.
          warnings.push(`${path}:${lineNo}: skipped unknown record type ${JSON.stringify(rec['type'])}`);
      }
    }
  } catch (e) {
    if (e instanceof ResultsInputError) throw e;
    throw ioError(path, e);
  }

  let interrupted = false;
  if (bad !== null) {
    interrupted = true;
    warnings.push(`${path}:${bad.line}: last line is truncated (interrupted run); ignored`);
  }
  if (runRec === null) throw new ResultsInputError(`${path}: no "run" record; not an mxprobe NDJSON file`);
  // Hosts whose target never finished: keep them under a target rebuilt from the host record.
  for (const { first, hosts } of pending.values()) {
    const t = first.target;
    // A --resume part cut before the target record of a target an earlier part finished: its
    // cells still replace the interrupted ones of that target (as when the record does come), not
    // a second copy of the target and its hosts. `store import` merges the same way.
    const earlier = emitted.get(targetKey(t.input, t.origin));
    if (earlier) {
      for (const h of hosts) mergeHost(earlier.hosts, h);
      interrupted = true;
      warnings.push(`${path}: target ${JSON.stringify(t.input)} has ${hosts.length} resumed host record(s) but no second target record (interrupted run)`);
      continue;
    }
    targets.push({ input: t.input, origin: t.origin, kind: t.kind, domain: t.domain, port: first.port, dns: { status: 'ok', detail: 'target record missing (interrupted run)' }, mx: t.mx, hosts });
    interrupted = true;
    warnings.push(`${path}: target ${JSON.stringify(t.input)} has ${hosts.length} host(s) but no target record (interrupted run)`);
  }
  if (summaryRec === null) {
    interrupted = true;
    warnings.push(`${path}: no summary record (interrupted run); summary rebuilt from ${targets.length} saved target(s)`);
  } else if (summaryRec.interrupted === true) {
    interrupted = true;
    warnings.push(`${path}: the run was interrupted before all targets finished`);
  }
  const run: RunResult = {
    schemaVersion: SCHEMA_VERSION,
    tool: runRec.tool,
    startedAt: runRec.startedAt,
    finishedAt: summaryRec?.finishedAt ?? runRec.startedAt,
    options: runRec.options,
    targets,
    // A partial run's saved summary (if any) does not cover the rebuilt targets; recount then.
    summary: summaryRec !== null && !interrupted && !resumed ? summaryRec.summary : summarizeTargets(targets),
  };
  return { run, interrupted, warnings };
}
