/**
 * BullMQ connections over our RESP wire (resp.ts), through BullMQ's own Bun-shaped adapter. Kept
 * apart from redis.ts: importing BullMQ costs about a second, and the Redis check must not wait
 * for it.
 */
import { createBunRedisClient } from 'bullmq';
import { RespClient } from './resp.js';
import type { RedisSpec } from './redis.js';

/** A connection object for a BullMQ Queue, Worker or QueueEvents (each needs its own). */
export function bullConnection(spec: RedisSpec): ReturnType<typeof createBunRedisClient> {
  const raw = new RespClient(spec.url, spec.tls ? { tls: spec.tls } : {});
  const client = createBunRedisClient(raw as unknown as Parameters<typeof createBunRedisClient>[0]);
  // The adapter emits 'error' when Redis drops the connection (a restart). BullMQ listens on the
  // connections it uses and reconnects; a connection it only duplicated from must not turn that
  // event into an uncaught exception that kills a worker or the coordinator.
  client.on('error', () => {});
  return client;
}

