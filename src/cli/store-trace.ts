/**
 * MXPROBE_STORE_TRACE=1: where a `probe --store` run spends its store time, printed to stderr when
 * the run ends. Fixed costs (driver load, open + migrations, the run row, the final flush, the
 * run's counts, close) as marks since process start, and the per-host costs summed: building the
 * rows on the prober's thread, and writing the batches (inserts and commits, or the PostgreSQL
 * round trip). Wall ms and this process's CPU ms for each. For profiling only (bench/store.mjs
 * and by hand); nothing else reads it.
 */
import type { RunWriter } from '../store/types.js';

interface Span {
  wall: number;
  cpu: number;
  n: number;
}

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

export class StoreTrace {
  private readonly marks: Array<{ label: string; at: number; wall: number; cpu: number }> = [];
  private readonly spans = new Map<string, Span>();
  private last = { wall: performance.now(), cpu: cpuMs() };

  /** A fixed phase ends now: its cost is the time since the previous mark. */
  mark(label: string): void {
    const wall = performance.now();
    const cpu = cpuMs();
    this.marks.push({ label, at: wall, wall: wall - this.last.wall, cpu: cpu - this.last.cpu });
    this.last = { wall, cpu };
  }

  /** Restart the clock of mark() without recording (the time since was not the store's). */
  reset(): void {
    this.last = { wall: performance.now(), cpu: cpuMs() };
  }

  /** Time a synchronous per-item step. */
  time<T>(label: string, f: () => T): T {
    const w0 = performance.now();
    const c0 = cpuMs();
    try {
      return f();
    } finally {
      this.add(label, performance.now() - w0, cpuMs() - c0);
    }
  }

  private add(label: string, wall: number, cpu: number): void {
    let s = this.spans.get(label);
    if (!s) this.spans.set(label, (s = { wall: 0, cpu: 0, n: 0 }));
    s.wall += wall;
    s.cpu += cpu;
    s.n++;
  }

  /** A RunWriter whose writeRows calls are timed (wall from call to commit; CPU in that span, not exact when async). */
  writer(w: RunWriter): RunWriter {
    const timed = async <T>(label: string, p: () => Promise<T>): Promise<T> => {
      const w0 = performance.now();
      const c0 = cpuMs();
      try {
        return await p();
      } finally {
        this.add(label, performance.now() - w0, cpuMs() - c0);
      }
    };
    return {
      runId: w.runId,
      writeBatch: (h, t) => timed('write batch', () => w.writeBatch(h, t)),
      writeRows: (rows) => timed('write batch', () => w.writeRows(rows)),
      ...(w.writePacked ? { writePacked: (rows: Parameters<NonNullable<RunWriter['writePacked']>>[0]) => timed('write batch', () => w.writePacked!(rows)) } : {}),
      finish: (info) => timed('finish run row', () => w.finish(info)),
    };
  }

  render(): string {
    const f = (x: number) => x.toFixed(1).padStart(8);
    const lines = ['store trace (ms)          at     wall      cpu'];
    for (const m of this.marks) lines.push(`  ${m.label.padEnd(22)}${f(m.at)}${f(m.wall)}${f(m.cpu)}`);
    for (const [label, s] of this.spans) lines.push(`  ${`${label} ×${s.n}`.padEnd(22)}${''.padStart(8)}${f(s.wall)}${f(s.cpu)}`);
    return `${lines.join('\n')}\n`;
  }
}
