/**
 * A bounded least-recently-used map. A 100k-target run asks hundreds of thousands of names; the
 * cache must not grow without limit, and the names asked most recently (the MX hosts shared by
 * many domains) are the ones worth keeping. A JS Map keeps insertion order, so "touch" is
 * delete + set and the oldest entry is the first key: O(1) for every operation.
 */
export class LruCache<K, V> {
  readonly #max: number;
  readonly #map = new Map<K, V>();
  #evictions = 0;

  constructor(maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(`LruCache size must be a positive integer, got ${maxEntries}`);
    }
    this.#max = maxEntries;
  }

  get size(): number {
    return this.#map.size;
  }

  get maxEntries(): number {
    return this.#max;
  }

  /** How many entries were pushed out by the bound so far. */
  get evictions(): number {
    return this.#evictions;
  }

  has(key: K): boolean {
    return this.#map.has(key);
  }

  /** Returns the value and marks it most recently used. */
  get(key: K): V | undefined {
    if (!this.#map.has(key)) return undefined;
    const value = this.#map.get(key) as V;
    this.#map.delete(key);
    this.#map.set(key, value);
    return value;
  }

  set(key: K, value: V): void {
    if (this.#map.has(key)) this.#map.delete(key);
    this.#map.set(key, value);
    while (this.#map.size > this.#max) {
      const oldest = this.#map.keys().next();
      if (oldest.done === true) break;
      this.#map.delete(oldest.value);
      this.#evictions++;
    }
  }

  delete(key: K): boolean {
    return this.#map.delete(key);
  }

  clear(): void {
    this.#map.clear();
  }

  keys(): IterableIterator<K> {
    return this.#map.keys();
  }
}

/**
 * The cache key form of a DNS name: DNS names compare case-insensitively (RFC 4343 §3) and
 * "example.com." is the same name as "example.com".
 */
export function normalizeName(name: string): string {
  let n = name.trim().toLowerCase();
  while (n.length > 1 && n.endsWith('.')) n = n.slice(0, -1);
  return n;
}
