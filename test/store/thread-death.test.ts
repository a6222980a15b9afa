/**
 * A store writer thread that dies (worker-sink.ts die()): the prober's side warns once, saying
 * where the run stands (the thread took the run's connection with it, so the run row stays
 * "running", or was already finished), lets a prober waiting on backpressure go on, reports the
 * run lost from finish(), and never hangs on close(). The threads here are real worker threads
 * speaking the sink-worker.ts protocol, scripted to die at a chosen message.
 */
import { describe, expect, it } from 'vitest';
import { startWriterThread } from '../../src/store/worker-sink.js';
import type { SinkWorkerData } from '../../src/store/sink-worker.js';

/** A worker module (a data: URL) that answers like sink-worker.ts until `dieAt` says otherwise. */
function scripted(dieAt: 'lines-5' | 'close'): URL {
  const src = `
    import { parentPort } from 'node:worker_threads';
    parentPort.postMessage({ t: 'ready', runId: 7, label: '/x/store.db' });
    parentPort.on('message', (m) => {
      if (m.t === 'lines') {
        // Hold the first chunks (the prober fills its 4 in flight), die on the fifth.
        if (${JSON.stringify(dieAt)} === 'lines-5' && m.n === 5) throw new Error('boom in the writer');
        if (${JSON.stringify(dieAt)} !== 'lines-5') parentPort.postMessage({ t: 'taken', n: m.n, buf: m.buf }, [m.buf]);
      } else if (m.t === 'finish') parentPort.postMessage({ t: 'finished', n: m.n, lost: false });
      else if (m.t === 'close') throw new Error('boom closing');
    });`;
  return new URL(`data:text/javascript,${encodeURIComponent(src)}`);
}

const data: SinkWorkerData = { spec: 'unused', cwd: '/', env: {}, meta: { startedAt: '2026-12-02T00:00:00.000Z', toolVersion: 't', options: {}, vantage: null, source: null } };
/** A line longer than a chunk's worth of UTF-16 units: a chunk (a message) of its own. */
const bigLine = `{"type":"host","x":"${'a'.repeat(400_000)}"}\n`;

describe('store writer thread dying', () => {
  it('mid-run: one warning saying the run stays running, the waiting prober goes on, finish reports lost, close returns', async () => {
    const warnings: string[] = [];
    const th = await startWriterThread(scripted('lines-5'), data, (m) => warnings.push(m));
    const waits: Array<Promise<void> | undefined> = [];
    for (let i = 0; i < 5; i++) waits.push(th.add(bigLine));
    // Five chunks with a thread that took none: the fifth add makes the prober wait...
    expect(waits.slice(0, 4)).toEqual([undefined, undefined, undefined, undefined]);
    expect(waits[4]).toBeInstanceOf(Promise);
    // ...and the thread's death lets it go on.
    await waits[4];
    expect(th.add(bigLine)).toBeUndefined();
    expect(await th.finish('2026-12-02T00:00:01.000Z', 'complete')).toBe(true);
    await th.close();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^store write failed, the rest of this run is not stored .*boom in the writer.*; run 7 in \/x\/store\.db stays "running" in the store/);
  }, 20_000);

  it('after the run row was finished: close returns, one warning says the run was stored', async () => {
    const warnings: string[] = [];
    const th = await startWriterThread(scripted('close'), data, (m) => warnings.push(m));
    expect(th.add('{"type":"target"}\n')).toBeUndefined();
    expect(await th.finish('2026-12-02T00:00:01.000Z', 'complete')).toBe(false);
    await th.close();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^store writer thread failed: .*boom closing \(after finishing the run, before closing the store\): run 7 in \/x\/store\.db was stored completely$/);
  }, 20_000);
});
