/**
 * `store import`, streamed: a results file goes into the store record by record, never whole.
 *
 * NDJSON is read line by line. The merge rules are report/load.ts's (the same `mergeHost`): host
 * records of one target (input + origin) with the same IP and port are one host, a later cell
 * replacing the interrupted cell of the same identity; a target record repeated by a resumed part
 * is stored once; hosts whose target record never came get a target rebuilt from their first host
 * record. The per-host merge state is in the database (hosts.import_key, looked up once per batch);
 * memory holds one batch plus the targets still open (hosts seen, target record not yet), which the
 * prober's concurrency bounds, not the file.
 *
 * The JSON document is read with a streaming scanner (json-stream.ts), one target at a time.
 *
 * Bad input: errors name file:line; an unknown schemaVersion is refused before the run is created;
 * a malformed record in the middle deletes what this file had written (nothing half-imported is
 * left behind) and fails; a file cut short keeps what was complete, stored as state "interrupted",
 * and says so (`truncated`).
 */
import { createReadStream } from 'node:fs';
import type { HostResult, NdjsonRecord, TargetResult } from '../results.js';
import { checkHost, checkSchema, hostOf, ioError, isNdjsonFile, mergeHost, ndjsonRecords, ResultsInputError } from '../report/load.js';
import { VERSION } from '../version.js';
import { JsonDocumentScanner, JsonStreamError, type JsonStreamEvent } from './json-stream.js';
import { KeySetDigest, StoreError, type HostTarget, type ImportHost, type ImportWriter, type Store } from './types.js';

export interface ImportOptions {
  /** Hosts (or targets) per transaction. */
  batchSize?: number;
  /** What was tolerated, as it is found (prefixed with file[:line]). */
  warn(message: string): void;
}

export interface ImportResult {
  runId: number;
  targets: number;
  hosts: number;
  probes: number;
  /** The run itself was interrupted (its summary says so, or records are missing). */
  interrupted: boolean;
  /** The file ends mid-record or before its document ends: what was complete is stored. */
  truncated: boolean;
}

type HostRecord = Extract<NdjsonRecord, { type: 'host' }>;
type TargetRecord = Extract<NdjsonRecord, { type: 'target' }>;
type RunRecord = Extract<NdjsonRecord, { type: 'run' }>;
type SummaryRecord = Extract<NdjsonRecord, { type: 'summary' }>;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** report/load.ts groups by input + origin; JSON of an array is unambiguous whatever the strings hold. */
function targetMergeKey(input: string, origin: string): string {
  return JSON.stringify([origin, input]);
}

function importKey(target: { input: string; origin: string }, host: { ip: string; port: number }): string {
  return JSON.stringify([target.origin, target.input, host.ip, host.port]);
}

export async function importResultsFile(store: Store, path: string, opts: ImportOptions): Promise<ImportResult> {
  return (await isNdjsonFile(path)) ? importNdjson(store, path, opts) : importJson(store, path, opts);
}

/** Batches of hosts and targets, merged against what the run already holds, then written. */
class Batcher {
  private hosts: ImportHost[] = [];
  private targets: TargetResult[] = [];
  readonly digest = new KeySetDigest();
  hostCount = 0;
  probeCount = 0;

  constructor(
    readonly writer: ImportWriter,
    private readonly size: number,
    /** NDJSON: merge host records and keep the first target record; JSON: store as given. */
    private readonly merge: boolean,
  ) {}

  async host(h: ImportHost): Promise<void> {
    this.hosts.push(h);
    if (this.hosts.length >= this.size) await this.flush();
  }

  async target(t: TargetResult): Promise<void> {
    this.targets.push(t);
    if (this.targets.length >= this.size) await this.flush();
  }

