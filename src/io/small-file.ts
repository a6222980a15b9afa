/**
 * Reading the files options name (`--policy`, `--ca-file`, `--queue-ca`, `deliver --results`):
 * with a size cap, and never a binary file. readFileSync on /dev/zero (or a wrong path to a disk
 * image) grew the process to 16 GB in one synchronous call that no signal could interrupt.
 * Here in io/ rather than cli/ because the fleet room reads `--queue-ca` too and must not import cli/.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { UsageError } from '../errors.js';

export const SMALL_FILE_MAX = 1024 * 1024;

/** Read this much at a time: a large cap (deliver --results) must not be allocated up front. */
const CHUNK = 64 * 1024;

function sizeText(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  return `${bytes} bytes`;
}

/**
 * The file's text, or a UsageError naming `option` when it cannot be read, is larger than
 * `maxBytes` (the message ends with `tooLarge`) or holds a NUL byte (no text format these options
 * take has one).
 */
export function readSmallTextFile(path: string, option: string, maxBytes: number = SMALL_FILE_MAX, tooLarge = `not a ${option} file`): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new UsageError(`${option}: cannot read ${path}: ${(err as Error).message}`);
  }
  try {
    const chunks: Buffer[] = [];
    let len = 0;
    for (;;) {
      // Never more than one byte past the cap, so "too large" is known without holding more.
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, maxBytes + 1 - len));
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (err) {
        throw new UsageError(`${option}: cannot read ${path}: ${(err as Error).message}`);
      }
      if (n === 0) break;
      const got = buf.subarray(0, n);
      // Checked as it arrives: /dev/zero is refused after its first read, not after the cap.
      if (got.includes(0)) throw new UsageError(`${option}: ${path} is a binary file (NUL byte), not text`);
      chunks.push(got);
      len += n;
      if (len > maxBytes) throw new UsageError(`${option}: ${path} is larger than ${sizeText(maxBytes)}: ${tooLarge}`);
    }
    return Buffer.concat(chunks, len).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
