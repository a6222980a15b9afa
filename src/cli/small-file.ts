/**
 * Reading the small files options name (`--policy`, `--ca-file`): at most 1 MiB, and never a
 * binary file. readFileSync on /dev/zero (or a wrong path to a disk image) grew the process to
 * 16 GB in one synchronous call that no signal could interrupt.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { UsageError } from '../errors.js';

export const SMALL_FILE_MAX = 1024 * 1024;

/** The file's text, or a UsageError naming `option` when it cannot be read, is too large or is binary. */
export function readSmallTextFile(path: string, option: string, maxBytes: number = SMALL_FILE_MAX): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new UsageError(`${option}: cannot read ${path}: ${(err as Error).message}`);
  }
  try {
    const buf = Buffer.alloc(maxBytes + 1);
    let len = 0;
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buf, len, buf.length - len, null);
      } catch (err) {
        throw new UsageError(`${option}: cannot read ${path}: ${(err as Error).message}`);
      }
      if (n === 0) break;
      len += n;
      // Checked as it arrives: /dev/zero is refused after its first read, not after 1 MiB.
      if (buf.subarray(len - n, len).includes(0)) throw new UsageError(`${option}: ${path} is a binary file (NUL byte), not text`);
      if (len > maxBytes) throw new UsageError(`${option}: ${path} is larger than ${maxBytes === SMALL_FILE_MAX ? '1 MiB' : `${maxBytes} bytes`}: not a ${option} file`);
    }
    return buf.subarray(0, len).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
