/**
 * Writing a run into a store as it streams. Hosts and targets are buffered and written one batch
 * per transaction; the run goes on whatever the store does: a write failure is reported once
 * (through `warn`), the store is dropped for the rest of the run, and the caller's `-o` output is
 * untouched. Memory is bounded by the batch size, not by the run.
 */
import type { HostResult, TargetResult } from '../results.js';
import type { HostStrings } from './serialise.js';
import { KeySetDigest, targetKey, type HostTarget, type RunMetaIn, type RunState, type RunWriter, type Store } from './types.js';

export interface StoreSinkOptions {
  /** Hosts per transaction. */
  batchSize?: number;
  warn(message: string): void;
}

/** Batches queued for the store before `host()` makes the prober wait. */
const MAX_PENDING = 2;

export class StoreSink {
  private hosts: Array<{ host: HostResult; target: HostTarget; pre?: HostStrings | null }> = [];
  private targets: TargetResult[] = [];
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
    this.batchSize = opts.batchSize ?? 200;
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
   * Queue a host. A full batch is written off the probe's hot path: the caller waits only when the
   * store is more than `MAX_PENDING` batches behind (backpressure), so a PostgreSQL round trip or
   * an SQLite commit does not hold up the prober's worker. Memory: at most MAX_PENDING + 1 batches.
   */
  host(host: HostResult, target: HostTarget, pre?: HostStrings | null): Promise<void> {
    if (this.failed) return Promise.resolve();
    this.hosts.push(pre ? { host, target, pre } : { host, target });
    this.hostCount++;
    this.probeCount += host.probes.length;
    return this.hosts.length >= this.batchSize ? this.flushBehind() : Promise.resolve();
  }

  private pending = 0;

  private flushBehind(): Promise<void> {
    const done = this.flush();
    return this.pending > MAX_PENDING ? done : Promise.resolve();
  }

  target(t: TargetResult): Promise<void> {
    if (this.failed) return Promise.resolve();
    this.digest.add(targetKey(t));
    // The target record repeats its hosts; only its own fields are stored.
    this.targets.push({ ...t, hosts: [] });
    return this.targets.length >= this.batchSize ? this.flushBehind() : Promise.resolve();
  }

  private fail(e: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.hosts = [];
    this.targets = [];
    this.opts.warn(`store write failed, the rest of this run is not stored (results output is unaffected): ${e instanceof Error ? e.message : String(e)}`);
  }

  flush(): Promise<void> {
    const hosts = this.hosts;
    const targets = this.targets;
    this.hosts = [];
    this.targets = [];
    if (hosts.length === 0 && targets.length === 0) return this.chain;
    this.pending++;
    this.chain = this.chain.then(async () => {
      try {
        if (this.failed) return;
        await this.writer.writeBatch(hosts, targets);
      } catch (e) {
        this.fail(e);
      } finally {
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
