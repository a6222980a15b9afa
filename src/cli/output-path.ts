/**
 * Checks on a report's output path, made before any work: a report that cannot be written should
 * cost nothing, and a command must never overwrite its own input with its report (`logs mail.log
 * -o mail.log`, `fleet report run.json -o run.json`). Shared by `logs` (-o, --emit-targets) and
 * `fleet report` (-o).
 */
import { access, constants as fsConstants, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { sameFile } from '../io/same-file.js';

/** The same file (device and inode), or the same path when neither exists yet. */
export function sameFileOrPath(a: string, b: string): boolean {
  return a === b || sameFile(a, b);
}

/**
 * Why `path` cannot be written, or null. Nothing is created: a run that fails later leaves no
 * empty file behind. One of `inputs` (same device and inode) is refused; `what` names them.
 */
export async function outputPathProblem(path: string, inputs: string[], what = 'the files being read'): Promise<string | null> {
  let st: Awaited<ReturnType<typeof stat>> | null = null;
  try {
    st = await stat(path);
  } catch {
    // Not there yet: its directory must take a new file.
  }
  if (st !== null) {
    if (st.isDirectory()) return 'it is a directory';
    if (inputs.some((f) => sameFile(path, f))) return `it is one of ${what} (it would be overwritten)`;
  }
  try {
    await access(st !== null ? path : dirname(path), fsConstants.W_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'no such directory' : code === 'EROFS' ? 'read-only file system' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (e as Error).message;
  }
  return null;
}
