/**
 * Writing a run into a store as it streams. Each host is turned into its rows (rows.ts: keys,
 * columns, brief) as it arrives, so the prober's result objects are not kept alive by the store;
 * the rows are written one batch per transaction, a batch closing after `flushMs` or `batchSize`
 * hosts, whichever comes first. The run goes on whatever the store does: a write failure is
 * reported once (through `warn`), the store is dropped for the rest of the run, and the caller's
 * `-o` output is untouched. Memory is bounded by the batch, not by the run.
 *
 * Why by time: a commit costs the same whatever the batch holds (WAL frames of the index pages it
 * touched, a PostgreSQL round trip), so a fast run wants few large batches; a slow run (a few
 * hosts a minute) still gets each host committed within `flushMs`. SQLite in WAL mode with
 * synchronous=NORMAL is durable to the last commit (sqlite.org/wal.html), so a crash loses at most
 * the last `flushMs` of rows, which the run's `-o` output still holds.
 */
import type { HostResult, TargetResult } from '../results.js';
import { hostRow, probeRow, RecordPack, targetRow, type RecordText, type RowBatch } from './rows.js';
import type { HostStrings } from './serialise.js';
import { KeySetDigest, targetKey, type HostTarget, type RunMetaIn, type RunState, type RunWriter, type Store } from './types.js';

export interface StoreSinkOptions {
  /** Hosts per transaction, at most (default 1000). */
  batchSize?: number;
  /** A batch is written at most this long after its first row arrived (default 500 ms). */
  flushMs?: number;
  warn(message: string): void;
}

/** Batches queued for the store before `host()` makes the prober wait. */
const MAX_PENDING = 2;

export class StoreSink {
  private rows: RowBatch<RecordText> = { hosts: [], targets: [] };
  /**
   * Set when the writer takes packed batches (RunWriter.writePacked: the in-thread SQLite writer):
   * the batch being built holds its hosts' large text columns in these off-heap buffers instead
   * of as strings (rows.ts RecordPack says why).
   */
  private readonly pack: RecordPack | null;
  private timer: NodeJS.Timeout | null = null;
  private readonly flushMs: number;
  private chain: Promise<void> = Promise.resolve();
  private failed = false;
  private readonly digest = new KeySetDigest();
  private hostCount = 0;
  private probeCount = 0;
  private readonly batchSize: number;

  private constructor(
    private readonly writer: RunWriter,
    private readonly opts: StoreSinkOptions,
  ) {
    this.batchSize = opts.batchSize ?? 1000;
    this.pack = writer.writePacked ? new RecordPack() : null;
    this.flushMs = opts.flushMs ?? 500;
  }

  static async start(store: Store, meta: RunMetaIn, opts: StoreSinkOptions): Promise<StoreSink> {
    return new StoreSink(await store.beginRun(meta), opts);
  }

  /** A sink over a run already begun (the store writer thread's, worker-sink.ts). */
  static over(writer: RunWriter, opts: StoreSinkOptions): StoreSink {
    return new StoreSink(writer, opts);
  }

  get runId(): number {
    return this.writer.runId;
  }

  /** True once a write failed (the run was not stored completely). */
  get lost(): boolean {
    return this.failed;
  }

  /**
   * Queue a host, as rows. A full batch is written off the probe's hot path: the caller waits only
   * when the store is more than `MAX_PENDING` batches behind (backpressure), so a PostgreSQL round
   * trip or an SQLite commit does not hold up the prober's worker.
   */
  host(host: HostResult, target: HostTarget, pre?: HostStrings | null): Promise<void> {
    if (this.failed) return Promise.resolve();
    try {
      const pack = this.pack;
      if (pack) this.rows.hosts.push({ h: pack.hostRow(hostRow(host, target, pre)), probes: host.probes.map((p, seq) => pack.probeRow(probeRow(p, seq, pre?.probes[seq]))) });
      else this.rows.hosts.push({ h: hostRow(host, target, pre), probes: host.probes.map((p, seq) => probeRow(p, seq, pre?.probes[seq])) });
    } catch (e) {
      this.fail(e);
      return Promise.resolve();
    }
    this.hostCount++;
    this.probeCount += host.probes.length;
    return this.queued();
  }

  /** After a row was added: write the batch when full, else make sure it is written within flushMs. */
  private queued(): Promise<void> {
    if (this.rows.hosts.length >= this.batchSize || this.rows.targets.length >= this.batchSize) return this.flushBehind();
    if (this.timer === null) {
      this.timer = setTimeout(() => void this.flush(), this.flushMs);
      // A run that has nothing else to do is not kept alive by the store: finish() flushes.
      this.timer.unref();
    }
    return Promise.resolve();
  }

  private pending = 0;

  private flushBehind(): Promise<void> {
    const done = this.flush();
    return this.pending > MAX_PENDING ? done : Promise.resolve();
  }

  /** `record`: the target without its hosts, already serialised (serialise.ts serialiseTarget). */
  target(t: TargetResult, record?: string | null): Promise<void> {
    if (this.failed) return Promise.resolve();
    try {
      // The target record repeats its hosts; only its own fields are stored (targetRow leaves
      // `hosts` out, without copying the target).
      const row = targetRow(t, record ?? undefined);
      this.digest.addHash(row.khash);
      this.rows.targets.push(row);
    } catch (e) {
      this.fail(e);
      return Promise.resolve();
    }
    return this.queued();
  }

  /** Stop storing this run: warn once, drop what is held (a failed write, or input the writer thread could not read). */
  fail(e: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.pack?.take();
    this.rows = { hosts: [], targets: [] };
    this.opts.warn(`store write failed, the rest of this run is not stored (results output is unaffected): ${e instanceof Error ? e.message : String(e)}`);
  }

  flush(): Promise<void> {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const rows = this.rows;
    if (rows.hosts.length === 0 && rows.targets.length === 0) return this.chain;
    this.rows = { hosts: [], targets: [] };
    if (this.pack) rows.chunks = this.pack.take();
    this.pending++;
    this.chain = this.chain.then(async () => {
      try {
        if (this.failed) return;
        // Only a batch built by pack holds Buffer columns, and only a writer with writePacked gets one.
        if (this.pack && this.writer.writePacked) await this.writer.writePacked(rows);
        else await this.writer.writeRows(rows as RowBatch);
      } catch (e) {
        this.fail(e);
      } finally {
        this.pack?.release(rows.chunks);
        this.pending--;
      }
    });
    return this.chain;
  }

  /** Write what is left and mark the run finished. Never throws: failures go to `warn`. */
  async finish(finishedAt: string, state: RunState): Promise<void> {
    await this.flush();
    if (this.failed) return;
    try {
      await this.writer.finish({ finishedAt, state, targetCount: this.digest.size, hostCount: this.hostCount, probeCount: this.probeCount, targetsDigest: this.digest.digest() });
    } catch (e) {
      this.fail(e);
    }
  }
}
