/**
 * Progress on stderr through ora, only when stderr is a terminal and --quiet is not given, so
 * pipes and CI logs stay clean and stdout carries only results.
 *
 * Guarded (B1): a terminal that reports 0 columns (script(1) with no size, CI wrappers) made ora
 * divide by zero and repaint forever at full CPU, ignoring Ctrl-C. ora gets a view of the stream
 * whose `columns` is never below 20 (80 when the terminal says 0 or nothing), the text is cut to
 * fit one line, and ora never touches stdin (`discardStdin: false`, which put a TTY stdin in raw
 * mode and swallowed Ctrl-C) or the cursor's exit hooks (`hideCursor: false`): signals stay ours.
 */
import type { Ora } from 'ora';
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

/** The stream as ora sees it: the same stream, with a usable `columns` (never 0). */
export function guardColumns<T extends object>(stream: T): T {
  return new Proxy(stream, {
    get(target, prop) {
      if (prop === 'columns') return usableColumns((target as { columns?: unknown }).columns);
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
    set(target, prop, value) {
      return Reflect.set(target, prop, value, target);
    },
  });
}

/**
 * `color`: false for `--no-color` or NO_COLOR (cli/color.ts). ora colours its spinner frame through
 * chalk, which looks at neither, so it is told outright.
 */
export async function startProgress(ctx: CliContext, enabled: boolean, totalTargets: number, now: () => number = Date.now, color = true): Promise<Progress> {
  if (!enabled || !ctx.stderrIsTty) return NOOP;
  // Loaded only when a spinner is really drawn: ora's module graph costs ~0.1 s of CPU at start-up
  // that a quiet or piped run would pay for nothing.
  const { default: ora } = await import('ora');
  const stream = guardColumns(ctx.stderr as NodeJS.WritableStream & { columns?: unknown });
  const state: ProgressState = { probesDone: 0, hostsDone: 0, targetsDone: 0, totalTargets, last: '' };
  // ora draws its spinner frame and a space before the text.
  const text = () => progressLine(state, usableColumns(stream.columns) - 2);
  const spinner: Ora = ora({ stream, text: text(), discardStdin: false, hideCursor: false, ...(color ? {} : { color: false }) }).start();
  let lastPaint = 0;
  const paint = () => {
    const t = now();
    if (t - lastPaint < 200) return;
    lastPaint = t;
    spinner.text = text();
  };
  return {
    host(probes, last) {
      state.probesDone += probes;
      state.hostsDone++;
      state.last = last;
      paint();
    },
    target(last) {
      state.targetsDone++;
      state.last = last;
      paint();
    },
    stop() {
      spinner.stop();
    },
  };
}
