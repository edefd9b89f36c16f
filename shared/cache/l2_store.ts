/**
 * The contract of the shared (L2) cache store. `PostgresCacheStore` implements it over
 * the `cache` schema's SQL API; the cache stack depends only on this interface.
 *
 * @module
 */
import type { CacheEntry } from "./entry.ts";

/** `expire`: servable stale while revalidating. `purge`: never served again. */
export type InvalidationMode = "expire" | "purge";

/** A stored entry as read at one time. */
export type StoreReadResult =
  | {
    /** `fresh`, or `stale`: past `freshUntil` or a tag expired after the write. */
    readonly state: "fresh" | "stale";
    readonly entry: CacheEntry;
    /** True when a tag of the entry was expired after it was written. */
    readonly tagsExpired: boolean;
  }
  | {
    /** `purged`: a tag was purged after the write; `expired`: past `expiresAt`. */
    readonly state: "purged" | "expired";
  };

/**
 * Another holder's expired lease that a lease replaced: that holder crashed, hung or
 * computed for longer than the lease, and may still be computing the key.
 */
export interface LeaseTakeover {
  /** Holder id of the lease replaced. */
  readonly previousHolder: string;
  /** When its lease expired, in ms since the epoch (the store's clock, as `now`). */
  readonly previousExpiresAt: number;
}

/** The outcome of asking for the computation lease of a key. */
export type LeaseResult =
  | {
    readonly acquired: true;
    /** Current versions of the entry's tags: write the entry under these. */
    readonly tagVersions: Readonly<Record<string, number>>;
    /** Set when the lease was taken over from another holder's expired lease. */
    readonly takeover?: LeaseTakeover;
  }
  | {
    readonly acquired: false;
    /**
     * The fresh entry found once the lease was won (the previous holder wrote it
     * meanwhile): serve it, nothing to compute. Absent while another holder computes.
     */
    readonly entry?: CacheEntry;
    /** Set when the lease given back for `entry` had been taken over (see above). */
    readonly takeover?: LeaseTakeover;
  };

/** The lease a read asks for in case it finds no fresh entry (see `readOrLease`). */
export interface LeaseRequest {
  /** Unique per attempt, e.g. `crypto.randomUUID()`. */
  readonly holder: string;
  /** Every tag of the entry (scoped): their versions come back when the lease is won. */
  readonly tags: readonly string[];
  readonly ttlMs: number;
}

/** A read and, when the entry was not fresh, the outcome of asking for its lease. */
export interface ReadOrLeaseResult {
  /** As `read` answers: `undefined` on a miss. */
  readonly read: StoreReadResult | undefined;
  /** Absent when the entry was fresh (no lease asked for). */
  readonly lease?: LeaseResult;
}

/** The version of a tag after a change. */
export interface TagChange {
  readonly tag: string;
  readonly version: number;
  /** Version right after the tag's last purge (0: never purged). */
  readonly purgedVersion: number;
}

/** Tag changes since a watermark and the watermark to ask from next time. */
export interface TagChanges {
  readonly watermark: string;
  readonly changes: readonly TagChange[];
}

/** Hit counts aggregated in an isolate, flushed in one call. */
export interface HitBatch {
  readonly entries: readonly { key: string; hits: number; lastHitAt: number }[];
  readonly counters: readonly {
    organizationId: string;
    dataset: string;
    hits: number;
    staleHits: number;
    /** Reads that ran the computation. */
    misses: number;
    /** Reads answered by another read's computation. @default {0} */
    waits?: number;
    /** Computations that failed. @default {0} */
    computeFailures?: number;
    /** Latency histograms by kind (`READ_LATENCY_BUCKETS` counts each). @default {{}} */
    latencyMs?: Readonly<Partial<Record<"hit" | "stale" | "miss", readonly number[]>>>;
  }[];
}

/** What one cleanup deleted. */
export interface CleanupResult {
  readonly expiredEntries: number;
  readonly purgedEntries: number;
  readonly expiredLeases: number;
  readonly oldCounters: number;
}

/** The shared cache store. Times are epoch milliseconds from the cache's clock. */
export interface CacheStore {
  /** The entry of `key` in `organizationId` at `now`; `undefined` on a miss. */
  read(key: string, organizationId: string, now: number): Promise<StoreReadResult | undefined>;
  /**
   * `read`, and when the entry is not fresh (missing, stale, purged or expired) also
   * `acquireLease` for `lease.holder`, in one round trip: a read that will compute
   * does not ask again. A fresh entry takes no lease.
   */
  readOrLease(
    key: string,
    organizationId: string,
    now: number,
    lease: LeaseRequest,
  ): Promise<ReadOrLeaseResult>;
  /**
   * Takes the computation lease of `key` unless another holder has a live one; when
   * won while a fresh entry exists, gives it back and returns the entry instead.
   */
  acquireLease(
    key: string,
    holder: string,
    tags: readonly string[],
    ttlMs: number,
    now: number,
  ): Promise<LeaseResult>;
  /** Gives back a lease; true when `holder` held it. */
  releaseLease(key: string, holder: string): Promise<boolean>;
  /** Stores an entry and releases `leaseHolder`'s lease; false when a newer entry exists. */
  write(entry: CacheEntry, leaseHolder?: string): Promise<boolean>;
  /** Bumps the versions of `tags` (O(tags)); returns their new versions. */
  invalidateTags(tags: readonly string[], mode: InvalidationMode): Promise<TagChange[]>;
  /** Tag changes since `watermark` (none and a first watermark when undefined). */
  tagChanges(watermark: string | undefined): Promise<TagChanges>;
  /** Adds a batch of hit counts. */
  recordHits(batch: HitBatch, now: number): Promise<void>;
  /** Deletes expired and purged entries (up to `limit` each), stale leases, old counters. */
  cleanup(now: number, limit?: number): Promise<CleanupResult>;
}
