import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { UsageError } from '../errors.js';

/**
 * --resume appends to its file. Two runs resuming one file at once (an hourly cron job overlapping
 * the previous one) both appended, and both truncated a file that did not exist yet: records
 * interleaved and lines were torn in the middle of the file, which `report` then refuses whole.
 * FILE.lock, created exclusively (O_EXCL), holds the owner's PID until its process exits; a lock
 * whose process is gone (kill -9) is taken over. Two runs taking over one stale lock at the same
 * moment are not kept apart: that needs a kill -9 and two starts within the same instant.
 */
export function lockResumeFile(path: string): void {
  const lock = `${path}.lock`;
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(lock, 'wx');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw new UsageError(`--resume: cannot create the lock file ${lock}: ${(err as Error).message}`);
      let owner = NaN;
      try {
        owner = Number.parseInt(readFileSync(lock, 'utf8'), 10);
      } catch {
        continue; // removed in between: try again
      }
      // Our own PID: a lock left by an earlier run in this process (the CLI run in-process).
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && processAlive(owner)) {
        throw new UsageError(`--resume: ${path} is being written by another mxprobe (pid ${owner}); wait for it to end, or remove ${lock} if that process is not mxprobe`);
      }
      try {
        unlinkSync(lock);
      } catch {
        // Another run took it over first: the next attempt sees its lock.
      }
      continue;
    }
    writeSync(fd, `${process.pid}\n`);
    closeSync(fd);
    const release = (): void => {
      try {
        if (Number.parseInt(readFileSync(lock, 'utf8'), 10) === process.pid) unlinkSync(lock);
      } catch {
        // Already gone.
      }
    };
    process.once('exit', release);
    return;
  }
  throw new UsageError(`--resume: cannot lock ${path} (${lock} keeps changing)`);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
