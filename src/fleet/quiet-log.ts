/**
 * Repeated error lines, said once a minute with a count. While Redis is down, ioredis emits an
 * 'error' for every reconnect attempt (about two a second between the coordinator's queue and
 * events connections), BullMQ's worker reports a queue error every 2 s, and the heartbeat fails at
 * every beat: qa10 counted 700 identical lines in 12 minutes, which a cron mail or a journal keeps
 * whole. The first occurrence of a line is written at once (the news); the same line again within
 * the minute is counted, and written with the count when the minute is over, by the next
 * occurrence or by a timer (so the count of an outage that ended is not lost), and by flush() when
 * the process stops.
 */

export const REPEAT_WINDOW_MS = 60_000;

interface Seen {
  /** When the line was last written. */
  at: number;
  /** How many times it came since then without being written. */
  held: number;
}

export class RepeatLimiter {
  private readonly seen = new Map<string, Seen>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly write: (line: string) => void,
    private readonly windowMs = REPEAT_WINDOW_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Write `line`, or count it if the same line was written less than a window ago. */
  say(line: string): void {
    const t = this.now();
    const s = this.seen.get(line);
    if (s === undefined || t - s.at >= this.windowMs) {
      this.write(s !== undefined && s.held > 0 ? withCount(line, s.held + 1, this.windowMs) : line);
      this.seen.set(line, { at: t, held: 0 });
      this.arm();
      return;
    }
    s.held++;
  }

  /** Write the counts held back for lines whose window is over (all of them with `all`). */
  flush(all = false): void {
    const t = this.now();
    for (const [line, s] of this.seen) {
      if (!all && t - s.at < this.windowMs) continue;
      if (s.held > 0 && !all) {
        // Still coming: the count is the line for this minute, and the next minute counts afresh.
        this.write(withCount(line, s.held, this.windowMs));
        s.at = t;
        s.held = 0;
        continue;
      }
      if (s.held > 0) this.write(withCount(line, s.held, this.windowMs));
      // Quiet for a whole window (or the process is stopping): the next occurrence is news again.
      this.seen.delete(line);
    }
    if (this.seen.size === 0 && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  /** Write what is held back and stop the timer (the process is stopping). */
  close(): void {
    this.flush(true);
  }

  private arm(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => this.flush(), Math.max(1000, Math.floor(this.windowMs / 4)));
    // Never what keeps a stopping process alive.
    this.timer.unref();
  }
}

function withCount(line: string, n: number, windowMs: number): string {
  const span = windowMs === 60_000 ? 'the last minute' : `the last ${Math.round(windowMs / 1000)} s`;
  return `${line} (repeated ${n} time${n === 1 ? '' : 's'} in ${span})`;
}
