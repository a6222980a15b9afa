/**
 * Before a fleet run writes anything: Redis reachable and authenticated, the live vantages known.
 * No BullMQ here (see bull.ts): a wrong URL or password is reported at once.
 */
import { randomBytes } from 'node:crypto';
import { UsageError } from '../errors.js';
import { FleetJobError, assertName } from './job.js';
import type { Redis } from 'ioredis';
import { checkRedis, commandClient, scanKeys } from './redis.js';
import { KEY_PREFIX, type Heartbeat } from './types.js';
import type { FleetRunConfig } from './coordinator.js';

/** Live workers, from their heartbeats (expired ones are gone from Redis by themselves). */
export async function liveWorkers(redis: Redis): Promise<Heartbeat[]> {
  const keys = await scanKeys(redis, `${KEY_PREFIX}hb:*`);
  const out: Heartbeat[] = [];
  for (const k of keys) {
    const v = await redis.get(k);
    if (typeof v !== 'string') continue;
    try {
      const hb = JSON.parse(v) as Heartbeat;
      if (typeof hb.vantage === 'string') out.push(hb);
    } catch {
      // Not ours or corrupt: ignored.
    }
  }
  return out;
}

export interface PreparedFleet {
  redis: Redis;
  runId: string;
  heartbeats: Heartbeat[];
  asked: string[];
  /** Asked-for vantages with a live worker: they get jobs. */
  vantages: string[];
  deadVantages: string[];
}

/**
 * Steps 1-2, before any output is written: Redis reachable and authenticated, the live vantages
 * known (their self-lint goes into the run's recorded options). Throws UsageError otherwise.
 */
export async function prepareFleet(cfg: FleetRunConfig): Promise<PreparedFleet> {
  await checkRedis(cfg.redis);
  const redis = commandClient(cfg.redis);
  try {
    const runId = assertName('--run-id', cfg.runId ?? `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`);
    const heartbeats = await liveWorkers(redis);
    const live = new Set(heartbeats.map((h) => h.vantage));
    const asked = cfg.vantages === 'all' ? [...live].sort() : cfg.vantages.map((v) => assertName('--vantages', v));
    if (asked.length === 0) throw new UsageError('--vantages all: no worker is alive on this queue (start `mxprobe worker --queue … --vantage NAME` on each relay)');
    const vantages = asked.filter((v) => live.has(v));
    const deadVantages = asked.filter((v) => !live.has(v));
    return { redis, runId, heartbeats: heartbeats.filter((h) => asked.includes(h.vantage)), asked, vantages, deadVantages };
  } catch (err) {
    redis.disconnect();
    if (err instanceof FleetJobError) throw new UsageError(err.message);
    throw err;
  }
}

