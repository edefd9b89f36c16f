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

/**
 * The hit count of one entry key, kept where the entry is (its L1 slot) so that a
 * hit increments two fields instead of building a string key and looking it up
 * (see {@linkcode HitRecorder.recordHit}). The recorder lists it while it holds
 * counts, and zeroes it on flush; `counter` is the organization/dataset counter of
 * the recorder's current flush period (`period`), looked up once per period.
 */
export class EntryHits implements HitTarget {
  hits = 0;
  lastHitAt = Number.NEGATIVE_INFINITY;
  /** @internal The recorder's counter of `period`. */
  counter: PendingCounter | undefined = undefined;
  /** @internal */
  period = -1;

  constructor(
    readonly key: string,
    readonly organizationId: string,
    readonly dataset: string,
  ) {}
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
  /** Entry counts of reads recorded by target (not through an {@linkcode EntryHits} of their own). */
  #entries = new Map<string, EntryHits>();
  /** Every entry count holding hits, whoever holds it; two may share a key (merged on flush). */
  #pendingEntries: EntryHits[] = [];
  #counters = new Map<string, PendingCounter>();
  /** Bumped by every flush: an {@linkcode EntryHits} of an older period looks its counter up again. */
  #period = 0;
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
    return this.#pendingEntries.length + this.#counters.size;
  }

  /**
   * Counts one read, and its latency in the histogram of its kind when given.
   * Starts a background flush when one is due.
   */
  record(kind: HitKind, target: HitTarget, latencyMs?: number): void {
    const now = this.#clock.now();
    if (kind !== "miss" && kind !== "wait") {
      let entry = this.#entries.get(target.key);
      if (entry === undefined) {
        entry = new EntryHits(target.key, target.organizationId, target.dataset);
        this.#entries.set(target.key, entry);
      }
      this.#countEntry(entry, now);
    }
    countRead(this.#counter(target), kind, latencyMs);
    this.#flushIfDue(now);
  }

  /**
   * Counts one fresh hit of the entry `entry` counts, at `now` (the caller's clock
   * reading, so a hit reads the clock once), taking `latencyMs`: the same as
   * `record("hit", entry, latencyMs)` without a lookup by key.
   */
  recordHit(entry: EntryHits, now: number, latencyMs: number): void {
    this.#countEntry(entry, now);
    if (entry.period !== this.#period) {
      entry.counter = this.#counter(entry);
      entry.period = this.#period;
    }
    countRead(entry.counter!, "hit", latencyMs);
    this.#flushIfDue(now);
  }

  #countEntry(entry: EntryHits, now: number): void {
    // Listed among the pending entries from its first count until a flush zeroes it.
    if (entry.hits++ === 0) this.#pendingEntries.push(entry);
    if (now > entry.lastHitAt) entry.lastHitAt = now;
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
    // Two counts of one key (an L1 slot's and one recorded by target) make one row.
    const rows = new Map<string, { key: string; hits: number; lastHitAt: number }>();
    for (const entry of this.#pendingEntries) {
      const row = rows.get(entry.key);
      if (row === undefined) {
        rows.set(entry.key, { key: entry.key, hits: entry.hits, lastHitAt: entry.lastHitAt });
      } else {
        row.hits += entry.hits;
        row.lastHitAt = Math.max(row.lastHitAt, entry.lastHitAt);
      }
      entry.hits = 0;
      entry.lastHitAt = Number.NEGATIVE_INFINITY;
    }
    const entries = [...rows.values()];
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
    this.#pendingEntries = [];
    this.#counters = new Map();
    this.#period++;
    const now = this.#clock.now();
    this.#lastFlushAt = now;
    try {
      await this.#store.recordHits({ entries, counters }, now);
    } catch (error) {
      this.#events?.emit("cache:error", { operation: "hits.flush", error });
    }
  }
}

/** Counts one read of `kind` on `counter`, with its latency in the kind's histogram when given (waits have none). */
function countRead(counter: PendingCounter, kind: HitKind, latencyMs: number | undefined): void {
  counter[kind]++;
  if (latencyMs !== undefined && kind !== "wait") {
    const counts = counter.latency[kind] ??= emptyLatencyCounts();
    counts[latencyBucket(latencyMs)]!++;
  }
}
