/**
 * BullMQ connections: one ioredis instance per Queue, Worker or QueueEvents. BullMQ needs
 * `maxRetriesPerRequest: null` on connections that block (Worker, QueueEvents), so commands wait
 * through a Redis restart instead of failing. BullMQ does not close an instance it was given:
 * `ConnectionSet.close()` does, after the BullMQ objects are closed. Kept apart from redis.ts:
 * importing BullMQ costs about a second, and the Redis check must not wait for it.
 */
import { Redis } from 'ioredis';
import { redisOptions, type RedisSpec } from './redis.js';

export class ConnectionSet {
  private readonly all: Redis[] = [];
  constructor(private readonly spec: RedisSpec, private readonly onError?: (err: Error) => void) {}

  /** A new connection for one BullMQ object. */
  make(): Redis {
    const c = new Redis(this.spec.url, redisOptions(this.spec, { maxRetriesPerRequest: null }));
    // ioredis reports every failed reconnect attempt as 'error'; BullMQ surfaces them on its own
    // objects too. Without a listener ioredis would print "Unhandled error event" per attempt.
    c.on('error', (err: Error) => this.onError?.(err));
    this.all.push(c);
    return c;
  }

  close(): void {
    for (const c of this.all.splice(0)) c.disconnect();
  }
}

/** One connection, for a caller that closes it itself (tests). */
export function bullConnection(spec: RedisSpec): Redis {
  const c = new Redis(spec.url, redisOptions(spec, { maxRetriesPerRequest: null }));
  c.on('error', () => {});
  return c;
}
