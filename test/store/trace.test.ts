/**
 * MXPROBE_STORE_TRACE=1 on `probe --store`: the phases of the store's time (cli/store-trace.ts)
 * on stderr when the run ends, and nothing of it without the variable.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startResponder } from '../../src/lab/smtp-responder.js';
import { runCliProcess } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'mxprobe-store-trace-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('MXPROBE_STORE_TRACE', () => {
  it('prints the fixed phases and the per-host sums once, at the end, in this thread and with the writer thread; nothing without it', async () => {
    const rcv = await startResponder({ hostname: 'mx.trace.test', banner: () => ({ code: 220, lines: ['mx.trace.test ESMTP'] }) }, { host: '127.0.0.1' });
    try {
      // Async: the receiver runs in this process and must answer while the CLI runs.
      const run = async (trace: boolean, db: string, worker = '0') => {
        const r = await runCliProcess(['probe', `${rcv.host}:${rcv.port}`, '--helo', 'probe.example.test', '--stop-after', 'ehlo', '--no-starttls', '--host-gap', '0', '--no-alignment', '--quiet', '--format', 'ndjson', '-o', join(dir, 'o.ndjson'), '--store', db], {
          env: { MXPROBE_STORE_WORKER: worker, ...(trace ? { MXPROBE_STORE_TRACE: '1' } : {}) },
        });
        return { status: r.code, stderr: r.stderr };
      };
      const t = await run(true, join(dir, 't.db'));
      expect(t.status, t.stderr).toBe(0);
      expect(t.stderr.match(/store trace \(ms\)/g)).toHaveLength(1);
      for (const phase of ['load driver', 'open + migrate', 'begin run', 'finish (flush + row)', 'close', 'host rows ×1', 'target rows ×1', 'write batch ×1']) expect(t.stderr).toContain(phase);
      // Through the store writer thread: this thread's part, the lines handed over (one host, one target).
      const w = await run(true, join(dir, 'w.db'), '1');
      expect(w.status, w.stderr).toBe(0);
      for (const phase of ['start writer thread', 'finish (flush + row)', 'close', 'feed line ×2']) expect(w.stderr).toContain(phase);
      expect(w.stderr).not.toContain('host rows');
      const plain = await run(false, join(dir, 'p.db'));
      expect(plain.status, plain.stderr).toBe(0);
      expect(plain.stderr).not.toMatch(/store trace/);
    } finally {
      await rcv.close();
    }
  }, 60_000);
});
