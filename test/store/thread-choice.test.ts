/**
 * Which writer `probe --store` uses (cli/store-hook-open.ts useWriterThread): the store writer
 * thread for a run of WRITER_THREAD_MIN_TARGETS targets or more on a machine with 2+ cores, the
 * prober's thread otherwise; MXPROBE_STORE_WORKER=0/1 decides over both. The rule, then the wiring:
 * a real run's trace names the thread's phase or the in-thread phases.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { useWriterThread, WRITER_THREAD_MIN_TARGETS } from '../../src/cli/store-hook-open.js';
import { runCliProcess } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'mxprobe-store-choice-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('useWriterThread', () => {
  it('the thread only with 2+ cores and enough targets (or an unknown count); the variable decides over both', () => {
    const N = WRITER_THREAD_MIN_TARGETS;
    expect(useWriterThread({}, N, 2)).toBe(true);
    expect(useWriterThread({}, undefined, 2)).toBe(true);
    expect(useWriterThread({}, N - 1, 2)).toBe(false);
    expect(useWriterThread({}, 3, 16)).toBe(false);
    expect(useWriterThread({}, 100_000, 1)).toBe(false);
    expect(useWriterThread({ MXPROBE_STORE_WORKER: '1' }, 3, 1)).toBe(true);
    expect(useWriterThread({ MXPROBE_STORE_WORKER: '0' }, 100_000, 16)).toBe(false);
    // Unset and empty are the default, as elsewhere.
    expect(useWriterThread({ MXPROBE_STORE_WORKER: '' }, N, 2)).toBe(true);
  });

  it(`a real run: ${WRITER_THREAD_MIN_TARGETS} refused targets go through the thread (on 2+ cores), 3 through the prober's thread`, async () => {
    // Loopback addresses with nothing listening on the port: each connection is refused at once.
    const targets = (n: number) => Array.from({ length: n }, (_, i) => `127.0.${10 + Math.floor(i / 250)}.${(i % 250) + 1}:9`).join('\n') + '\n';
    const run = async (n: number) => {
      const file = join(dir, `t${n}.txt`);
      writeFileSync(file, targets(n));
      const r = await runCliProcess(['probe', '-f', file, '--helo', 'probe.example.test', '--stop-after', 'ehlo', '--host-gap', '0', '--concurrency', '200', '--timeout', '2000', '--no-alignment', '--quiet', '--format', 'ndjson', '-o', join(dir, `o${n}.ndjson`), '--store', join(dir, `s${n}.db`)], {
        env: { MXPROBE_STORE_TRACE: '1' },
        timeoutMs: 120_000,
      });
      // Refused connections are failed probes: exit 1, the run stored all the same.
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/store trace \(ms\)/);
      return r.stderr;
    };
    const small = await run(3);
    expect(small).toContain('load driver');
    expect(small).not.toContain('start writer thread');
    const large = await run(WRITER_THREAD_MIN_TARGETS);
    expect(large).toContain(availableParallelism() > 1 ? 'start writer thread' : 'load driver');
  }, 180_000);
});
