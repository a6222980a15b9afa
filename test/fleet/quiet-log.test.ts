/** RepeatLimiter (src/fleet/quiet-log.ts) on a clock the test moves: once a minute, with a count. */
import { describe, expect, it } from 'vitest';
import { RepeatLimiter } from '../../src/fleet/quiet-log.js';

describe('RepeatLimiter', () => {
  it('writes the first line at once, counts repeats, and writes the count once a minute', () => {
    let now = 0;
    const out: string[] = [];
    const q = new RepeatLimiter((l) => out.push(l), 60_000, () => now);
    try {
      q.say('queue r1: connect ECONNREFUSED 127.0.0.1:6379');
      expect(out).toEqual(['queue r1: connect ECONNREFUSED 127.0.0.1:6379']);
      // Two a second for the rest of the minute: held back.
      for (now = 500; now < 60_000; now += 500) q.say('queue r1: connect ECONNREFUSED 127.0.0.1:6379');
      expect(out).toHaveLength(1);
      // Another line is news of its own.
      q.say('heartbeat failed (Redis unreachable?): x');
      expect(out).toHaveLength(2);
      // The minute is over: the next one writes the count (119 held + this one).
      now = 60_000;
      q.say('queue r1: connect ECONNREFUSED 127.0.0.1:6379');
      expect(out[2]).toBe('queue r1: connect ECONNREFUSED 127.0.0.1:6379 (repeated 120 times in the last minute)');
      // A timer's flush: a line still held after its minute is written with its count, once.
      for (now = 60_500; now < 100_000; now += 500) q.say('queue r1: connect ECONNREFUSED 127.0.0.1:6379');
      now = 120_000;
      q.flush();
      expect(out[3]).toBe('queue r1: connect ECONNREFUSED 127.0.0.1:6379 (repeated 79 times in the last minute)');
      q.flush();
      expect(out).toHaveLength(4);
      // Quiet for a whole minute after that: the next occurrence is news again, written plainly.
      now = 181_000;
      q.flush();
      q.say('queue r1: connect ECONNREFUSED 127.0.0.1:6379');
      expect(out[4]).toBe('queue r1: connect ECONNREFUSED 127.0.0.1:6379');
      // Stopping writes what is held back, whatever the window.
      now = 182_000;
      q.say('queue r1: connect ECONNREFUSED 127.0.0.1:6379');
      q.close();
      expect(out[5]).toBe('queue r1: connect ECONNREFUSED 127.0.0.1:6379 (repeated 1 time in the last minute)');
      expect(out).toHaveLength(6);
    } finally {
      q.close();
    }
  });
});
