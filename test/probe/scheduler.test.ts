import { describe, expect, it } from 'vitest';
import { NOT_STARTED, PoliteScheduler } from '../../src/probe/scheduler.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('PoliteScheduler', () => {
  it('never runs two jobs for one IP at once, and keeps the gap between them', async () => {
    const s = new PoliteScheduler({ concurrency: 10, hostGapMs: 80 });
    const spans: Array<[number, number]> = [];
    let active = 0;
    let maxActive = 0;
    await Promise.all(
      [1, 2, 3, 4].map(() =>
        s.run('192.0.2.1', async () => {
          active++;
          maxActive = Math.max(maxActive, active);
          const start = Date.now();
          await sleep(20);
          spans.push([start, Date.now()]);
          active--;
        }),
      ),
    );
    expect(maxActive).toBe(1);
    spans.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i++) {
      const gap = (spans[i]?.[0] ?? 0) - (spans[i - 1]?.[1] ?? 0);
      // Timers may fire a millisecond early; the gap is a floor, never a target.
      expect(gap).toBeGreaterThanOrEqual(78);
    }
  });

  it('runs different IPs in parallel up to the concurrency limit', async () => {
    const s = new PoliteScheduler({ concurrency: 3, hostGapMs: 0 });
    await Promise.all(Array.from({ length: 9 }, (_, i) => s.run(`192.0.2.${i}`, () => sleep(30))));
    expect(s.peakRunning).toBe(3);
  });

  it('a job waiting for its IP holds no global slot', async () => {
    const s = new PoliteScheduler({ concurrency: 1, hostGapMs: 200 });
    const order: string[] = [];
    await s.run('192.0.2.1', async () => {
      order.push('a1');
    });
    // a2 must wait 200 ms for its gap; b1 on another IP must not wait behind it.
    await Promise.all([
      s.run('192.0.2.1', async () => {
        order.push('a2');
      }),
      s.run('192.0.2.2', async () => {
        order.push('b1');
      }),
    ]);
    expect(order).toEqual(['a1', 'b1', 'a2']);
  });

  it('forgets an IP after its gap, so per-IP state does not grow with the run', async () => {
    const s = new PoliteScheduler({ concurrency: 50, hostGapMs: 20 });
    await Promise.all(Array.from({ length: 200 }, (_, i) => s.run(`10.0.${i >> 8}.${i & 255}`, async () => {})));
    expect(s.trackedIps).toBeGreaterThan(0);
    await sleep(60);
    expect(s.trackedIps).toBe(0);
  });

  it('a failing job releases its IP and slot', async () => {
    const s = new PoliteScheduler({ concurrency: 1, hostGapMs: 0 });
    await expect(s.run('192.0.2.1', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(s.run('192.0.2.1', async () => 'ok')).resolves.toBe('ok');
  });

  it('after a signal, jobs waiting for their IP, its gap or a slot are never run and return at once', async () => {
    const s = new PoliteScheduler({ concurrency: 2, hostGapMs: 5000 });
    const ac = new AbortController();
    const ran: string[] = [];
    let finishRunning!: () => void;
    const running = new Promise<void>((r) => (finishRunning = r));
    // Jobs 1 and 4 run (and, like a session, wind down on their own after the signal); job 2 waits
    // for job 1's IP, job 3 (a third IP) for one of the two slots they hold.
    const one = s.run('192.0.2.1', async () => {
      ran.push('one');
      await running;
      return 'one';
    }, ac.signal);
    const two = s.run('192.0.2.1', async () => void ran.push('two'), ac.signal);
    const four = s.run('192.0.2.4', async () => {
      ran.push('four');
      await running;
      return 'four';
    }, ac.signal);
    const three = s.run('192.0.2.3', async () => void ran.push('three'), ac.signal);
    await sleep(20);
    expect(ran).toEqual(['one', 'four']);
    const t0 = Date.now();
    ac.abort();
    // The queued ones return NOT_STARTED without waiting for job 1 (still running) or the 5 s gap.
    expect(await two).toBe(NOT_STARTED);
    expect(await three).toBe(NOT_STARTED);
    expect(Date.now() - t0).toBeLessThan(1000);
    // A job that started is not cut loose: its caller gets its own result.
    finishRunning();
    expect(await one).toBe('one');
    expect(await four).toBe('four');
    // Aborted before it was even queued.
    expect(await s.run('192.0.2.9', async () => void ran.push('late'), ac.signal)).toBe(NOT_STARTED);
    await sleep(20);
    expect(ran).toEqual(['one', 'four']);
  });

  it('many jobs in their gap with one signal add no listener each (no MaxListenersExceededWarning)', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => void warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const s = new PoliteScheduler({ concurrency: 50, hostGapMs: 100 });
      const ac = new AbortController();
      // Two jobs per IP on 30 IPs: the second of each sleeps in its gap, all at once.
      const jobs = Array.from({ length: 30 }, (_, i) => [s.run(`192.0.2.${i}`, async () => 1, ac.signal), s.run(`192.0.2.${i}`, async () => 2, ac.signal)]).flat();
      expect((await Promise.all(jobs)).filter((x) => x === 2)).toHaveLength(30);
      await sleep(10); // warnings are emitted on the next tick
      expect(warnings).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });
});
