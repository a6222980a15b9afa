/**
 * Buffered result files (cli/output.ts openFileOut with bufferBytes): records are written in
 * chunks, yet none is lost: close() writes the rest, a timer bounds how long a record waits, a
 * process.exit() that never reaches close() still writes it (the 'exit' hook), and a write error
 * is never swallowed (it comes back from the next write or close).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OutputError, openFileOut } from '../../src/cli/output.js';
import { ROOT } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'mxprobe-outbuf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const HAS_DEV_FULL = existsSync('/dev/full');
const OUTPUT_JS = join(ROOT, 'dist/cli/output.js');

describe('openFileOut with a buffer', () => {
  it('holds small records until the buffer fills, then writes them in one piece; close() writes the rest', () => {
    const path = join(dir, 'chunks.ndjson');
    const out = openFileOut('chunks.ndjson', path, 'w', { bufferBytes: 100, flushMs: 60_000 });
    out.write('{"n":1}\n');
    out.write('{"n":2}\n');
    expect(readFileSync(path, 'utf8')).toBe('');
    out.write(`{"pad":"${'x'.repeat(100)}"}\n`);
    expect(readFileSync(path, 'utf8')).toBe(`{"n":1}\n{"n":2}\n{"pad":"${'x'.repeat(100)}"}\n`);
    out.write('{"n":3}\n');
    out.close();
    expect(readFileSync(path, 'utf8').endsWith('{"n":3}\n')).toBe(true);
  });

  it('a record waits at most flushMs: the timer writes it while the file is still open', async () => {
    const path = join(dir, 'timer.ndjson');
    const out = openFileOut('timer.ndjson', path, 'w', { bufferBytes: 1 << 20, flushMs: 20 });
    out.write('{"n":1}\n');
    expect(readFileSync(path, 'utf8')).toBe('');
    const until = Date.now() + 10_000;
    while (readFileSync(path, 'utf8') === '' && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    expect(readFileSync(path, 'utf8')).toBe('{"n":1}\n');
    out.close();
  });

  it('UTF-8 text is written whole (multi-byte characters across records)', () => {
    const path = join(dir, 'utf8.ndjson');
    const out = openFileOut('utf8.ndjson', path, 'w', { bufferBytes: 10, flushMs: 60_000 });
    out.write('{"t":"ünïcødé ✓"}\n');
    out.write('{"t":"日本語"}\n');
    out.close();
    expect(readFileSync(path, 'utf8')).toBe('{"t":"ünïcødé ✓"}\n{"t":"日本語"}\n');
  });

  it('process.exit() without close(): the exit hook writes the buffered records', () => {
    const path = join(dir, 'exit.ndjson');
    const script = `
      import { openFileOut } from ${JSON.stringify(OUTPUT_JS)};
      const out = openFileOut('exit.ndjson', ${JSON.stringify(path)}, 'w', { bufferBytes: 1 << 20, flushMs: 60_000 });
      out.write('{"type":"host","n":1}\\n');
      out.write('{"type":"host","n":2}\\n');
      process.exit(130);
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(130);
    expect(readFileSync(path, 'utf8')).toBe('{"type":"host","n":1}\n{"type":"host","n":2}\n');
  });

  it.skipIf(!HAS_DEV_FULL)('a full device: close() throws the OutputError (ENOSPC), nothing passes silently', () => {
    const out = openFileOut('/dev/full', '/dev/full', 'w', { bufferBytes: 1 << 20, flushMs: 60_000 });
    out.write('{"n":1}\n');
    let err: unknown = null;
    try {
      out.close();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OutputError);
    expect((err as OutputError).errno).toBe('ENOSPC');
  });

  it.skipIf(!HAS_DEV_FULL)('a full device met by the timer: the next write() throws it', async () => {
    const out = openFileOut('/dev/full', '/dev/full', 'w', { bufferBytes: 1 << 20, flushMs: 5 });
    out.write('{"n":1}\n');
    await new Promise((r) => setTimeout(r, 100));
    expect(() => out.write('{"n":2}\n')).toThrow(OutputError);
    expect(() => out.close()).toThrow(OutputError);
  });

  it.skipIf(!HAS_DEV_FULL)('a full device at process.exit(): a message and a non-zero exit, never 0', () => {
    const script = `
      import { openFileOut } from ${JSON.stringify(OUTPUT_JS)};
      const out = openFileOut('/dev/full', '/dev/full', 'w', { bufferBytes: 1 << 20, flushMs: 60_000 });
      out.write('{"n":1}\\n');
      process.exit(0);
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(5);
    expect(r.stderr).toMatch(/cannot write results to \/dev\/full: no space left on device \(ENOSPC\)/);
  });
});
