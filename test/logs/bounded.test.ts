/**
 * Bounded's hash filter (src/logs/aggregate.ts) lets the aggregator skip Map lookups for queue ids
 * and sessions it does not hold. It may say "maybe" wrongly, never "no" wrongly: a key held in the
 * map must always pass mayHold(), through inserts, overwrites, deletes, evictions at the cap,
 * colliding hashes, saturated counts and keys that detach() rewrites (lone surrogates).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Bounded, detach, keyHash, rangeHash } from '../../src/logs/aggregate.js';

/**
 * Keys that share one hash: "Aa" and "BB" hash alike under h*31+c (31*65+97 = 31*66+66), so every
 * string of n such blocks does too: 2^n colliding keys.
 */
function colliding(blocks: number): string[] {
  let out = [''];
  for (let i = 0; i < blocks; i++) out = out.flatMap((p) => [`${p}Aa`, `${p}BB`]);
  return out;
}

describe('Bounded filter', () => {
  it('rangeHash of a range equals keyHash of the same characters', () => {
    const text = 'Nov  1 00:00:00 relay1 postfix/qmgr[6694]: 4000000001: removed';
    expect(rangeHash(text, 43, 53)).toBe(keyHash('4000000001'));
    expect(rangeHash(text, 16, 41)).toBe(keyHash('relay1 postfix/qmgr[6694]'));
  });

  it('never says "not held" for a held key (property, with collisions, eviction and saturation)', () => {
    const same = colliding(9).slice(0, 300); // more than 255 keys on one hash: the count saturates
    expect(new Set(same.map(keyHash)).size).toBe(1);
    const pool = [...same.slice(0, 40), 'a', 'b', 'c', '4000000001', 'x\ud800y', 'x\ufffdy', 'relay1 postfix/smtpd[1]', 'a-very-long-key-above-thirteen-chars'];
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('set', 'set', 'setd', 'delete', 'delete', 'fill'), fc.nat(pool.length - 1)), { maxLength: 200 }), fc.integer({ min: 1, max: 300 }), (ops, cap) => {
        const b = new Bounded<number>(cap);
        for (const [op, i] of ops) {
          const k = pool[i] as string;
          if (op === 'set') b.set(k, i);
          else if (op === 'setd') b.setDetached(detach(k), i);
          else if (op === 'delete') b.delete(k);
          else for (const s of same) b.set(s, 0);
          let ok = b.map.size <= cap;
          for (const held of b.map.keys()) ok &&= b.mayHold(keyHash(held));
          expect(ok).toBe(true);
        }
        // Emptied again, every count is back to zero unless it saturated.
        for (const held of [...b.map.keys()]) b.delete(held);
        for (const k of pool) if (!same.includes(k)) expect(b.mayHold(keyHash(k))).toBe(false);
      }),
      { numRuns: 100, seed: 14 },
    );
  });

  it('a saturated count stays: 300 keys on one hash, 260 deleted, the other 40 still pass', () => {
    const same = colliding(9).slice(0, 300);
    const b = new Bounded<number>(1000);
    for (const k of same) b.set(k, 1);
    for (const k of same.slice(0, 260)) b.delete(k);
    expect(b.map.size).toBe(40);
    expect(b.mayHold(keyHash(same[299] as string))).toBe(true);
  });

  it('the filter answers "not held" once a key is deleted or evicted', () => {
    const b = new Bounded<number>(2);
    b.set('4ABC', 1);
    expect(b.mayHold(keyHash('4ABC'))).toBe(true);
    b.delete('4ABC');
    expect(b.mayHold(keyHash('4ABC'))).toBe(false);
    b.set('A', 1);
    b.set('B', 2);
    b.set('C', 3); // evicts A
    expect(b.evicted).toBe(1);
    expect(b.map.has('A')).toBe(false);
    expect(b.mayHold(keyHash('A'))).toBe(keyHash('A') === keyHash('B') || keyHash('A') === keyHash('C'));
  });
});

describe('detach', () => {
  it('gives the same characters as a UTF-8 round trip (lone surrogates become U+FFFD), short or long', () => {
    const chunk = `${'x'.repeat(50)}user40888@dest1948.test|ab\ud800cdefghijklmnop|ab\ud83d\ude00cdefghijklmnop|4000000001|é-domain.example.test${'y'.repeat(50)}`;
    for (const s of chunk.slice(50, -50).split('|').concat(['', 'a', 'x\udc00', chunk.slice(10, 80)])) {
      expect(detach(s)).toBe(Buffer.from(s, 'utf8').toString('utf8'));
    }
  });
});
