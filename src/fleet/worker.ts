/**
 * `mxprobe worker`: runs on a relay, pulls the jobs of its vantage from BullMQ, probes with the
 * ordinary engine (runProbes) from the relay's own source address(es) and HELO name, and returns
 * the target's results. Procedure:
 *  1. check Redis (AUTH, SELECT, PING) and lint this vantage's own identity (HELO + source IP);
 *  2. heartbeat: `SET <prefix>hb:<vantage>:<worker> {…} PX 3×interval`, so the coordinator sees
 *     which vantages are alive and what each says about its own alignment;
 *  3. each job is validated like CLI input (job.ts) — an invalid job fails at once, unretried,
 *     and nothing is sent for it;
 *  4. every session goes through the scheduler with the fleet lease as its IP gate (lease.ts);
 *  5. on SIGTERM, BullMQ's close() lets the job in flight finish; a killed worker's job is
 *     retried by a sibling after the lock expires (BullMQ stall detection).
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Resolver } from '../dns/types.js';
import type { HostResult, TargetResult } from '../results.js';
import { runProbes, type RunOptions } from '../probe/run.js';
import { PoliteScheduler } from '../probe/scheduler.js';
import { analysisEnrichers } from '../probe/enrich.js';
import { lint } from '../analysis/lint.js';
import { FleetJobError, queueName, validateJob, type FleetJob } from './job.js';
import { FleetLeases } from './lease.js';
import { checkRedis, commandClient, type RedisSpec } from './redis.js';
import { ConnectionSet } from './bull.js';
import { KEY_PREFIX, type FleetResult, type Heartbeat } from './types.js';
import { RepeatLimiter } from './quiet-log.js';


/** After the last job in flight, how long close() waits for Redis before dropping the connections. */
const CLOSE_MS = 5_000;
export interface WorkerConfig {
  redis: RedisSpec;
  vantage: string;
  helo: string;
  sources: Array<string | null>;
  concurrency: number;
  heartbeatMs: number;
  /** BullMQ lock duration: a job whose worker stops renewing it is retried after this (stall). */
  lockMs: number;
  backoffMs: number;
  resolver: Resolver;
  log: (line: string) => void;
}

export interface RunningWorker {
  id: string;
  /** Stops taking jobs, lets the ones in flight finish, removes the heartbeat. */
  close(): Promise<void>;
  /** Jobs completed / failed so far. */
  stats(): { completed: number; failed: number };
}

