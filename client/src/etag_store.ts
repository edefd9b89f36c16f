/**
 * Where the client keeps the last body of each dataset URL with its ETag, so a
 * revalidation answered 304 returns the body without downloading it again.
 * Entries of user-scoped datasets are stored under the URL plus the user id
 * (`NightshiftClient` keys them), and the client clears the store when the
 * signed-in user changes, so one user's body is never returned to another.
 *
 * @module
 */

/** A stored response: its ETag and the parsed body. */
export interface StoredBody {
  readonly etag: string;
  readonly body: unknown;
}

/** The store `fetchDataset` revalidates against; any async store (IndexedDB, …) fits. */
export interface EtagStore {
  get(url: string): StoredBody | undefined | Promise<StoredBody | undefined>;
  set(url: string, stored: StoredBody): void | Promise<void>;
  delete(url: string): void | Promise<void>;
  /** Drops every entry; called when the signed-in user changes (stores without it keep other users' bodies, unreachable). */
  clear?(): void | Promise<void>;
}

/**
 * An in-memory store of the `maxEntries` most recently used URLs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryEtagStore } from "./etag_store.ts";
 *
 * const store = new MemoryEtagStore(1);
 * store.set("a", { etag: '"1"', body: [] });
 * store.set("b", { etag: '"2"', body: [] });
 * assert.equal(store.get("a"), undefined);
 * assert.equal(store.get("b")?.etag, '"2"');
 * ```
 */
export class MemoryEtagStore implements EtagStore {
  readonly #entries = new Map<string, StoredBody>();
  readonly #maxEntries: number;

  /** @param maxEntries URLs kept at most. @default 200 */
  constructor(maxEntries = 200) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(
        `Cannot create the ETag store: maxEntries must be a positive integer: received ${maxEntries}`,
      );
    }
    this.#maxEntries = maxEntries;
  }

  get(url: string): StoredBody | undefined {
    const stored = this.#entries.get(url);
    if (stored) {
      this.#entries.delete(url);
      this.#entries.set(url, stored);
    }
    return stored;
  }

  set(url: string, stored: StoredBody): void {
    this.#entries.delete(url);
    this.#entries.set(url, stored);
    while (this.#entries.size > this.#maxEntries) {
      this.#entries.delete(this.#entries.keys().next().value!);
    }
  }

  delete(url: string): void {
    this.#entries.delete(url);
  }

  clear(): void {
    this.#entries.clear();
  }

  /** Number of URLs kept. */
  get size(): number {
    return this.#entries.size;
  }
}
