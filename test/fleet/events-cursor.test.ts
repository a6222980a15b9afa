/**
 * The coordinator reads each vantage queue's completions from a stream position taken before its
 * jobs are added (eventsCursor). A worker may complete a job before QueueEvents' first XREAD
 * reaches Redis; from BullMQ's default start ('$') that completion is never seen, and a run
 * without --wait would wait for it forever (found by qa8 as a rare e2e failure under load).
 * Here the order is forced: the job completes before QueueEvents starts at all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue, QueueEvents, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { bullConnection } from '../../src/fleet/bull.js';
import { eventsCursor } from '../../src/fleet/coordinator.js';
import { redisSpec } from '../../src/fleet/redis.js';
import { redisMissing, startRedis, type RedisHandle } from './harness.js';

const missing = redisMissing();
const CI = process.env['CI'] === 'true';
if (missing && CI) throw new Error(`events cursor test under CI=true: ${missing}`);

/** The job ids QueueEvents reports as completed within `ms`. */
function completions(ev: QueueEvents, ms: number): Promise<string[]> {
  const seen: string[] = [];
  ev.on('completed', ({ jobId }) => seen.push(jobId));
  return new Promise((resolve) => setTimeout(() => resolve(seen), ms));
}

describe.skipIf(missing !== null && !CI)('eventsCursor on real Redis (loopback)', () => {
  let redis: RedisHandle;
  const conns: Redis[] = [];
  const conn = () => {
    const c = bullConnection(redisSpec(redis.url));
    conns.push(c);
    return c;
  };

  beforeAll(async () => {
    redis = await startRedis();
  }, 60_000);
  afterAll(async () => {
    for (const c of conns) c.disconnect();
    await redis?.stop();
  });

  it('is 0-0 on an empty stream, and a QueueEvents started from it sees a completion that happened before it started', async () => {
    const name = 'cursor-test';
    const q = new Queue(name, { connection: conn() });
    const plain = conn();
    const cursor = await eventsCursor(plain, q.toKey('events'));
    expect(cursor).toBe('0-0');

    const worker = new Worker(name, async () => 'done', { connection: conn() });
    await q.add('probe', {}, { jobId: 'early-1' });
    // Wait until the job is finished, before any QueueEvents exists.
    for (let i = 0; i < 100 && (await q.getJobState('early-1')) !== 'completed'; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await q.getJobState('early-1')).toBe('completed');
    await worker.close();

    const fromCursor = new QueueEvents(name, { connection: conn(), lastEventId: cursor });
    const fromDollar = new QueueEvents(name, { connection: conn() });
    const [a, b] = await Promise.all([completions(fromCursor, 1500), completions(fromDollar, 1500)]);
    await Promise.all([fromCursor.close(), fromDollar.close(), q.close()]);
    expect(a).toEqual(['early-1']);
    // BullMQ's default start: the same completion is lost. This is the race the cursor closes.
    expect(b).toEqual([]);
  }, 30_000);

  it('is the newest entry id on a stream with entries: events before it are not replayed, events after it are', async () => {
    const name = 'cursor-test-2';
    const q = new Queue(name, { connection: conn() });
    const worker = new Worker(name, async () => 'done', { connection: conn() });
    await q.add('probe', {}, { jobId: 'old-run' });
    for (let i = 0; i < 100 && (await q.getJobState('old-run')) !== 'completed'; i++) await new Promise((r) => setTimeout(r, 50));
    const cursor = await eventsCursor(conn(), q.toKey('events'));
    expect(cursor).toMatch(/^\d+-\d+$/);
    expect(cursor).not.toBe('0-0');
    await q.add('probe', {}, { jobId: 'this-run' });
    for (let i = 0; i < 100 && (await q.getJobState('this-run')) !== 'completed'; i++) await new Promise((r) => setTimeout(r, 50));
    await worker.close();
    const ev = new QueueEvents(name, { connection: conn(), lastEventId: cursor });
    const seen = await completions(ev, 1500);
    await Promise.all([ev.close(), q.close()]);
    expect(seen).toEqual(['this-run']);
  }, 30_000);
});
