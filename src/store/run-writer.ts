/**
 * Which process writes a run (migration 10): `probe --store` records its host name and pid when
 * it opens the run, so a run still marked `running` can be told apart: its process alive, gone
 * (killed: SIGKILL, OOM, a reboot, nothing marked the run), or on another host (not checkable here).
 */
import { hostname } from 'node:os';
import type { RunMetaIn, RunRow } from './types.js';

/** The writer to record: this process for a probe run; none for an import (it has a source file). */
export function runWriterOf(meta: RunMetaIn): { host: string | null; pid: number | null } {
  return meta.source === null ? { host: hostname(), pid: process.pid } : { host: null, pid: null };
}

export type WriterLiveness = 'alive' | 'gone' | 'elsewhere' | 'unknown';

/**
 * Whether the writer of a run still runs. Only a pid on this host can be checked (signal 0: ESRCH
 * is "no such process"; EPERM means it exists under another user). A pid may have been reused by
 * another process since: then it reads as alive, never wrongly as gone.
 */
export function writerLiveness(r: Pick<RunRow, 'writerHost' | 'writerPid'>, here: string = hostname(), probe: (pid: number) => void = (pid) => process.kill(pid, 0)): WriterLiveness {
  if (r.writerHost === undefined || r.writerHost === null || r.writerPid === undefined || r.writerPid === null) return 'unknown';
  if (r.writerHost !== here) return 'elsewhere';
  try {
    probe(r.writerPid);
    return 'alive';
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH' ? 'gone' : 'alive';
  }
}

/**
 * The state of a run for people: "running (pid N on HOST: no such process)" when its writer on
 * this host is gone, "running (pid N on HOST)" otherwise; other states as they are.
 */
export function runStateText(r: RunRow, here: string = hostname()): string {
  if (r.state !== 'running' || r.writerPid === undefined || r.writerPid === null || !r.writerHost) return r.state;
  const who = `pid ${r.writerPid} on ${r.writerHost}`;
  const live = writerLiveness(r, here);
  return live === 'gone' ? `running (${who}: no such process)` : `running (${who})`;
}
