/**
 * Output that cannot be written is a failure, never a silent success: a full disk (`-o /dev/full`,
 * `> /dev/full`), an I/O error or a closed pipe loses results, so the process must not exit 0.
 *
 * Exit codes owned here (documented in the README "Exit codes"):
 * - 5 ({@link EXIT_OUTPUT_LOST}): results could not be written to stdout or the -o file;
 * - 141 ({@link EXIT_PIPE_CLOSED}): the reader closed the pipe (`mxprobe … | head`): no message,
 *   the conventional 128 + SIGPIPE of a Unix filter that lost its reader.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { MxprobeError } from '../errors.js';

export const EXIT_INCONCLUSIVE = 4;
export const EXIT_OUTPUT_LOST = 5;
export const EXIT_PIPE_CLOSED = 141;

/** Results could not be written; `where` is "stdout" or the file name. */
export class OutputError extends MxprobeError {
  constructor(readonly where: string, readonly errno: string | undefined, detail: string) {
    super('E_OUTPUT', `cannot write results to ${where}: ${detail}; output is incomplete`);
  }
}

/** "ENOSPC: no space left on device, write" → "no space left on device (ENOSPC)": one code, once. */
export function describeErrno(err: unknown): { code: string | undefined; text: string } {
  const e = err as NodeJS.ErrnoException;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  let msg = e instanceof Error ? e.message : String(err);
  if (code !== undefined) {
    msg = msg.replace(new RegExp(`^${code}:\\s*`), '').replace(new RegExp(`(${code}:\\s*)+`, 'g'), '');
    msg = msg.replace(/,\s*(write|open|close)\b.*$/, '');
    return { code, text: `${msg} (${code})` };
  }
  return { code, text: msg };
}

/** A file opened for results: synchronous writes (nothing finished is lost on a signal), errors typed. */
export interface FileOut {
  write(s: string): void;
  close(): void;
}

export function openFileOut(display: string, path: string, mode: 'w' | 'a' = 'w'): FileOut {
  let fd: number;
  try {
    fd = openSync(path, mode);
  } catch (err) {
    const d = describeErrno(err);
    throw new OutputError(display, d.code, d.text);
  }
  let closed = false;
  return {
    write(s) {
      try {
        // writeSync may write less than asked (a pipe or a slow device): loop until all is out.
        const buf = Buffer.from(s, 'utf8');
        let off = 0;
        while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
      } catch (err) {
        const d = describeErrno(err);
        throw new OutputError(display, d.code, d.text);
      }
    },
    close() {
      if (closed) return;
      closed = true;
      try {
        closeSync(fd);
      } catch (err) {
        const d = describeErrno(err);
        throw new OutputError(display, d.code, d.text);
      }
    },
  };
}

/**
 * The width the terminal table must fit: the terminal's when stdout is one (80 when it reports 0
 * or nothing), else $COLUMNS when set, else none (a file or pipe gets one grid, however wide).
 */
export function tableWidth(stdout: unknown, env: Record<string, string | undefined>, toFile: boolean): number | undefined {
  const cols = env['COLUMNS'];
  const fromEnv = cols !== undefined && /^\d+$/.test(cols) && Number(cols) >= 20 ? Number(cols) : undefined;
  if (toFile) return fromEnv;
  const s = stdout as { isTTY?: boolean; columns?: unknown };
  if (s.isTTY === true) return typeof s.columns === 'number' && s.columns >= 20 ? s.columns : (fromEnv ?? 80);
  return fromEnv;
}
