import { statSync } from 'node:fs';

/**
 * True when both paths name one regular file (same device and inode, so a symlink or a hard link counts too):
 * an output about to be opened (and truncated) that is one of the inputs being read. Regular files only:
 * /dev/stdin and /dev/stdout on one terminal are the same device. A path that does not exist (yet) is not the same
 * file as anything; an unreadable input is left to its reader to report.
 */
export function sameFile(a: string, b: string): boolean {
  try {
    const x = statSync(a);
    const y = statSync(b);
    return x.isFile() && y.isFile() && x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}