  async flush(): Promise<void> {
    const hosts = this.hosts;
    let targets = this.targets;
    this.hosts = [];
    this.targets = [];
    if (hosts.length === 0 && targets.length === 0) return;
    const insert: ImportHost[] = [];
    const replace: Array<ImportHost & { id: number }> = [];
    if (!this.merge) {
      for (const h of hosts) {
        insert.push(h);
        this.hostCount++;
        this.probeCount += h.host.probes.length;
      }
    } else {
      const keys = [...new Set(hosts.map((h) => h.ikey!))];
      const stored = await this.writer.existing(keys);
      const local = new Map<string, ImportHost & { id?: number; before: number }>();
      for (const rec of hosts) {
        const key = rec.ikey!;
        let e = local.get(key);
        if (e === undefined) {
          const s = stored.get(key);
          if (s === undefined) {
            // New: stored as it came (later records of it in this batch merge into this object).
            e = { ...rec, before: 0 };
            insert.push(e);
            this.hostCount++;
            local.set(key, e);
            continue;
          }
          e = { ikey: key, host: s.host, target: rec.target, id: s.id, before: s.host.probes.length };
          local.set(key, e);
        }
        // report/load.ts's rule, the same code: the later cell replaces the interrupted one.
        mergeHost([e.host], rec.host);
      }
      for (const e of local.values()) {
        this.probeCount += e.host.probes.length - e.before;
        if (e.id !== undefined) replace.push({ ikey: e.ikey, host: e.host, target: e.target, id: e.id });
      }
      // The first target record of an input + origin wins, within the batch as in the store.
      const seen = new Set<string>();
      targets = targets.filter((t) => {
        const k = targetMergeKey(t.input, t.origin);
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
      });
    }
    const added = await this.writer.writeBatch({ insert, replace, targets, firstWins: this.merge });
    for (const k of added) this.digest.add(k);
  }

  async finish(finishedAt: string, interrupted: boolean): Promise<void> {
    await this.flush();
    await this.writer.finish({ finishedAt, state: interrupted ? 'interrupted' : 'complete', targetCount: this.digest.size, hostCount: this.hostCount, probeCount: this.probeCount, targetsDigest: this.digest.digest() });
  }
}

/** Run `body`; on bad input, delete what this file wrote so far, then fail. */
async function orDiscard<T>(batcher: () => Batcher | null, path: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (e) {
    const b = batcher();
    if (b !== null) {
      await b.writer.discard().catch(() => {});
      if (e instanceof ResultsInputError) throw new ResultsInputError(`${e.message} (nothing from ${path} was kept in the store)`);
    }
    throw e;
  }
}

