/**
 * Progress on stderr through ora, only when stderr is a terminal and --quiet is not given,
 * so pipes and CI logs stay clean and stdout carries only results.
 */
import ora, { type Ora } from 'ora';
import type { CliContext } from './context.js';
import { stripControl } from '../report/sanitize.js';

export interface Progress {
  update(targetsDone: number, hostsDone: number, last: string): void;
  stop(): void;
}

export function startProgress(ctx: CliContext, enabled: boolean, totalTargets: number): Progress {
  if (!enabled || !ctx.stderrIsTty) return { update() {}, stop() {} };
  const spinner: Ora = ora({ stream: ctx.stderr as NodeJS.WritableStream, text: `probing ${totalTargets} target(s)…` }).start();
  let lastPaint = 0;
  return {
    update(targetsDone, hostsDone, last) {
      const now = Date.now();
      if (now - lastPaint < 100) return;
      lastPaint = now;
      spinner.text = `${targetsDone}/${totalTargets} targets, ${hostsDone} hosts · ${stripControl(last).slice(0, 60)}`;
    },
    stop() {
      spinner.stop();
    },
  };
}
