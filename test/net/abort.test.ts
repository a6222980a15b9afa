import { describe, expect, it } from 'vitest';
import { onAbort } from '../../src/net/abort.js';

describe('onAbort fan-out', () => {
  it('calls every live subscriber once, skips the ones that left, with one listener on the signal', () => {
    const ac = new AbortController();
    let added = 0;
    const add = ac.signal.addEventListener.bind(ac.signal);
    ac.signal.addEventListener = ((...args: Parameters<typeof add>) => {
      added++;
      return add(...args);
    }) as typeof add;
    const calls: number[] = [];
    const stops = Array.from({ length: 1000 }, (_, i) => onAbort(ac.signal, () => calls.push(i)));
    stops[3]?.();
    stops[999]?.();
    ac.abort();
    ac.abort();
    expect(added).toBe(1);
    expect(calls).toHaveLength(998);
    expect(calls).not.toContain(3);
    expect(new Set(calls).size).toBe(998);
  });
});
