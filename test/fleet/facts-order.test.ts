import { describe, expect, it } from 'vitest';
import { recordVantages } from '../../src/fleet/facts.js';
import type { Heartbeat } from '../../src/fleet/types.js';

function beat(vantage: string): Heartbeat {
  return { vantage, worker: `w-${vantage}`, host: 'h', pid: 1, helo: 'mx.example.net', sources: [null], concurrency: 1, startedAt: '', at: '', lint: [] };
}

describe('recordVantages', () => {
  it('lists vantages in code-unit order, the same under every LANG (localeCompare put "a" before "Z")', () => {
    const got = recordVantages(['b', 'Z', 'a', 'ab', 'a.c', 'a'].map(beat));
    expect(got.map((v) => v.name)).toEqual(['Z', 'a', 'a.c', 'ab', 'b']);
    expect(got.find((v) => v.name === 'a')?.workers).toBe(2);
  });
});
