/**
 * The polite scheduler. Netiquette is a feature:
 *  - at most `concurrency` sessions at once (p-limit);
 *  - at most one connection per IP address at a time;
 *  - at least `hostGapMs` between the end of one connection to an IP and the start of the next.
 *
 * Waiting for an IP's turn or its gap never holds a global slot, so one slow host cannot starve
 * the others. Per-IP state lives only while the IP is busy or inside its gap, so memory does not
 * grow with the number of targets in the run.
 */
import pLimit, { type LimitFunction } from 'p-limit';
import { onAbort } from '../net/abort.js';

/**
 * What `run` gives back, when called with a signal, for a job the signal caught before it started
 * (waiting for its IP's turn, its gap or a session slot). Such a job is never run: after a signal
 * nothing new connects, and a queued job must not wait for the sessions ahead of it to wind down
 * (one slow host used to hold every later job for its address past the run's grace period, and
 * those targets were left out of the results entirely).
 */
export const NOT_STARTED: unique symbol = Symbol('not started');

interface IpState {
  /** Resolves when the previous job for this IP has finished. */
  tail: Promise<void>;
  /** performance-ish timestamp (Date.now) when the last job for this IP ended. */
  lastEnd: number;
  users: number;
  cleanup: NodeJS.Timeout | undefined;
}

export interface SchedulerOptions {
  concurrency: number;
  hostGapMs: number;
  /**
   * Optional extra gate per IP, shared beyond this process (the fleet's Redis lease, see
   * src/fleet/lease.ts). Acquired inside the session slot, just before connecting, so the lease
   * is held only while the session runs; released with the session's result (a 421 or a drop
   * makes the fleet back off).
   */
  ipGate?: IpGate;
}

export interface IpGate {
  acquire(ip: string): Promise<{ release(result: unknown): Promise<void> }>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** `ms`, or until `early` settles (the timer is cleared then, so it never holds the exit). */
const sleepUntil = (ms: number, early: Promise<unknown>) =>
  new Promise<void>((r) => {
    const t = setTimeout(r, ms);
    void early.then(() => {
      clearTimeout(t);
      r();
    });
  });

export class PoliteScheduler {
  private readonly limit: LimitFunction;
  private readonly ips = new Map<string, IpState>();
  private active = 0;
  private peak = 0;

  constructor(private readonly options: SchedulerOptions) {
    this.limit = pLimit(Math.max(1, options.concurrency));
  }

  /** Sessions running right now / the most seen at once (for tests and benchmarks). */
  get running(): number {
    return this.active;
  }
  get peakRunning(): number {
    return this.peak;
  }
  /** IPs with live per-IP state (busy or within their gap). */
  get trackedIps(): number {
    return this.ips.size;
  }

  run<T>(ip: string, job: () => Promise<T>): Promise<T>;
  run<T>(ip: string, job: () => Promise<T>, signal: AbortSignal | undefined): Promise<T | typeof NOT_STARTED>;
  run<T>(ip: string, job: () => Promise<T>, signal?: AbortSignal): Promise<T | typeof NOT_STARTED> {
    const key = ip.toLowerCase();
    let st = this.ips.get(key);
    if (!st) {
      st = { tail: Promise.resolve(), lastEnd: 0, users: 0, cleanup: undefined };
      this.ips.set(key, st);
    }
    const state = st;
    clearTimeout(state.cleanup);
    state.cleanup = undefined;
    state.users++;
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const previous = state.tail;
    state.tail = mine;
    // Another job for this IP is ahead of this one: `previous` is still pending.
    const behind = state.users > 1;

    const go = async (): Promise<T | typeof NOT_STARTED> => {
      // Settles when the signal fires; raced only against a wait that is really pending (a job
      // behind another for its IP, in its gap, or queued for a slot), never against a running
      // job. Built on first need: a job that waits for nothing costs no promise and no listener.
      let unlisten = (): void => {};
      let stopped: Promise<typeof NOT_STARTED> | null = null;
      const whenStopped = (s: AbortSignal): Promise<typeof NOT_STARTED> => {
        if (s.aborted) return Promise.resolve(NOT_STARTED);
        stopped ??= new Promise<typeof NOT_STARTED>((r) => (unlisten = onAbort(s, () => r(NOT_STARTED))));
        return stopped;
      };
      try {
        await (signal !== undefined && behind ? Promise.race([previous, whenStopped(signal)]) : previous);
        if (signal?.aborted) return NOT_STARTED;
        const wait = state.lastEnd + this.options.hostGapMs - Date.now();
        // The gap ends early on a signal through one fan-out listener per signal (net/abort.ts),
        // not an AbortSignal listener per sleeping job: a run with many IPs in their gap at once
        // went past the signal's 10 listeners (MaxListenersExceededWarning on stderr).
        if (state.lastEnd > 0 && wait > 0) await (signal === undefined ? sleep(wait) : sleepUntil(wait, whenStopped(signal)));
        if (signal?.aborted) return NOT_STARTED;
        let started = false;
        // Every slot taken: this job waits in p-limit's queue.
        const queued = signal !== undefined && this.limit.activeCount + this.limit.pendingCount >= this.limit.concurrency;
        const slot = this.limit(async (): Promise<T | typeof NOT_STARTED> => {
          // Queued for a slot when the signal came: the caller has already been told NOT_STARTED.
          if (signal?.aborted) return NOT_STARTED;
          started = true;
          const lease = this.options.ipGate ? await this.options.ipGate.acquire(key) : null;
          this.active++;
          this.peak = Math.max(this.peak, this.active);
          let result: unknown;
          try {
            result = await job();
            return result as T;
          } finally {
            this.active--;
            await lease?.release(result);
          }
        });
        if (signal === undefined || !queued) return await slot;
        const first = await Promise.race([slot, whenStopped(signal)]);
        // A job that started runs to its end (it sees the signal itself and winds down).
        return first === NOT_STARTED && !started ? NOT_STARTED : await slot;
      } finally {
        unlisten();
        state.lastEnd = Date.now();
        state.users--;
        release();
        if (state.users === 0) {
          // Forget the IP once its gap has passed; until then a new job must still wait.
          state.cleanup = setTimeout(() => {
            if (state.users === 0 && this.ips.get(key) === state) this.ips.delete(key);
          }, this.options.hostGapMs);
          state.cleanup.unref();
        }
      }
    };
    return go();
  }
}
