/**
 * The coordinator: `mxprobe probe … --queue redis://… --vantages a,b|all`.
 *  1. check Redis before anything is enqueued (a wrong URL or password is a usage error);
 *  2. read the heartbeats: a requested vantage with no live worker is reported at once and gets
 *     no jobs (its targets are reported as missing for it);
 *  3. listen for completions (BullMQ QueueEvents, one per vantage queue), then enqueue one job per
 *     (target, vantage) with a deterministic id, a bounded window of targets at a time (memory
 *     does not grow with the run: the 100,000-target file streams);
 *  4. when every vantage answered for a target, its hosts (each probe carrying its `vantage`) go
 *     to the ordinary sink: the normal outputs stream exactly as in a local run;
 *  5. a job that fails for good, a vantage whose workers all vanish, or the --wait deadline make
 *     the (target, vantage) "missing": reported by name, never silently dropped.
 * A completion is taken once (the first event for a job id still pending); a re-run with the same
 * --run-id reuses the stored result of a job that already finished instead of probing again.
 */
import { Job, Queue, QueueEvents } from 'bullmq';
import type { TargetResult } from '../results.js';
import { checkHost } from '../report/load.js';
import type { RunOptions, RunSink, TargetInfo } from '../probe/run.js';
import type { Target } from '../targets/parse.js';
import { FLEET_JOB_VERSION, jobId, queueName, type FleetJob } from './job.js';
import type { RedisSpec } from './redis.js';
import type { Redis } from 'ioredis';
import { ConnectionSet } from './bull.js';
import type { FleetResult, Heartbeat } from './types.js';
import { liveWorkers, prepareFleet, type PreparedFleet } from './prepare.js';
import { RepeatLimiter } from './quiet-log.js';

export interface FleetRunConfig {
  redis: RedisSpec;
  vantages: string[] | 'all';
  runId?: string;
  /** Deadline for the whole run (ms); null waits as long as some worker of the vantage is alive. */
  waitMs: number | null;
  alignment: boolean;
  /** A vantage with no heartbeat for this long while it has jobs pending is given up (ms). */
  deadVantageMs?: number;
  /** Targets in flight at once. */
  window?: number;
  signal?: AbortSignal;
  log: (line: string) => void;
}

export interface Missing {
  target: string;
  vantage: string;
  reason: string;
}

export interface FleetOutcome {
  runId: string;
  vantages: string[];
  heartbeats: Heartbeat[];
  missing: Missing[];
  /** Vantages that were asked for but had no live worker. */
  deadVantages: string[];
  completed: number;
}

interface Pending {
  target: Target;
  waiting: Set<string>;
  results: TargetResult[];
  reasons: Missing[];
}

function isFleetResult(v: unknown): v is FleetResult {
  if (typeof v !== 'object' || v === null) return false;
  const t = (v as { target?: { hosts?: unknown; input?: unknown } }).target;
  return typeof t === 'object' && t !== null && Array.isArray(t.hosts) && typeof t.input === 'string';
}

