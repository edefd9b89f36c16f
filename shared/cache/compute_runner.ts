/**
 * Computing a value once across instances: take the key's lease in L2, compute,
 * write, release; or wait for the instance holding the lease to write it.
 *
 * @module
 */
import type { Clock } from "../util/clock.ts";
import type { CachePolicy } from "./config.ts";
import { type CacheEntry, utf8Length } from "./entry.ts";
import { computeEtag } from "./etag.ts";
import { CacheLeaseTimeoutError, CacheSerializationError } from "./errors.ts";
import type { CacheEvents } from "./events.ts";
import type { CacheStore, LeaseResult, StoreReadResult } from "./l2_store.ts";

/** What is being computed. */
export interface ComputeTarget {
  readonly key: string;
  readonly organizationId: string;
  readonly dataset: string;
  /** Every tag of the entry (scoped). */
  readonly tags: readonly string[];
  readonly policy: CachePolicy;
}

/** The freshness window of an entry being computed, for serializers that embed it. */
export interface EntryWindow {
  readonly generatedAt: Date;
  readonly freshUntil: Date;
  readonly expiresAt: Date;
}

/** How to produce a body. */
export interface ComputeWork<T> {
  readonly compute: () => Promise<T>;
  readonly serialize: (value: T, window: EntryWindow) => string;
}

/** A computed (or awaited) entry. */
export interface Computed {
  readonly entry: CacheEntry;
  /** `compute`: this call computed it; `l2`: another instance did, meanwhile. */
  readonly source: "compute" | "l2";
  /** False when the lease failed (L2 down): tag versions unknown, keep it out of L1. */
  readonly versioned: boolean;
}

/** A lease already asked for (by `CacheStore.readOrLease`), under its holder. */
export interface AskedLease {
  readonly holder: string;
  readonly lease: LeaseResult;
}

/** Options of a {@linkcode ComputeRunner}. */
export interface ComputeRunnerOptions {
  readonly store: CacheStore;
  readonly clock: Clock;
  readonly events: CacheEvents;
  /** Lease length: after it another instance may take over. @default {30000} */
  readonly leaseTtlMs?: number;
  /** Longest wait for another instance's computation. @default {leaseTtlMs + 5000} */
  readonly leaseWaitTimeoutMs?: number;
  /** First poll delay while waiting; doubles up to 250 ms. @default {20} */
  readonly pollIntervalMs?: number;
  /** Waits between polls (real time, also under a fake clock). @default {setTimeout} */
  readonly sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs computations under the L2 lease of their key. The tag versions an entry is
 * written under are read when the lease is taken, before computing: a tag bumped
 * while the computation runs leaves the new entry stale (or purged), never wrongly
 * current. A computation longer than the lease may run twice across instances.
 */
export class ComputeRunner {
  readonly #store: CacheStore;
  readonly #clock: Clock;
  readonly #events: CacheEvents;
  readonly #leaseTtlMs: number;
  readonly #leaseWaitTimeoutMs: number;
  readonly #pollIntervalMs: number;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(options: ComputeRunnerOptions) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#events = options.events;
    this.#leaseTtlMs = options.leaseTtlMs ?? 30_000;
    this.#leaseWaitTimeoutMs = options.leaseWaitTimeoutMs ?? this.#leaseTtlMs + 5_000;
    this.#pollIntervalMs = options.pollIntervalMs ?? 20;
    this.#sleep = options.sleep ?? realSleep;
  }

  /**
   * Hard miss: computes under the lease, or waits until the lease holder wrote a fresh
   * entry (or gave up its lease). Throws the computation's error, or
   * {@linkcode CacheLeaseTimeoutError} after `leaseWaitTimeoutMs`. `asked`: the
   * lease the read already asked for, used instead of asking again the first time.
   */
  async computeOrWait<T>(
    target: ComputeTarget,
    work: ComputeWork<T>,
    asked?: AskedLease,
  ): Promise<Computed> {
    let delay = this.#pollIntervalMs;
    let waitedMs = 0;
    for (;;) {
      const holder = asked?.holder ?? crypto.randomUUID();
      const lease = asked ? asked.lease : await this.#acquire(target, holder);
      asked = undefined;
      if (lease === undefined) return await this.#compute(target, work, undefined, false);
      if (lease.acquired) return await this.#compute(target, work, { holder, lease }, false);
      // The lease was won after the previous holder wrote (between our miss and the
      // lease): the store answered its entry instead, or two instances compute the key.
      if (lease.entry) return { entry: lease.entry, source: "l2", versioned: true };
      if (waitedMs >= this.#leaseWaitTimeoutMs) {
        throw new CacheLeaseTimeoutError(target.key, waitedMs);
      }
      await this.#sleep(delay);
      waitedMs += delay;
      delay = Math.min(delay * 2, 250);
      const stored = await this.#readQuietly(target);
      if (stored?.state === "fresh") return { entry: stored.entry, source: "l2", versioned: true };
    }
  }

