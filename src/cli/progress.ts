/**
 * Progress on stderr, only when stderr is a terminal and --quiet is not given, so pipes and CI
 * logs stay clean and stdout carries only results.
 *
 * One status line, rewritten in place (CR + "erase line", ECMA-48 §8.3.29), cut to the terminal
 * width. Deliberately not a spinner library: a terminal that reports 0 columns (script(1) with
 * no size, CI wrappers) made ora divide by zero and repaint forever at full CPU, and its stdin
 * handling swallowed Ctrl-C. Here a width that is not a positive number means 80 columns, nothing
 * runs on a timer, nothing touches stdin or signals, and the line is painted at most every 200 ms.
 */
import type { CliContext } from './context.js';
import { stripControl } from '../report/sanitize.js';
import { truncateWidth } from '../report/width.js';

export interface Progress {
  /** A host finished with `probes` probes (cells). */
  host(probes: number, last: string): void;
  /** A target finished. */
  target(last: string): void;
  stop(): void;
}

export interface ProgressState {
  probesDone: number;
  hostsDone: number;
  targetsDone: number;
  totalTargets: number;
  last: string;
}

/** The columns to fit: the terminal's, or 80 when it reports 0, nothing or nonsense. */
export function usableColumns(columns: unknown): number {
  return typeof columns === 'number' && Number.isFinite(columns) && columns >= 20 ? Math.floor(columns) : 80;
}

/** The status line (pure): probes count first, since one target can hold a 48-cell matrix. */
export function progressLine(s: ProgressState, columns: number): string {
  const text = `${s.probesDone} probe${s.probesDone === 1 ? '' : 's'} done · ${s.hostsDone} host${s.hostsDone === 1 ? '' : 's'} · ${s.targetsDone}/${s.totalTargets} targets · ${stripControl(s.last)}`;
  // One column short of the width, so the terminal never wraps the line.
  return truncateWidth(text, columns - 1);
}

const NOOP: Progress = { host() {}, target() {}, stop() {} };

export function startProgress(ctx: CliContext, enabled: boolean, totalTargets: number, now: () => number = Date.now): Progress {
  if (!enabled || !ctx.stderrIsTty) return NOOP;
  const stream = ctx.stderr as NodeJS.WritableStream & { columns?: unknown };
  const state: ProgressState = { probesDone: 0, hostsDone: 0, targetsDone: 0, totalTargets, last: '' };
  let lastPaint = 0;
  let painted = false;
  const paint = (force: boolean) => {
    const t = now();
    if (!force && t - lastPaint < 200) return;
    lastPaint = t;
    painted = true;
    stream.write(`\r\x1b[2K${progressLine(state, usableColumns(stream.columns))}`);
  };
  paint(true);
  return {
    host(probes, last) {
      state.probesDone += probes;
      state.hostsDone++;
      state.last = last;
      paint(false);
    },
    target(last) {
      state.targetsDone++;
      state.last = last;
      paint(false);
    },
    stop() {
      if (painted) stream.write('\r\x1b[2K');
      painted = false;
    },
  };
}