async function importNdjson(store: Store, path: string, opts: ImportOptions): Promise<ImportResult> {
  const size = opts.batchSize ?? 500;
  let b: Batcher | null = null;
  let runRec: RunRecord | null = null;
  let summaryRec: SummaryRecord | null = null;
  /** Targets with host records since their last target record: bounded by the run's concurrency. */
  const open = new Map<string, { first: HostRecord['target']; port: number; hosts: Set<string> }>();
  /** A torn last line (an interrupted writer), reported after the last record. */
  let bad: { line: number; message: string } | null = null;
  let interrupted = false;
  /**
   * Target records of targets an interrupted run never started (DNS `not-tried`, probe/run.ts
   * notStartedTarget), held back by input + origin: a later --resume part's record of the same
   * target replaces it, as report/load.ts merges them; written at the end only if none came.
   * Bounded by the targets the interrupted part never reached.
   */
  const notStarted = new Map<string, TargetResult>();

  return orDiscard(() => b, path, async () => {
    try {
      for await (const item of ndjsonRecords(path)) {
        if (item.kind === 'truncated') {
          bad = item;
          continue;
        }
        const { lineNo, rec, type } = item;
        if (type === 'run') {
          if (runRec !== null) throw new ResultsInputError(`${path}:${lineNo}: second "run" record (concatenated runs are not supported)`);
          // Checked before the run is created: an unknown schemaVersion writes nothing.
          checkSchema(rec, `${path}:${lineNo}`);
          runRec = rec as unknown as RunRecord;
          b = new Batcher(await store.beginImport({ startedAt: runRec.startedAt, toolVersion: runRec.tool?.version ?? VERSION, options: runRec.options ?? {}, vantage: null, source: path }), size, true);
          continue;
        }
        if (b === null && (type === 'host' || type === 'target')) throw new ResultsInputError(`${path}:${lineNo}: "${type}" record before the "run" record; not an mxprobe NDJSON file`);
        switch (type) {
          case 'host': {
            const h = rec as unknown as HostRecord;
            if (!isObject(h.target) || !Array.isArray(h.probes)) throw new ResultsInputError(`${path}:${lineNo}: host record without target or probes`);
            checkHost(h, `${path}:${lineNo}`);
            const tk = targetMergeKey(h.target.input, h.target.origin);
            const ikey = importKey(h.target, h);
            let o = open.get(tk);
            if (o === undefined) open.set(tk, (o = { first: h.target, port: h.port, hosts: new Set() }));
            o.hosts.add(ikey);
            const target: HostTarget = { input: h.target.input, origin: h.target.origin, kind: h.target.kind, domain: h.target.domain, mx: h.target.mx };
            await b!.host({ ikey, host: hostOf(h), target });
            break;
          }
          case 'resume':
            // An appended --resume part: its host records merge into the earlier ones.
            break;
          case 'target': {
            const { type: _type, ...t } = rec as unknown as TargetRecord;
            if (typeof t.input !== 'string') throw new ResultsInputError(`${path}:${lineNo}: target record without input`);
            const tk = targetMergeKey(t.input, t.origin);
            open.delete(tk);
            if ((t as TargetResult).dns?.status === 'not-tried') {
              if (!notStarted.has(tk)) notStarted.set(tk, { ...t, hosts: [] } as TargetResult);
              break;
            }
            notStarted.delete(tk);
            await b!.target({ ...t, hosts: [] } as TargetResult);
            break;
          }
          case 'summary':
            summaryRec = rec as unknown as SummaryRecord;
            break;
          default:
            opts.warn(`${path}:${lineNo}: skipped unknown record type ${JSON.stringify(type)}`);
        }
      }
    } catch (e) {
      if (e instanceof ResultsInputError || e instanceof StoreError) throw e;
      throw ioError(path, e);
    }
    if (runRec === null || b === null) throw new ResultsInputError(`${path}: no "run" record; not an mxprobe NDJSON file`);
    const batcher: Batcher = b;
    let truncated = false;
    if (bad !== null) {
      interrupted = truncated = true;
      opts.warn(`${path}:${(bad as { line: number }).line}: last line is truncated (interrupted run); ignored`);
    }
    // Targets the run never started and no resumed part redid are not stored, as `probe --store`
    // never stores them and SummaryBuilder leaves them out: a row with dns `not-tried` read as a
    // target whose lookup changed (`diff`: "dns-changed not-tried → ok" against the next run).
    if (notStarted.size > 0) opts.warn(`${path}: ${notStarted.size} target(s) the run never started (dns not-tried) are not stored`);
    // Hosts whose target never finished: keep them under a target rebuilt from the host record.
    for (const { first: t, port, hosts } of open.values()) {
      await batcher.target({ input: t.input, origin: t.origin, kind: t.kind, domain: t.domain, port, dns: { status: 'ok', detail: 'target record missing (interrupted run)' }, mx: t.mx, hosts: [] } as TargetResult);
      interrupted = true;
      opts.warn(`${path}: target ${JSON.stringify(t.input)} has ${hosts.size} host(s) but no target record (interrupted run)`);
    }
    const summary = summaryRec as SummaryRecord | null;
    if (summary === null) {
      interrupted = truncated = true;
      opts.warn(`${path}: no summary record (interrupted run)`);
    } else if (summary.interrupted === true) {
      interrupted = true;
      opts.warn(`${path}: the run was interrupted before all targets finished`);
    }
    await batcher.finish(summary?.finishedAt ?? runRec.startedAt, interrupted);
    return { runId: batcher.writer.runId, targets: batcher.digest.size, hosts: batcher.hostCount, probes: batcher.probeCount, interrupted, truncated };
  });
}

/** The top-level fields of a JSON document the store needs (never "targets"). */
interface JsonHead {
  schemaVersion?: unknown;
  tool?: { version?: string };
  startedAt?: string;
  finishedAt?: string;
  options?: Record<string, unknown>;
  interrupted?: unknown;
  sawTargets: boolean;
}

function keepField(head: JsonHead, ev: Extract<JsonStreamEvent, { kind: 'field' }>): void {
  if (ev.key === 'schemaVersion' || ev.key === 'tool' || ev.key === 'startedAt' || ev.key === 'finishedAt' || ev.key === 'options' || ev.key === 'interrupted') {
    (head as unknown as Record<string, unknown>)[ev.key] = ev.value;
  }
}

