/**
 * What a `probe --store` run has committed, and marking the run failed after a lost write. Used
 * where the run's writes happen: on the prober's thread (cli/store-hook-open.ts) or in the store
 * writer thread (sink-worker.ts).
 */
import type { RecordText, RowBatch } from './rows.js';
import { KeySetDigest, targetKey, type RunWriter } from './types.js';

/**
 * What the store has committed of this run, counted per batch as each write resolves, and the run
 * marked `failed` with those counts when a write failed mid-run. StoreSink stops writing at the
 * first failure and never finishes the run row, so before this a disk-full run stayed `running`
 * forever (qa10): `diff` and `store runs` could not tell it from a run being written now. The
 * counts are of the rows that reached the store (a failed batch is rolled back), not of what was
 * probed; the digest is of the stored targets' keys, so a failed run never looks like a complete
 * run of the same targets.
 */
export class CommittedRows {
  hosts = 0;
  probes = 0;
  readonly targets = new KeySetDigest();

  wrap(w: RunWriter): RunWriter {
    // Per committed batch, not per host: array lengths, and the target keys' hashes (made once, rows.ts targetRow).
    const count = <T extends RecordText>(rows: RowBatch<T>) => {
      this.hosts += rows.hosts.length;
      for (const h of rows.hosts) this.probes += h.probes.length;
      for (const t of rows.targets) this.targets.addHash(t.khash);
    };
    return {
      runId: w.runId,
      writeBatch: async (h, t) => {
        await w.writeBatch(h, t);
        this.hosts += h.length;
        for (const x of h) this.probes += x.host.probes.length;
        for (const t1 of t) this.targets.add(targetKey(t1));
      },
      writeRows: async (rows) => {
        await w.writeRows(rows);
        count(rows);
      },
      // A packed batch's buffers are reused once the write resolved, but its arrays and keys are not.
      ...(w.writePacked
        ? {
            writePacked: async (rows: RowBatch<RecordText>) => {
              await w.writePacked!(rows);
              count(rows);
            },
          }
        : {}),
      finish: (info) => w.finish(info),
    };
  }

  /**
   * After a failed write: mark the run `failed`, once. Never throws: when this fails too (the disk
   * is still full), stderr says which run stays `running`.
   */
  async markFailed(w: RunWriter, finishedAt: string, label: string, say: (m: string) => void): Promise<void> {
    try {
      await w.finish({ finishedAt, state: 'failed', targetCount: this.targets.size, hostCount: this.hosts, probeCount: this.probes, targetsDigest: this.targets.digest() });
      say(`store: run ${w.runId} in ${label} is marked failed: it holds ${this.hosts} host(s) of this run; the results output has them all`);
    } catch (e) {
      say(`store: run ${w.runId} in ${label} could not be marked failed either (${e instanceof Error ? e.message : String(e)}): it stays "running" in the store; diff leaves it out, and prune deletes it once it is a week old`);
    }
  }
}
