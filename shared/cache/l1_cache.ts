/**
 * The L1 tier: an in-isolate LRU of entries, bounded by entries and by bytes, that
 * honors tag invalidation within a stated bound.
 *
 * @module
 */
import type { Clock } from "../util/clock.ts";
import { type CacheEntry, timeState, utf8Length } from "./entry.ts";
import { EntryHits } from "./hit_recorder.ts";
import type { CacheStore, TagChange } from "./l2_store.ts";
import { LRUCache } from "lru-cache";
import { type TagCheck, TagSnapshot } from "./tag_snapshot.ts";

/** Options of an {@linkcode L1Cache}. */
export interface L1CacheOptions {
  /** Where tag changes come from. */
  readonly store: Pick<CacheStore, "tagChanges">;
  readonly clock: Clock;
  /** Most entries kept. @default {1000} */
  readonly maxEntries?: number;
  /** Most bytes kept (UTF-8 body, ETag and key). @default {33554432} (32 MiB) */
  readonly maxBytes?: number;
  /**
   * The staleness bound: an entry is served from L1 only while the isolate's tag
   * snapshot was synced from L2 at most this long ago; otherwise the read first syncs
   * (one query for the whole isolate). @default {1000}
   */
  readonly revalidateIntervalMs?: number;
  /** Changed tags remembered before the snapshot starts over (emptying L1). @default {100000} */
  readonly maxTrackedTags?: number;
}

/** An entry found in L1 and still servable. */
export interface L1Hit {
  readonly entry: CacheEntry;
  /** `stale`: past `freshUntil`, or a tag was expired after the write. */
  readonly state: "fresh" | "stale";
  /** The entry's hit count, kept with it in L1 (see `HitRecorder.recordHit`). */
  readonly hits: EntryHits;
}

/** What an L1 lookup found, and the epoch to hand back to `set` for entries read now. */
export interface L1Lookup {
  readonly hit: L1Hit | undefined;
  readonly epoch: number;
  /** True when the key was held and just dropped (purged or expired): L2 will not be fresh either, most likely. */
  readonly dropped?: boolean;
}

interface Slot {
  readonly entry: CacheEntry;
  /** L2 said a tag of the entry was expired when it was read. */
  readonly tagsExpired: boolean;
  readonly bytes: number;
  readonly hits: EntryHits;
  /** The last tag check of the entry, valid while the snapshot's revision is `checkedRevision`. */
  tagCheck: TagCheck;
  checkedRevision: number;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(
      `Cannot create L1 cache: ${name} must be a positive integer: received ${value}`,
    );
  }
  return value;
}

/**
 * In-isolate cache with bounded staleness.
 *
 * **Bound.** Let `R` be `revalidateIntervalMs` (default 1 s, `CACHE_L1_REVALIDATE_INTERVAL`).
 * Once `cache.invalidate_tags` has committed at time `T`, no L1 of any isolate serves an
 * entry of those tags as fresh after `T + R` (`expire`), nor at all after `T + R`
 * (`purge`): every L1 hit first checks that the tag snapshot was synced at most `R`
 * ago, and a sync sees every invalidation committed before it started. Plus clock skew
 * between isolates, and a read already in flight when the invalidation committed. The
 * isolate that invalidates applies its own change at once (`applyTagChanges`). If a
 * sync fails, L1 serves nothing until one succeeds.
 */
export class L1Cache {
  readonly revalidateIntervalMs: number;
  readonly #clock: Clock;
  readonly #entries: LRUCache<string, Slot>;
  readonly #tags: TagSnapshot;