  /**
   * Stale-while-revalidate refresh: computes under the lease; `undefined` when another
   * instance holds it (it is refreshing) or L2 is unreachable. `asked`: the lease the
   * read already asked for, used instead of asking again.
   */
  async refresh<T>(
    target: ComputeTarget,
    work: ComputeWork<T>,
    asked?: AskedLease,
  ): Promise<Computed | undefined> {
    const holder = asked?.holder ?? crypto.randomUUID();
    const lease = asked ? asked.lease : await this.#acquire(target, holder);
    if (!lease?.acquired) return undefined;
    return await this.#compute(target, work, { holder, lease }, true);
  }

  /** The stored entry, or `undefined` on a miss or when L2 failed (reported). */
  async #readQuietly(target: ComputeTarget): Promise<StoreReadResult | undefined> {
    try {
      return await this.#store.read(target.key, target.organizationId, this.#clock.now());
    } catch (error) {
      this.#events.emit("cache:error", { operation: "l2.read", key: target.key, error });
      return undefined;
    }
  }

  /**
   * Emits `cache:lease-takeover` when `lease` (asked for at `now`) replaced another
   * holder's expired lease; for leases asked for with a read (`readOrLease`) too.
   */
  reportTakeover(target: ComputeTarget, lease: LeaseResult, now: number): void {
    if (!lease.takeover) return;
    const expiredForMs = Math.max(0, now - lease.takeover.previousExpiresAt);
    this.#events.emit("cache:lease-takeover", {
      key: target.key,
      organizationId: target.organizationId,
      dataset: target.dataset,
      previousHolder: lease.takeover.previousHolder,
      expiredForMs,
      previousHolderAgeMs: expiredForMs + this.#leaseTtlMs,
    });
  }

  /** The lease, or `undefined` when L2 failed (reported). */
  async #acquire(target: ComputeTarget, holder: string): Promise<LeaseResult | undefined> {
    const now = this.#clock.now();
    let lease: LeaseResult;
    try {
      lease = await this.#store.acquireLease(
        target.key,
        holder,
        target.tags,
        this.#leaseTtlMs,
        now,
      );
    } catch (error) {
      this.#events.emit("cache:error", { operation: "lease", key: target.key, error });
      return undefined;
    }
    this.reportTakeover(target, lease, now);
    return lease;
  }

  async #compute<T>(
    target: ComputeTarget,
    work: ComputeWork<T>,
    leased: { holder: string; lease: LeaseResult & { acquired: true } } | undefined,
    background: boolean,
  ): Promise<Computed> {
    const generatedAt = this.#clock.now();
    const freshUntil = generatedAt + target.policy.staleTimeMs;
    const expiresAt = generatedAt + target.policy.retentionMs;
    let body: string;
    try {
      const value = await work.compute();
      const window = {
        generatedAt: new Date(generatedAt),
        freshUntil: new Date(freshUntil),
        expiresAt: new Date(expiresAt),
      };
      const serialized: unknown = work.serialize(value, window);
      if (typeof serialized !== "string") throw new CacheSerializationError(target.key);
      body = serialized;
    } catch (error) {
      if (leased) await this.#release(target.key, leased.holder);
      throw error;
    }
    const entry: CacheEntry = {
      key: target.key,
      organizationId: target.organizationId,
      dataset: target.dataset,
      body,
      etag: computeEtag(body),
      tagVersions: leased?.lease.tagVersions ?? {},
      generatedAt,
      freshUntil,
      expiresAt,
    };
    if (leased) {
      try {
        await this.#store.write(entry, leased.holder);
        this.#events.emit("cache:written", {
          key: entry.key,
          organizationId: entry.organizationId,
          dataset: entry.dataset,
          bytes: utf8Length(body),
          computeMs: this.#clock.now() - generatedAt,
          background,
        });
      } catch (error) {
        this.#events.emit("cache:error", { operation: "l2.write", key: entry.key, error });
      }
    }
    return { entry, source: "compute", versioned: leased !== undefined };
  }

  /** Gives back a lease that will not be used (errors reported, not thrown). */
  release(key: string, holder: string): Promise<void> {
    return this.#release(key, holder);
  }

  async #release(key: string, holder: string): Promise<void> {
    try {
      await this.#store.releaseLease(key, holder);
    } catch (error) {
      this.#events.emit("cache:error", { operation: "lease", key, error });
    }
  }
}
