/**
 * Cache events for metrics and logs: `cache:hit`, `cache:stale`, `cache:miss`, `cache:wait`,
 * `cache:written`, `cache:invalidated`, `cache:lease-takeover` and `cache:error`.
 *
 * @module
 */

/** Which tier served a read. `l2` on a miss: another instance computed it meanwhile. */
export type CacheSource = "l1" | "l2" | "compute";

/** The entry a read event is about. */
export interface CacheReadEvent {
  readonly key: string;
  readonly organizationId: string;
  readonly dataset: string;
  readonly source: CacheSource;
  /** Age of the served entry in milliseconds. */
  readonly ageMs: number;
}

/** What failed, for `cache:error`. */
export type CacheOperation =
  | "l1.sync"
  | "l2.read"
  | "l2.write"
  | "lease"
  | "compute"
  | "refresh"
  | "hits.flush";

/** Every event with its payload. */
export interface CacheEventMap {
  /** A fresh entry was served. */
  "cache:hit": CacheReadEvent;
  /** A stale entry was served (while revalidating, or because the computation failed). */
  "cache:stale": CacheReadEvent;
  /** Nothing servable was cached: this read ran the computation. */
  "cache:miss": CacheReadEvent;
  /** Nothing servable was cached: this read got another read's computation (isolate or instance). */
  "cache:wait": CacheReadEvent;
  /** A computed entry was stored. */
  "cache:written": {
    readonly key: string;
    readonly organizationId: string;
    readonly dataset: string;
    readonly bytes: number;
    /** How long the computation took. */
    readonly computeMs: number;
    /** True for a stale-while-revalidate refresh. */
    readonly background: boolean;
  };
  /**
   * This process took over the computation lease of a key from a holder whose lease
   * had expired (it crashed, hung or computed past `CACHE_LEASE_TTL`; it may still
   * be computing the key, which then runs twice).
   */
  "cache:lease-takeover": {
    readonly key: string;
    readonly organizationId: string;
    readonly dataset: string;
    readonly previousHolder: string;
    /** How long ago the previous holder's lease expired, in ms. */
    readonly expiredForMs: number;
    /**
     * How long ago the previous holder took its lease, in ms: `expiredForMs` plus the
     * lease TTL (every instance leases for the same `CACHE_LEASE_TTL`).
     */
    readonly previousHolderAgeMs: number;
  };
  /** Tags were invalidated by this process. */
  "cache:invalidated": { readonly tags: readonly string[]; readonly mode: "expire" | "purge" };
  /** Something failed; the read may still have been answered (from a stale entry). */
  "cache:error": {
    readonly operation: CacheOperation;
    readonly key?: string;
    readonly error: unknown;
  };
}

/** Name of a cache event. */
export type CacheEventName = keyof CacheEventMap;

/**
 * A typed, synchronous event emitter. A listener that throws never breaks a read: its
 * error is logged.
 *
 * @example Count hits
 * ```ts
 * import assert from "node:assert/strict";
 * import { CacheEvents } from "./events.ts";
 *
 * const events = new CacheEvents();
 * let hits = 0;
 * const off = events.on("cache:hit", () => hits++);
 * events.emit("cache:hit", { key: "k", organizationId: "o", dataset: "d", source: "l1", ageMs: 0 });
 * off();
 * assert.deepEqual(hits, 1);
 * ```
 */
export class CacheEvents {
  readonly #listeners = new Map<CacheEventName, Set<(event: never) => void>>();

  /** Calls `listener` on every `name` event; returns a function that unsubscribes it. */
  on<N extends CacheEventName>(name: N, listener: (event: CacheEventMap[N]) => void): () => void {
    const listeners = this.#listeners.get(name) ?? new Set();
    listeners.add(listener);
    this.#listeners.set(name, listeners);
    return () => listeners.delete(listener);
  }

  /** True when `name` has a listener: lets a hot path skip building an event nobody hears. */
  has(name: CacheEventName): boolean {
    return (this.#listeners.get(name)?.size ?? 0) > 0;
  }

  /** Calls the listeners of `name` with `event`. */
  emit<N extends CacheEventName>(name: N, event: CacheEventMap[N]): void {
    const listeners = this.#listeners.get(name);
    if (listeners === undefined) return;
    for (const listener of listeners) {
      try {
        (listener as (event: CacheEventMap[N]) => void)(event);
      } catch (error) {
        console.error(`Cache event listener of ${name} failed:`, error);
      }
    }
  }
}