export async function startWorker(cfg: WorkerConfig): Promise<RunningWorker> {
  const id = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  await checkRedis(cfg.redis);
  const redis = commandClient(cfg.redis);
  const conns = new ConnectionSet(cfg.redis);

  const lintRows: Heartbeat['lint'] = [];
  for (const source of cfg.sources) {
    const r = await lint({ helo: cfg.helo, sourceIp: source }, cfg.resolver);
    lintRows.push({ sourceIp: source, failed: r.failed, problems: r.checks.filter((c) => c.status === 'fail' || c.status === 'warn') });
  }
  // Redis outage noise (a failed beat every heartbeat, a queue error every 2 s): once a minute
  // with a count (quiet-log.ts). Job lines (start, done, failed) are each news and go as they come.
  const noisy = new RepeatLimiter(cfg.log);
  const startedAt = new Date().toISOString();
  const hbKey = `${KEY_PREFIX}hb:${cfg.vantage}:${id}`;
  const beat = async () => {
    const hb: Heartbeat = { vantage: cfg.vantage, worker: id, host: hostname(), pid: process.pid, helo: cfg.helo, sources: cfg.sources, concurrency: cfg.concurrency, startedAt, at: new Date().toISOString(), lint: lintRows };
    try {
      await redis.set(hbKey, JSON.stringify(hb), 'PX', cfg.heartbeatMs * 3);
    } catch (err) {
      noisy.say(`heartbeat failed (Redis unreachable?): ${(err as Error).message}`);
    }
  };
  await beat();
  const hbTimer = setInterval(() => void beat(), cfg.heartbeatMs);

  // One scheduler (and lease set) per (host gap, deadline) the jobs ask for: in practice one.
  const schedulers = new Map<string, PoliteScheduler>();
  const schedulerFor = (o: FleetJob['options']) => {
    const key = `${o.hostGapMs}/${o.deadlineMs}`;
    let s = schedulers.get(key);
    if (!s) {
      const leases = new FleetLeases(redis, {
        prefix: KEY_PREFIX,
        // The session cannot outlive its deadline (the driver destroys the socket then); 2 s of margin.
        ttlMs: o.deadlineMs + 2_000,
        hostGapMs: o.hostGapMs,
        backoffMs: cfg.backoffMs,
        onWait: (ip, why, ms, detail) => {
          if (why !== 'busy') cfg.log(`lease ${ip}: ${why}${detail ? ` (${detail})` : ''}, waiting ${ms} ms`);
        },
      });
      // The gap is kept by the lease in Redis for the whole fleet; locally only one at a time.
      s = new PoliteScheduler({ concurrency: cfg.concurrency, hostGapMs: 0, ipGate: leases });
      schedulers.set(key, s);
    }
    return s;
  };
  const enrich = analysisEnrichers(cfg.resolver);
  let completed = 0;
  let failed = 0;

  // Jobs in the processor now: close() waits for them, and only for them, before it stops waiting for Redis.
  let inFlight = 0;
  let idle: (() => void) | null = null;
  const processor = async (job: Job): Promise<FleetResult> => {
    inFlight++;
    try {
      return await runJob(job);
    } finally {
      if (--inFlight === 0) idle?.();
    }
  };
  const runJob = async (job: Job): Promise<FleetResult> => {
    cfg.log(`start ${job.id ?? '?'} (attempt ${job.attemptsMade + 1})`);
    let valid: ReturnType<typeof validateJob>;
    try {
      valid = validateJob(job.data, cfg.vantage);
    } catch (err) {
      // A malformed or malicious job: refused, never retried, nothing sent.
      throw new UnrecoverableError(err instanceof FleetJobError ? `invalid job: ${err.message}` : String(err));
    }
    const o = valid.job.options;
    const options: RunOptions = {
      stopAfter: o.stopAfter,
      starttls: o.starttls,
      implicitTls: o.implicitTls,
      timeoutMs: o.timeoutMs,
      deadlineMs: o.deadlineMs,
      retries: o.retries,
      retryGreylistSec: o.retryGreylistSec,
      transcript: o.transcript,
      port: o.port,
      concurrency: cfg.concurrency,
      hostGapMs: o.hostGapMs,
      helo: cfg.helo,
      identityKinds: o.identityKinds,
      customIdentities: o.customIdentities,
      sources: cfg.sources,
      mailFrom: o.mailFrom,
      rcpt: o.rcpt,
      mismatchName: o.mismatchName,
      family: o.family,
      shareHosts: false,
    };
    const hosts: HostResult[] = [];
    let result: TargetResult | null = null;
    async function* one() {
      yield valid.target;
    }
    await runProbes(one(), options, { resolver: cfg.resolver, scheduler: schedulerFor(o), ...(o.alignment ? enrich : {}) }, {
      host(h) {
        hosts.push(h);
      },
      target(t) {
        result = t;
      },
    });
    const t = result as TargetResult | null;
    if (!t) throw new Error('the engine returned no result for the target');
    for (const h of t.hosts) for (const p of h.probes) p.vantage = cfg.vantage;
    return { vantage: cfg.vantage, worker: id, target: t };
  };

  const worker = new Worker(queueName(cfg.vantage), processor, {
    connection: conns.make(),
    concurrency: cfg.concurrency,
    lockDuration: cfg.lockMs,
    stalledInterval: Math.max(1000, Math.floor(cfg.lockMs / 2)),
    maxStalledCount: 1,
  });
  worker.on('completed', (job) => {
    completed++;
    cfg.log(`done ${job.id ?? '?'}`);
  });
  worker.on('failed', (job, err) => {
    failed++;
    cfg.log(`failed ${job?.id ?? '?'}: ${err.message}`);
  });
  worker.on('error', (err) => noisy.say(`queue error: ${err.message}`));
  await worker.waitUntilReady();
  cfg.log(`worker ${id} for vantage ${cfg.vantage} ready (helo ${cfg.helo}, sources ${cfg.sources.map((s) => s ?? 'system').join(', ')})`);

  return {
    id,
    stats: () => ({ completed, failed }),
    async close() {
      clearInterval(hbTimer);
      // BullMQ's close() lets the jobs in flight finish, then closes its connections, and waits
      // for Redis to do so: with Redis down, SIGTERM never ended the worker (systemd's stop
      // timeout, or a second signal, killed it). Once no job is in flight it gets CLOSE_MS more,
      // then the connections are dropped; a job that finished unseen is retried after its lock.
      const closing = worker.close();
      const noneInFlight = inFlight === 0 ? Promise.resolve() : new Promise<void>((r) => (idle = r));
      let timer: NodeJS.Timeout | undefined;
      const late = noneInFlight.then(() => new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), CLOSE_MS))));
      const how = await Promise.race([closing.then(() => 'closed' as const), late]);
      clearTimeout(timer);
      if (how === 'late') {
        cfg.log(`Redis did not answer within ${CLOSE_MS / 1000} s of the last job: closing without it`);
        void closing.catch(() => undefined);
      }
      try {
        // Bounded by the command client's own retry limit (maxRetriesPerRequest).
        await redis.del(hbKey);
      } catch {
        // The heartbeat expires by itself.
      }
      conns.close();
      redis.disconnect();
      noisy.close();
    },
  };
}
