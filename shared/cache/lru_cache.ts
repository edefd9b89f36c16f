/**
 * A least-recently-used map bounded both by its number of entries and by the total
 * size of its values.
 *
 * @module
 */

/** Bounds of an {@linkcode LruCache}. */
export interface LruCacheOptions<V> {
  /** Most entries kept. @default {1000} */
  readonly maxEntries?: number;
  /** Most total size kept, in the unit of `sizeOf`. @default {33554432} (32 MiB) */
  readonly maxBytes?: number;
  /** Size of one value. @default {() => 0} */
  readonly sizeOf?: (value: V) => number;
}

function checkBound(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(
      `Cannot create cache: ${name} must be a positive integer: received ${value}`,
    );
  }
  return value;
}

/**
 * A `Map` in recency order: `get` and `set` make a key the most recent; when a bound
 * is exceeded the least recent entries are evicted. A value larger than `maxBytes` on
 * its own is not stored.
 *
 * @example Evicts the least recently used entry
 * ```ts
 * import assert from "node:assert/strict";
 * import { LruCache } from "./lru_cache.ts";
 *
 * const cache = new LruCache<string, string>({ maxEntries: 2 });
 * cache.set("a", "1");
 * cache.set("b", "2");
 * cache.get("a");
 * cache.set("c", "3");
 * assert.deepEqual([...cache.keys()], ["a", "c"]);
 * ```
 */
export class LruCache<K, V> {
  readonly maxEntries: number;
  readonly maxBytes: number;
  readonly #sizeOf: (value: V) => number;
  readonly #entries = new Map<K, { value: V; size: number }>();
  #bytes = 0;

  constructor(options: LruCacheOptions<V> = {}) {
    this.maxEntries = checkBound("maxEntries", options.maxEntries ?? 1000);
    this.maxBytes = checkBound("maxBytes", options.maxBytes ?? 32 * 1024 * 1024);
    this.#sizeOf = options.sizeOf ?? (() => 0);
  }

  /** Number of entries. */
  get size(): number {
    return this.#entries.size;
  }

  /** Total size of the values. */
  get bytes(): number {
    return this.#bytes;
  }

  /** The value of `key`, made most recent; `undefined` when absent. */
  get(key: K): V | undefined {
    const slot = this.#entries.get(key);
    if (slot === undefined) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, slot);
    return slot.value;
  }

  /** The value of `key` without changing its recency. */
  peek(key: K): V | undefined {
    return this.#entries.get(key)?.value;
  }

  /** True when `key` is present. */
  has(key: K): boolean {
    return this.#entries.has(key);
  }

  /**
   * Stores `value` as the most recent entry and evicts the least recent ones beyond
   * the bounds. Returns false (and stores nothing) when the value alone exceeds `maxBytes`.
   */
  set(key: K, value: V): boolean {
    const size = this.#sizeOf(value);
    this.delete(key);
    if (size > this.maxBytes) return false;
    this.#entries.set(key, { value, size });
    this.#bytes += size;
    for (const [oldest, slot] of this.#entries) {
      if (this.#entries.size <= this.maxEntries && this.#bytes <= this.maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= slot.size;
    }
    return true;
  }

  /** Removes `key`; true when it was present. */
  delete(key: K): boolean {
    const slot = this.#entries.get(key);
    if (slot === undefined) return false;
    this.#entries.delete(key);
    this.#bytes -= slot.size;
    return true;
  }

  /** Removes every entry. */
  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }

  /** Keys from least to most recent. */
  keys(): IterableIterator<K> {
    return this.#entries.keys();
  }

  /** Values from least to most recent. */
  *values(): IterableIterator<V> {
    for (const slot of this.#entries.values()) yield slot.value;
  }
}
