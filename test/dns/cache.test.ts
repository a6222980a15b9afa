import { describe, expect, it } from 'vitest';
import { LruCache, normalizeName } from '../../src/dns/cache.js';

describe('LruCache', () => {
  it('evicts the least recently used entry once over the bound', () => {
    const c = new LruCache<string, number>(3);
    c.set('a', 1);
    c.set('b', 2);
    c.set('c', 3);
    expect(c.get('a')).toBe(1); // a is now the newest
    c.set('d', 4); // evicts b, the oldest untouched
    expect(c.has('b')).toBe(false);
    expect([...c.keys()]).toEqual(['c', 'a', 'd']);
    expect(c.size).toBe(3);
    expect(c.evictions).toBe(1);
  });

  it('overwriting a key refreshes it without growing', () => {
    const c = new LruCache<string, number>(2);
    c.set('a', 1);
    c.set('b', 2);
    c.set('a', 10);
    c.set('c', 3);
    expect(c.get('a')).toBe(10);
    expect(c.has('b')).toBe(false);
    expect(c.size).toBe(2);
  });

  it('never exceeds its bound', () => {
    const c = new LruCache<number, number>(100);
    for (let i = 0; i < 10_000; i++) c.set(i, i);
    expect(c.size).toBe(100);
    expect(c.get(9_999)).toBe(9_999);
    expect(c.get(0)).toBeUndefined();
  });

  it('rejects a non-positive size', () => {
    expect(() => new LruCache(0)).toThrow(RangeError);
  });
});

describe('normalizeName', () => {
  it.each([
    ['Example.COM.', 'example.com'],
    ['example.com', 'example.com'],
    ['  mx.Example.com  ', 'mx.example.com'],
    ['.', '.'],
  ])('%j -> %j', (input, expected) => {
    expect(normalizeName(input)).toBe(expected);
  });
});
