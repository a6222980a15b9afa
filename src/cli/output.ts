/**
 * Output that cannot be written is a failure, never a silent success: a full disk (`-o /dev/full`,
 * `> /dev/full`), an I/O error or a closed pipe loses results, so the process must not exit 0.
 *
 * Exit codes owned here (documented in the README "Exit codes"):
 * - 5 ({@link EXIT_OUTPUT_LOST}): results could not be written to stdout or the -o file;
 * - 141 ({@link EXIT_PIPE_CLOSED}): the reader closed the pipe (`mxprobe … | head`): no message,
 *   the conventional 128 + SIGPIPE of a Unix filter that lost its reader.
 */
import { accessSync, closeSync, constants as fsConstants, openSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFile } from 'node:fs/promises';
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
    msg = msg.replace(/,\s*(write|open|close|stat|access)\b.*$/, '');
    return { code, text: `${msg} (${code})` };
  }
  return { code, text: msg };
}

/**
 * A file opened for results: synchronous writes (nothing finished is lost on a signal), errors typed.
 *
 * With `bufferBytes` > 0, records are gathered and written in chunks of about that size (one
 * write(2) per chunk instead of one per record: issue 13, thousands of hosts a second). A record
 * never waits longer than `flushMs` (a timer flushes), the buffer is flushed by close(), and on
 * any process exit (process.exit after a second signal, an error path that never reaches close())
 * an 'exit' hook writes what is left synchronously, so a finished record is lost only if the
 * process is killed outright (SIGKILL) within `flushMs` of finishing it; --resume re-probes those.
 * A write error met by the timer is kept and thrown by the next write() or close().
 */
export interface FileOut {
  write(s: string): void;
  /** Writes what is buffered now. */
  flush(): void;
  close(): void;
}

/**
 * A whole report written to `-o` at the end of a command (report, logs, fleet report): a write
 * that fails (disk full, EIO) is one OutputError naming the file, exit 5, never a stack trace and
 * never exit 0 with the report lost.
 */
export async function writeReportFile(display: string, path: string, text: string): Promise<void> {
  try {
    await writeFile(path, text, 'utf8');
  } catch (err) {
    const d = describeErrno(err);
    throw new OutputError(display, d.code, d.text);
  }
}

/**
 * Throws the OutputError openFileOut would throw for an `-o` that cannot be opened (no such
 * directory, not writable, a directory, a read-only file system), without opening, creating or
 * truncating anything: for checks made before a command starts work it cannot undo (probe opens
 * its store run first, so that a bad store never truncates `-o`; a bad `-o` must not leave a
 * store run behind). A full disk shows only when writing.
 */
export function checkFileOut(display: string, path: string): void {
  try {
    const st = statSync(path, { throwIfNoEntry: false });
    if (st === undefined) {
      const dir = dirname(path);
      if (!statSync(dir).isDirectory()) throw Object.assign(new Error(`ENOTDIR: not a directory, open '${path}'`), { code: 'ENOTDIR' });
      accessSync(dir, fsConstants.W_OK);
    } else if (st.isDirectory()) {
      throw Object.assign(new Error(`EISDIR: illegal operation on a directory, open '${path}'`), { code: 'EISDIR' });
    } else accessSync(path, fsConstants.W_OK);
  } catch (err) {
    const d = describeErrno(err);
    throw new OutputError(display, d.code, d.text);
  }
}

export interface FileOutOptions {
  /** Gather records up to about this many bytes before writing (default 0: write each at once). */
  bufferBytes?: number;
  /** The longest a buffered record waits before it is written (default 200 ms). */
  flushMs?: number;
}

export function openFileOut(display: string, path: string, mode: 'w' | 'a' = 'w', options: FileOutOptions = {}): FileOut {
  let fd: number;
  try {
    fd = openSync(path, mode);
  } catch (err) {
    const d = describeErrno(err);
    throw new OutputError(display, d.code, d.text);
  }
  const bufferBytes = options.bufferBytes ?? 0;
  const flushMs = options.flushMs ?? 200;
  let closed = false;
  let parts: string[] = [];
  let size = 0;
  let timer: NodeJS.Timeout | undefined;
  let deferred: OutputError | null = null;
  const writeAll = (s: string): void => {
    try {
      // writeSync may write less than asked (a pipe or a slow device): loop until all is out.
      const buf = Buffer.from(s, 'utf8');
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    } catch (err) {
      const d = describeErrno(err);
      throw new OutputError(display, d.code, d.text);
    }
  };
  const flush = (): void => {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (parts.length === 0) return;
    const data = parts.length === 1 ? (parts[0] as string) : parts.join('');
    parts = [];
    size = 0;
    writeAll(data);
  };
  const onTimer = (): void => {
    timer = undefined;
    try {
      flush();
    } catch (err) {
      deferred ??= err as OutputError;
    }
  };
  // The last records of a process that exits without close() (see above). process.exit() runs
  // 'exit' listeners, which may only do synchronous work: writeSync is.
  const onExit = (): void => {
    if (closed) return;
    try {
      flush();
    } catch (err) {
      process.stderr.write(`mxprobe: ${(err as Error).message}\n`);
      if (!process.exitCode) process.exitCode = EXIT_OUTPUT_LOST;
    }
  };
  if (bufferBytes > 0) process.once('exit', onExit);
  return {
    write(s) {
      if (deferred !== null) throw deferred;
      if (bufferBytes <= 0) {
        writeAll(s);
        return;
      }
      parts.push(s);
      size += s.length;
      if (size >= bufferBytes) flush();
      else if (timer === undefined) {
        timer = setTimeout(onTimer, flushMs);
        timer.unref();
      }
    },
    flush() {
      if (deferred !== null) throw deferred;
      flush();
    },
    close() {
      if (closed) return;
      closed = true;
      process.removeListener('exit', onExit);
      // The first failure is the one to report: a write error says more than the close error after it.
      let error: unknown = deferred;
      if (error === null) {
        try {
          flush();
        } catch (err) {
          error = err;
        }
      }
      try {
        closeSync(fd);
      } catch (err) {
        const d = describeErrno(err);
        error ??= new OutputError(display, d.code, d.text);
      }
      if (error !== null) throw error;
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