export async function runFleet(
  targets: AsyncIterable<Target>,
  options: RunOptions,
  cfg: FleetRunConfig,
  sink: RunSink,
  prepared?: PreparedFleet,
): Promise<FleetOutcome> {
  const { redis, runId, heartbeats, vantages, deadVantages, asked } = prepared ?? (await prepareFleet(cfg));
  for (const v of deadVantages) cfg.log(`vantage ${v}: no live worker (no heartbeat): its targets will be reported missing`);
  const missing: Missing[] = [];
  let completed = 0;

  const conns = new ConnectionSet(cfg.redis);
  const queues = new Map<string, Queue>();
  const events: QueueEvents[] = [];
  const pending = new Map<string, Pending>();
  const byJob = new Map<string, { input: string; vantage: string }>();
  let wake: (() => void) | null = null;
  const poke = () => {
    const w = wake;
    wake = null;
    w?.();
  };

  const finishTarget = async (input: string) => {
    const p = pending.get(input);
    if (!p || p.waiting.size > 0) return;
    pending.delete(input);
    const t = p.target;
    const first = p.results[0];
    const hosts = p.results.flatMap((r) => r.hosts);
    const info: TargetInfo = { input: t.input, origin: t.origin, kind: t.kind, domain: first?.domain ?? (t.kind === 'ip' ? null : t.name), mx: first?.mx ?? [] };
    for (const h of hosts) await sink.host(h, info);
    const merged: TargetResult = first
      ? { ...first, origin: t.origin, hosts }
      : {
          input: t.input,
          origin: t.origin,
          kind: t.kind,
          domain: t.kind === 'ip' ? null : t.name,
          port: t.port ?? options.port,
          // Nothing came back from any vantage: an error, never an empty success.
          dns: { status: 'error', detail: `fleet: no result: ${p.reasons.map((r) => `${r.vantage}: ${r.reason}`).join('; ')}` },
          mx: [],
          hosts: [],
        };
    if (first && p.reasons.length > 0) {
      merged.dns = { ...merged.dns, detail: [merged.dns.detail, ...p.reasons.map((r) => `fleet: ${r.vantage}: ${r.reason}`)].filter(Boolean).join('; ') };
    }
    await sink.target(merged);
    poke();
  };

  const giveUp = async (id: string, reason: string) => {
    const ref = byJob.get(id);
    if (!ref) return;
    byJob.delete(id);
    const p = pending.get(ref.input);
    if (!p) return;
    p.waiting.delete(ref.vantage);
    const m = { target: ref.input, vantage: ref.vantage, reason };
    p.reasons.push(m);
    missing.push(m);
    cfg.log(`missing: ${ref.vantage} ${ref.input}: ${reason}`);
    await finishTarget(ref.input);
  };

  const accept = async (id: string, value: unknown) => {
    const ref = byJob.get(id);
    if (!ref) return; // another run's job, or already taken: counted once.
    if (!isFleetResult(value)) return giveUp(id, 'the worker returned a malformed result');
    // Redis is a trust boundary both ways: the renderers get only the shape they rely on.
    try {
      value.target.hosts.forEach((h, i) => checkHost(h, `hosts[${i}]`));
    } catch (err) {
      return giveUp(id, `the worker returned a malformed result: ${(err as Error).message}`);
    }
    byJob.delete(id);
    const p = pending.get(ref.input);
    if (!p) return;
    p.waiting.delete(ref.vantage);
    // The vantage on each probe is the queue's, whatever the payload claims.
    for (const h of value.target.hosts) for (const pr of h.probes) pr.vantage = ref.vantage;
    p.results.push(value.target);
    completed++;
    await finishTarget(ref.input);
  };

  // ioredis reports each reconnect attempt while Redis is down (about two lines a second between
  // a vantage's queue and events connections): once a minute with a count (quiet-log.ts).
  const noisy = new RepeatLimiter(cfg.log);
  // A serial chain: events arrive concurrently, the sink is written one record at a time.
  let chain = Promise.resolve();
  const serial = (f: () => Promise<void>) => {
    chain = chain.then(f).catch((err: unknown) => cfg.log(`internal: ${(err as Error).message}`));
    return chain;
  };

  try {
    for (const v of vantages) {
      const q = new Queue(queueName(v), { connection: conns.make() });
      q.on('error', (err) => noisy.say(`queue ${v}: ${err.message}`));
      queues.set(v, q);
      // Events are read from the stream position taken here, before any job of this run is added.
      // QueueEvents' default start is '$' (entries after its first XREAD), and that first XREAD
      // may reach Redis after a fast worker has already completed a job: its 'completed' entry
      // would never be seen, and without --wait the run would wait for it forever.
      // Read on the events connection itself: like BullMQ's own commands on it, the read waits
      // through a Redis restart instead of failing the run with an internal error.
      const evConn = conns.make();
      const ev = new QueueEvents(queueName(v), { connection: evConn, lastEventId: await eventsCursor(evConn, q.toKey('events')) });
      ev.on('error', (err) => noisy.say(`events ${v}: ${err.message}`));
      ev.on('completed', ({ jobId: id, returnvalue }) => void serial(() => accept(id, typeof returnvalue === 'string' ? safeParse(returnvalue) : returnvalue)));
      ev.on('failed', ({ jobId: id, failedReason }) =>
        void serial(async () => {
          // A failed attempt that will be retried is not final: only a job in the failed set is.
          const job = await Job.fromId(q, id).catch(() => undefined);
          const state = job ? await job.getState().catch(() => 'unknown') : 'unknown';
          if (state === 'failed' || state === 'unknown') await giveUp(id, `job failed: ${failedReason}`);
        }),
      );
      await ev.waitUntilReady();
      events.push(ev);
    }

    const window = cfg.window ?? 500;
    const started = Date.now();
    const deadline = cfg.waitMs === null ? null : started + cfg.waitMs;
    const expired = () => (deadline !== null && Date.now() >= deadline) || cfg.signal?.aborted === true;
    const lastSeen = new Map<string, number>(vantages.map((v) => [v, Date.now()]));
    const deadAfter = cfg.deadVantageMs ?? 30_000;

    // Watchdog: the --wait deadline, and vantages whose every worker stopped beating.
    const watchdog = setInterval(() => {
      void (async () => {
        if (expired()) return poke();
        try {
          const hbs = await liveWorkers(redis);
          const now = Date.now();
          for (const h of hbs) lastSeen.set(h.vantage, now);
        } catch {
          // Redis unreachable: judged again on the next tick.
          return;
        }
        for (const [id, ref] of [...byJob]) {
          if (Date.now() - (lastSeen.get(ref.vantage) ?? 0) > deadAfter) {
            await serial(() => giveUp(id, `no live worker for vantage ${ref.vantage} for ${Math.round(deadAfter / 1000)} s`));
          }
        }
        poke();
      })();
    }, 1000);
    watchdog.unref();

    const jobOptions = (o: RunOptions): FleetJob['options'] => ({
      stopAfter: o.stopAfter,
      starttls: o.starttls,
      implicitTls: o.implicitTls,
      timeoutMs: o.timeoutMs,
      deadlineMs: o.deadlineMs,
      retries: o.retries,
      retryGreylistSec: o.retryGreylistSec,
      transcript: o.transcript,
      alignment: cfg.alignment,
      port: o.port,
      hostGapMs: o.hostGapMs,
      family: o.family,
      identityKinds: o.identityKinds,
      customIdentities: o.customIdentities,
      mailFrom: o.mailFrom,
      rcpt: o.rcpt,
      mismatchName: o.mismatchName,
    });
    const jobOpts = jobOptions(options);

    const addOpts = { attempts: 2, backoff: { type: 'fixed' as const, delay: 1000 }, removeOnComplete: { age: 86_400 }, removeOnFail: { age: 86_400 } };
    // With a fresh run id no job can exist yet; with a given --run-id a finished one is re-used.
    const reuse = cfg.runId !== undefined;

    /** Registers a batch of targets and adds their jobs, one addBulk per vantage (one round trip). */
    const enqueueBatch = async (batch: Target[]) => {
      for (const t of batch) {
        const p: Pending = { target: t, waiting: new Set(), results: [], reasons: [] };
        pending.set(t.input, p);
        for (const v of deadVantages) {
          const m = { target: t.input, vantage: v, reason: 'no live worker for this vantage when the run started' };
          p.reasons.push(m);
          missing.push(m);
        }
        for (const v of vantages) {
          byJob.set(jobId(runId, v, t.input, jobOpts), { input: t.input, vantage: v });
          p.waiting.add(v);
        }
      }
      for (const v of vantages) {
        const q = queues.get(v)!;
        let todo = batch.map((t) => ({ t, id: jobId(runId, v, t.input, jobOpts) }));
        // Redis may be restarting: retry until the jobs are taken or the run's deadline passes.
        for (;;) {
          try {
            if (reuse) {
              const fresh: typeof todo = [];
              for (const x of todo) {
                const existing = await Job.fromId(q, x.id);
                if (!existing) fresh.push(x);
                else if (existing.finishedOn) {
                  // Same --run-id, already done: the stored result, not a second probe.
                  if (existing.failedReason) await serial(() => giveUp(x.id, `job failed: ${existing.failedReason}`));
                  else await serial(() => accept(x.id, existing.returnvalue));
                }
              }
              todo = fresh;
            }
            const jobs = todo.map(({ t, id }) => {
              const data: FleetJob = { v: FLEET_JOB_VERSION, run: runId, vantage: v, target: { input: t.input, origin: t.origin }, options: jobOpts };
              return { name: 'probe', data, opts: { jobId: id, ...addOpts } };
            });
            if (jobs.length > 0) await q.addBulk(jobs);
            break;
          } catch (err) {
            if (expired()) {
              for (const x of todo) await serial(() => giveUp(x.id, `could not enqueue: ${(err as Error).message}`));
              break;
            }
            noisy.say(`enqueue ${v}: ${(err as Error).message}; retrying`);
            await new Promise((r) => setTimeout(r, 1000));
          }
        }
      }
      for (const t of batch) await serial(() => finishTarget(t.input));
    };

    const batchSize = Math.max(1, Math.min(100, Math.floor(window / 2)));
    let batch: Target[] = [];
    const seen = new Set<string>();
    const notEnqueued = (t: Target) => {
      const why = cfg.signal?.aborted ? 'run interrupted before it was enqueued' : 'not enqueued before --wait ran out';
      for (const v of asked) missing.push({ target: t.input, vantage: v, reason: why });
    };
    for await (const t of targets) {
      if (expired()) {
        // Never silent: every target read after the deadline is named as missing.
        notEnqueued(t);
        continue;
      }
      if (pending.has(t.input) || seen.has(t.input)) continue;
      seen.add(t.input);
      batch.push(t);
      if (batch.length >= batchSize) {
        await enqueueBatch(batch);
        for (const x of batch) seen.delete(x.input);
        batch = [];
        while (pending.size >= window && !expired()) await new Promise<void>((r) => (wake = r));
      }
    }
    if (batch.length > 0 && !expired()) await enqueueBatch(batch);
    else for (const t of batch) notEnqueued(t);
    while (pending.size > 0 && !expired()) await new Promise<void>((r) => (wake = r));
    clearInterval(watchdog);
    await chain;
    if (pending.size > 0) {
      const why = cfg.signal?.aborted ? 'run interrupted' : `not finished before --wait (${Math.round((cfg.waitMs ?? 0) / 1000)} s)`;
      // BullMQ's commands wait for Redis to come back (they are queued while it reconnects): with
      // Redis gone for good, the first Job.fromId here never returned and the run outlived --wait
      // without end (a cron line hung; only a second SIGINT ended it, with no summary written).
      // The take-back gets TAKE_BACK_MS in all; what it cannot ask Redis is reported as missing
      // with state "unknown".
      const takeBackEnd = Date.now() + TAKE_BACK_MS;
      const ask = <T>(p: Promise<T>, fallback: T): Promise<T> => bounded(p, takeBackEnd - Date.now(), fallback);
      for (const [id, ref] of [...byJob]) {
        // Take back what no worker has started; an active job finishes on its worker unseen.
        const q = queues.get(ref.vantage);
        const job = q ? await ask(Job.fromId(q, id).catch(() => undefined), undefined) : undefined;
        const state = job ? await ask(job.getState().catch(() => 'unknown'), 'unknown') : 'unknown';
        if (job && (state === 'waiting' || state === 'delayed' || state === 'prioritized')) await ask(job.remove().catch(() => undefined), undefined);
        // Finished, its event not (yet) read: the stored result, through the same validation.
        if (job && state === 'completed') await serial(() => accept(id, typeof job.returnvalue === 'string' ? safeParse(job.returnvalue) : job.returnvalue));
        else await serial(() => giveUp(id, `${why} (job ${state})`));
      }
      // Targets read but whose every vantage was already accounted for are flushed by giveUp.
    }
    await chain;
  } finally {
    // Closing waits for Redis too (BullMQ closes its connections with QUIT): bounded, then the
    // connections are dropped below whatever state they are in.
    await bounded(Promise.allSettled(events.map((e) => e.close())), CLOSE_MS, undefined);
    await bounded(Promise.allSettled([...queues.values()].map((q) => q.close())), CLOSE_MS, undefined);
    conns.close();
    noisy.close();
    redis.disconnect();
  }
  return { runId, vantages, heartbeats, missing, deadVantages, completed };
}

/** After --wait (or a signal): how long taking back the unfinished jobs may ask Redis, in all. */
const TAKE_BACK_MS = 10_000;
/** How long closing the queues and event readers may wait for Redis. */
const CLOSE_MS = 5_000;

/** `p`, or `fallback` once `ms` have passed (a Redis call that waits for a server that is gone). */
function bounded<T>(p: Promise<T>, ms: number, fallback: T): Promise<T> {
  if (ms <= 0) return Promise.resolve(fallback);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => {
    // Not unref'd: while it is the only thing pending, the process must wait for it, not exit.
    timer = setTimeout(() => resolve(fallback), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/**
 * The id of the newest entry in a queue's events stream ('0-0' when it is empty): a QueueEvents
 * started from it sees every event written after this call, whenever its first XREAD happens.
 */
export async function eventsCursor(redis: Pick<Redis, 'xrevrange'>, eventsKey: string): Promise<string> {
  const last = await redis.xrevrange(eventsKey, '+', '-', 'COUNT', 1);
  return last[0]?.[0] ?? '0-0';
}

function safeParse(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return null;
  }
}
