/**
 * Opening the files the CLI reads (targets, logs, fleet files, results): one rule for binary input
 * and one way to read a path that may be a FIFO, shared by the rooms that read files.
 */
import { closeSync, createReadStream, fstatSync, open, type Stats } from 'node:fs';

/** How far into a source NUL bytes mean "binary" (git's heuristic): text formats never hold a raw NUL. */
export const BINARY_SNIFF_BYTES = 8 * 1024;

/**
 * Open a path for reading and stat it. The open goes to the thread pool: opening a FIFO waits for
 * its writer, and the event loop must stay free to serve a signal meanwhile.
 */
export async function openForRead(path: string): Promise<{ fd: number; stat: Stats }> {
  const fd = await new Promise<number>((res, rej) => open(path, 'r', (err, fd) => (err ? rej(err) : res(fd))));
  try {
    return { fd, stat: fstatSync(fd) };
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

/**
 * A stream over an open descriptor, read in order (it closes the descriptor). A FIFO (`mkfifo`,
 * bash's `<(…)`) is read through a libuv pipe, not the thread pool: a thread-pool read() blocked
 * on a FIFO whose writer stays open kept the process alive even after process.exit. The caller
 * never closes and reopens a FIFO: closing its only reader loses what the writer already wrote.
 */
export async function streamOfFd(fd: number, stat: Stats): Promise<NodeJS.ReadableStream & AsyncIterable<Buffer> & { destroy(): void }> {
  if (stat.isFIFO()) {
    const { Socket } = await import('node:net');
    return new Socket({ fd, readable: true, writable: false });
  }
  return createReadStream('', { fd, highWaterMark: 64 * 1024 });
}