  constructor(options: L1CacheOptions) {
    this.revalidateIntervalMs = options.revalidateIntervalMs ?? 1_000;
    if (!Number.isFinite(this.revalidateIntervalMs) || this.revalidateIntervalMs < 0) {
      throw new RangeError(
        "Cannot create L1 cache: revalidateIntervalMs must be a non-negative number: " +
          `received ${this.revalidateIntervalMs}`,
      );
    }
    this.#clock = options.clock;
    // lru-cache (npm): bounded by entries and by bytes; an entry larger than
    // maxSize on its own is not stored.
    this.#entries = new LRUCache<string, Slot>({
      max: positiveInteger("maxEntries", options.maxEntries ?? 1000),
      maxSize: positiveInteger("maxBytes", options.maxBytes ?? 32 * 1024 * 1024),
      sizeCalculation: (slot) => slot.bytes,
    });
    this.#tags = new TagSnapshot({
      store: options.store,
      clock: options.clock,
      ...(options.maxTrackedTags === undefined ? {} : { maxTags: options.maxTrackedTags }),
      onReset: () => this.#entries.clear(),
    });
  }

  /** Number of entries held. */
  get size(): number {
    return this.#entries.size;
  }

  /** Bytes held. */
  get bytes(): number {
    return this.#entries.calculatedSize;
  }

  /**
   * Looks `key` up. Syncs the tag snapshot first when it was never synced, or when the
   * key is present and the snapshot is older than the bound. Rejects when that sync fails.
   */
  async get(key: string): Promise<L1Lookup> {
    if (this.#tags.epoch === 0) await this.#tags.sync();
    if (!this.#entries.has(key)) return { hit: undefined, epoch: this.#tags.epoch };
    await this.#tags.syncIfOlderThan(this.revalidateIntervalMs);
    return this.#lookup(key, this.#clock.now());
  }

  /**
   * {@linkcode get} without waiting: the lookup at `now` (the caller's clock reading)
   * when it needs no tag sync, else `undefined` (the snapshot was never synced, or
   * the key is held and the snapshot is older than the bound: call `get`). A fresh
   * hit then costs no promise and one clock reading per read.
   */
  peek(key: string, now: number): L1Lookup | undefined {
    if (this.#tags.epoch === 0) return undefined;
    if (!this.#entries.has(key)) return { hit: undefined, epoch: this.#tags.epoch };
    if (now - this.#tags.syncedAt > this.revalidateIntervalMs) return undefined;
    return this.#lookup(key, now);
  }

  #lookup(key: string, now: number): L1Lookup {
    const epoch = this.#tags.epoch;
    const slot = this.#entries.get(key);
    if (slot === undefined) return { hit: undefined, epoch };
    if (slot.checkedRevision !== this.#tags.revision) {
      slot.tagCheck = this.#tags.check(slot.entry.tagVersions);
      slot.checkedRevision = this.#tags.revision;
    }
    const tags = slot.tagCheck;
    const time = timeState(slot.entry, now);
    if (tags === "purged" || time === "expired") {
      this.#entries.delete(key);
      return { hit: undefined, epoch, dropped: true };
    }
    const stale = time === "stale" || tags === "expired" || slot.tagsExpired;
    return { hit: { entry: slot.entry, state: stale ? "stale" : "fresh", hits: slot.hits }, epoch };
  }

  /**
   * Stores an entry read or computed after a lookup that returned `epoch`. Refused
   * (false) when the snapshot started over since, or when the entry alone exceeds
   * `maxBytes`.
   */
  set(entry: CacheEntry, epoch: number, tagsExpired = false): boolean {
    if (epoch === 0 || epoch !== this.#tags.epoch) return false;
    const bytes = utf8Length(entry.body) + entry.etag.length + entry.key.length * 2 + 256;
    if (bytes > this.#entries.maxSize) {
      this.#entries.delete(entry.key);
      return false;
    }
    const hits = new EntryHits(entry.key, entry.organizationId, entry.dataset);
    this.#entries.set(entry.key, {
      entry,
      tagsExpired,
      bytes,
      hits,
      tagCheck: "current",
      checkedRevision: Number.NaN, // checked at the first lookup
    });
    return true;
  }

  /** Removes `key`. */
  delete(key: string): void {
    this.#entries.delete(key);
  }

  /**
   * Resolves once a tag sync that started after this call has completed (a sync in
   * flight is waited for, then another runs): for a reader that knows of an
   * invalidation that committed before its request (a client refetching after a
   * broadcast), so L1 does not answer from before it. Syncs are ordered by when they
   * started, not by the clock: the clock (a `DatabaseClock`) may step back when its
   * offset is measured again, which made a sync from before the invalidation look
   * recent enough. Rejects when the sync fails.
   */
  async syncNow(): Promise<void> {
    const startedBefore = this.#tags.started;
    while (this.#tags.syncedThrough <= startedBefore) await this.#tags.sync();
  }

  /** Applies this isolate's own invalidation at once, without waiting for a sync. */
  applyTagChanges(changes: readonly TagChange[]): void {
    this.#tags.apply(changes);
  }

  /** Removes every entry. */
  clear(): void {
    this.#entries.clear();
  }
}
