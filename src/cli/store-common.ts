/** Shared by `store`, `history` and `diff`: opening the store from --store/$MXPROBE_STORE, output. */
import { stripControl } from '../report/sanitize.js';
import { closeSync, openSync, writeSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import type { CliContext } from './context.js';
import { describeErrno, OutputError } from './output.js';
import { UsageError } from '../errors.js';
import { ResultsInputError } from '../report/load.js';
import { openStore, storeSource, storeSpec } from '../store/open.js';
import { StoreError, type Store } from '../store/types.js';

export async function openStoreFor(flag: string | undefined, ctx: CliContext, readOnly: boolean, mustExist = false): Promise<Store> {
  const spec = storeSpec(flag, ctx.env);
  if (spec === undefined) throw new UsageError('no store: give --store sqlite:PATH|PATH.db|postgres://… or set MXPROBE_STORE');
  try {
    return await openStore(spec, { cwd: ctx.cwd, env: ctx.env, readOnly, ...(mustExist ? { mustExist: true } : {}), warn: (m) => void ctx.stderr.write(`mxprobe: note: ${stripControl(m)}\n`) });
  } catch (e) {
    if (e instanceof StoreError) throw new UsageError(`${storeSource(flag)}: ${e.message}`);
    throw e;
  }
}

/**
 * Run a store command body: input problems (a bad store, an unreadable results file) are exit 2
 * with their message; a store failing mid-way is exit 1 with its message (never a stack trace,
 * never exit 0).
 */
export async function storeCommand(ctx: CliContext, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (e) {
    if (e instanceof ResultsInputError) {
      ctx.stderr.write(`mxprobe: ${stripControl(e.message, { keepNewlines: true })}\n`);
      ctx.setExitCode(2);
      return;
    }
    if (e instanceof StoreError) {
      ctx.stderr.write(`mxprobe: ${stripControl(e.message, { keepNewlines: true })}\n`);
      ctx.setExitCode(e.code === 'E_STORE_NOT_FOUND' || e.code === 'E_STORE_URL' ? 2 : 1);
      return;
    }
    throw e;
  }
}

export interface Sink {
  write(s: string): void;
  close(): void;
}

export function openSink(ctx: CliContext, path: string | undefined): Sink {
  if (!path) return { write: (s) => void ctx.stdout.write(s), close: () => {} };
  let fd: number;
  try {
    fd = openSync(resolvePath(ctx.cwd, path), 'w');
  } catch (e) {
    throw new UsageError(`-o: cannot write ${path}: ${(e as Error).message}`);
  }
  // A failed write or close (a full disk, a quota) is the -o file's error, exit 5 naming it, as
  // every other -o writer says it (output.ts), never an internal error with a stack trace. The
  // first failure is the one reported, whatever is written after it.
  let failed: OutputError | null = null;
  const fail = (e: unknown): never => {
    if (failed === null) {
      const d = describeErrno(e);
      failed = new OutputError(path, d.code, d.text);
    }
    throw failed;
  };
  return {
    write: (s) => {
      if (failed !== null) throw failed;
      try {
        const b = Buffer.from(s, 'utf8');
        // writeSync may write less than asked: the rest is written until none is left.
        for (let off = 0; off < b.length; ) off += writeSync(fd, b, off);
      } catch (e) {
        fail(e);
      }
    },
    close: () => {
      try {
        closeSync(fd);
      } catch (e) {
        fail(e);
      }
      if (failed !== null) throw failed;
    },
  };
}

/** "90d", "12h", "2w" → milliseconds. */
export function parseDuration(flag: string, s: string): number {
  const m = /^(\d+)([hdw])$/.exec(s.trim());
  if (!m) throw new UsageError(`${flag}: "${s}" is not a duration (e.g. 90d, 12h, 2w)`);
  const n = Number(m[1]);
  // `--keep 0d` kept nothing: every finished run deleted, exit 0 ("pruned 7 run(s)"). A retention
  // window of zero is a slip (`--keep "${DAYS}d"` with DAYS=0, a typo for 90d), not a policy; to
  // empty a store, delete its file.
  if (n === 0) throw new UsageError(`${flag}: "${s}" keeps nothing: it would delete every finished run; give a window of at least 1h (e.g. 90d, 12h, 2w)`);
  const ms = n * { h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 }[m[2] as 'h' | 'd' | 'w'];
  // `--keep 99999999999d` put the cut-off before the first date a Date can hold: an internal
  // RangeError with a stack trace. 10,000 years is "keep everything" for any store.
  if (ms > MAX_DURATION_MS) throw new UsageError(`${flag}: "${s}" is longer than 10000 years (e.g. 90d, 12h, 2w)`);
  return ms;
}

const MAX_DURATION_MS = 3_652_500 * 86_400_000;
