/**
 * Hit counting without a write per read: counts are aggregated in the isolate and
 * flushed in batches through one SQL call (`cache.record_hits`).
 *
 * @module
 */
import { type Clock, systemClock } from "../util/clock.ts";
import type { CacheEvents } from "./events.ts";
import type { CacheStore } from "./l2_store.ts";
import { defaultWaitUntil, type WaitUntil } from "./background_tasks.ts";
import { emptyLatencyCounts, latencyBucket, type LatencyCounts } from "./latency_histogram.ts";

/**
 * The kind of a read, as counted: `hit` (fresh entry), `stale` (stale entry
 * served), `miss` (this read ran the computation), `wait` (this read got
 * another read's computation: joined in this isolate, or another instance's).
 */
export type HitKind = "hit" | "stale" | "miss" | "wait";

/** Kinds with a latency histogram (a wait's latency is its computation's). */
type TimedKind = Exclude<HitKind, "wait">;

/** The entry a read was about. */
export interface HitTarget {
  readonly key: string;
  readonly organizationId: string;
  readonly dataset: string;
}

/** Everything pending for one organization and dataset. */
interface PendingCounter extends Record<HitKind, number> {
  readonly organizationId: string;
  readonly dataset: string;
  computeFailures: number;
  /** Latency histograms by kind, created on the first timed read of that kind. */
  latency: Partial<Record<TimedKind, LatencyCounts>>;
}

/** Options of a {@linkcode HitRecorder}. */
export interface HitRecorderOptions {
  readonly store: Pick<CacheStore, "recordHits">;
  readonly clock?: Clock;
  /** Longest time a count waits before a flush is started. @default {10000} */
  readonly flushIntervalMs?: number;
  /** Pending rows (entry keys plus organization/dataset counters) that start a flush at once. @default {500} */
  readonly maxPendingKeys?: number;
  /** Keeps background flushes alive. @default {defaultWaitUntil()} */
  readonly waitUntil?: WaitUntil;
  /** Where flush failures are reported (`cache:error`, operation `hits.flush`). */
  readonly events?: CacheEvents;
}

/**
 * Aggregates hit, stale-hit and miss counts per key and per organization and dataset,
 * with latency histograms of each kind and computation failures.
 * `record` is synchronous and never touches the database; a flush starts (in the
 * background, through `waitUntil`) when `maxPendingKeys` rows are pending or
 * `flushIntervalMs` passed since the last flush. Counting is best effort: a failed
 * flush drops its batch (reported as `cache:error`), and counts still pending when an
 * isolate dies are lost; call `flush()` on shutdown to keep them.
 */
export class HitRecorder {
  readonly #store: Pick<CacheStore, "recordHits">;
  readonly #clock: Clock;
  readonly #flushIntervalMs: number;
  readonly #maxPendingKeys: number;
  readonly #waitUntil: WaitUntil;
  readonly #events: CacheEvents | undefined;
  #entries = new Map<string, { hits: number; lastHitAt: number }>();
  #counters = new Map<string, PendingCounter>();
  #lastFlushAt: number;
  #flushing: Promise<void> = Promise.resolve();

  constructor(options: HitRecorderOptions) {
    this.#store = options.store;
    this.#clock = options.clock ?? systemClock;
    this.#flushIntervalMs = options.flushIntervalMs ?? 10_000;
    this.#maxPendingKeys = options.maxPendingKeys ?? 500;
    this.#waitUntil = options.waitUntil ?? defaultWaitUntil();
    this.#events = options.events;
    this.#lastFlushAt = this.#clock.now();
  }

  /** Rows waiting for a flush: entry keys plus organization/dataset counters. */
  get pendingKeys(): number {
    return this.#entries.size + this.#counters.size;
  }

  /**
   * Counts one read, and its latency in the histogram of its kind when given.
   * Starts a background flush when one is due.
   */
  record(kind: HitKind, target: HitTarget, latencyMs?: number): void {
    const now = this.#clock.now();
    if (kind !== "miss" && kind !== "wait") {
      const entry = this.#entries.get(target.key) ?? { hits: 0, lastHitAt: now };
      entry.hits++;
      entry.lastHitAt = Math.max(entry.lastHitAt, now);
      this.#entries.set(target.key, entry);
    }
    const counter = this.#counter(target);
    counter[kind]++;
    if (latencyMs !== undefined && kind !== "wait") {
      const counts = counter.latency[kind] ??= emptyLatencyCounts();
      counts[latencyBucket(latencyMs)]!++;
    }
    this.#flushIfDue(now);
  }

  /** Counts a computation of `target`'s dataset that failed. */
  recordFailure(target: Omit<HitTarget, "key">): void {
    this.#counter(target).computeFailures++;
    this.#flushIfDue(this.#clock.now());
  }

  #counter(target: Omit<HitTarget, "key">): PendingCounter {
    const counterKey = `${target.organizationId}:${target.dataset}`;
    let counter = this.#counters.get(counterKey);
    if (counter === undefined) {
      counter = {
        organizationId: target.organizationId,
        dataset: target.dataset,
        hit: 0,
        stale: 0,
        miss: 0,
        wait: 0,
        computeFailures: 0,
        latency: {},
      };
      this.#counters.set(counterKey, counter);
    }
    return counter;
  }

  #flushIfDue(now: number): void {
    if (
      this.pendingKeys >= this.#maxPendingKeys || now - this.#lastFlushAt >= this.#flushIntervalMs
    ) {
      this.#lastFlushAt = now;
      this.#waitUntil(this.flush());
    }
  }

  /** Writes every pending count in one call (after any flush already running). */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(() => this.#flushNow());
    return this.#flushing;
  }

  async #flushNow(): Promise<void> {
    if (this.pendingKeys === 0) return;
    const entries = [...this.#entries].map(([key, entry]) => ({ key, ...entry }));
    const counters = [...this.#counters.values()].map((counter) => ({
      organizationId: counter.organizationId,
      dataset: counter.dataset,
      hits: counter.hit,
      staleHits: counter.stale,
      misses: counter.miss,
      waits: counter.wait,
      computeFailures: counter.computeFailures,
      latencyMs: counter.latency,
    }));
    this.#entries = new Map();
    this.#counters = new Map();
    const now = this.#clock.now();
    this.#lastFlushAt = now;
    try {
      await this.#store.recordHits({ entries, counters }, now);
    } catch (error) {
      this.#events?.emit("cache:error", { operation: "hits.flush", error });
    }
  }
}