async function* chunks(path: string): AsyncGenerator<string> {
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 256 * 1024 });
  try {
    for await (const c of stream) yield c as string;
  } catch (e) {
    throw ioError(path, e);
  } finally {
    stream.destroy();
  }
}

/** A pass over the document skipping the targets: its head, for a file whose schemaVersion follows them. */
async function scanHead(path: string): Promise<JsonHead> {
  const head: JsonHead = { sawTargets: false };
  const sc = new JsonDocumentScanner(true);
  try {
    for await (const c of chunks(path)) for (const ev of sc.feed(c)) if (ev.kind === 'field') keepField(head, ev);
    sc.end();
  } catch (e) {
    if (!(e instanceof JsonStreamError)) throw e;
    // A cut or broken document: what was read of the head is what there is.
  }
  return head;
}

async function importJson(store: Store, path: string, opts: ImportOptions): Promise<ImportResult> {
  const size = opts.batchSize ?? 500;
  let b: Batcher | null = null;
  const head: JsonHead = { sawTargets: false };
  let pre: JsonHead | null = null;
  const begin = async (): Promise<Batcher> => {
    if (b !== null) return b;
    // schemaVersion must be known before anything is written; a document that puts it after the
    // targets is scanned once more for its head.
    let h: JsonHead = head;
    if (h.schemaVersion === undefined) h = pre ??= await scanHead(path);
    checkSchema(h as unknown as Record<string, unknown>, path);
    Object.assign(head, { ...h, sawTargets: head.sawTargets });
    b = new Batcher(await store.beginImport({ startedAt: String(head.startedAt ?? new Date(0).toISOString()), toolVersion: head.tool?.version ?? VERSION, options: isObject(head.options) ? head.options : {}, vantage: null, source: path }), size, false);
    return b;
  };
  return orDiscard(() => b, path, async () => {
    let notStarted = 0;
    const sc = new JsonDocumentScanner();
    let truncated = false;
    try {
      for await (const c of chunks(path)) {
        for (const ev of sc.feed(c)) {
          if (ev.kind === 'field') {
            keepField(head, ev);
            if (ev.key === 'schemaVersion') checkSchema(head as unknown as Record<string, unknown>, path);
            continue;
          }
          head.sawTargets = true;
          const batcher = await begin();
          const t = ev.value;
          const where = `${path}:${ev.line}: targets[${ev.index}]`;
          if (!isObject(t) || !Array.isArray(t['hosts']) || typeof t['input'] !== 'string') throw new ResultsInputError(`${where} is not a target result`);
          const target = t as unknown as TargetResult;
          const info: HostTarget = { input: target.input, origin: target.origin, kind: target.kind, domain: target.domain, mx: target.mx };
          for (const [j, h] of (t['hosts'] as unknown[]).entries()) {
            checkHost(h, `${where}.hosts[${j}]`);
            await batcher.host({ ikey: null, host: h as HostResult, target: info });
          }
          // A target the run never started (dns not-tried, no hosts): not stored, as in NDJSON above.
          if (target.dns?.status === 'not-tried' && target.hosts.length === 0) notStarted++;
          else await batcher.target({ ...target, hosts: [] });
        }
      }
      sc.end();
    } catch (e) {
      if (!(e instanceof JsonStreamError)) throw e;
      if (!e.truncated) throw new ResultsInputError(`${path}:${e.line}: ${e.message}`);
      if (head.schemaVersion === undefined && b === null) throw new ResultsInputError(`${path}:${e.line}: ${e.message}, before its schemaVersion; nothing to import`);
      truncated = true;
      opts.warn(`${path}:${e.line}: ${e.message}: the complete targets before the cut are imported (interrupted run)`);
    }
    if (!head.sawTargets && !truncated) throw new ResultsInputError(`${path}: missing "targets" array`);
    const batcher = await begin();
    if (notStarted > 0) opts.warn(`${path}: ${notStarted} target(s) the run never started (dns not-tried) are not stored`);
    const interrupted = truncated || head.interrupted === true;
    if (head.interrupted === true) opts.warn(`${path}: the run was interrupted before all targets finished`);
    await batcher.finish(typeof head.finishedAt === 'string' ? head.finishedAt : String(head.startedAt), interrupted);
    return { runId: batcher.writer.runId, targets: batcher.digest.size, hosts: batcher.hostCount, probes: batcher.probeCount, interrupted, truncated };
  });
}
