// Rung 1 of bench/logs-ladder.mjs: read the file in 4 MiB blocks and count lines with the native
// Buffer#indexOf. No line is looked at: the floor of reading a file in Node.
import { openSync, readSync } from 'node:fs';

const fd = openSync(process.argv[2], 'r');
const CH = 4 << 20;
const buf = Buffer.allocUnsafe(CH);
let lines = 0;
let last = 10;
let n;
while ((n = readSync(fd, buf, 0, CH, null)) > 0) {
  let i = 0;
  let j;
  while ((j = buf.indexOf(10, i)) !== -1 && j < n) {
    lines++;
    i = j + 1;
  }
  last = buf[n - 1];
}
if (last !== 10) lines++; // a last line without its newline is a line too
process.stdout.write(JSON.stringify({ lines: { total: lines } }));
