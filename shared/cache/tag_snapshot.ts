/**
 * The isolate's view of tag versions, kept in sync with L2 by one query per interval
 * (`cache.tag_changes`), so L1 can honor invalidations without a query per hit.
 *
 * @module
 */
import type { Clock } from "../util/clock.ts";
import type { CacheStore, TagChange } from "./l2_store.ts";

/** Whether an entry's tag versions are still current in a snapshot. */
export type TagCheck = "current" | "expired" | "purged";

/** Options of a {@linkcode TagSnapshot}. */
export interface TagSnapshotOptions {
  readonly store: Pick<CacheStore, "tagChanges">;
  readonly clock: Clock;
  /**
   * Most changed tags remembered; beyond it the snapshot starts over (and L1 is
   * emptied through `onReset`). @default {100000}
   */
  readonly maxTags?: number;
  /** Called when the snapshot starts over: entries checked against it must go. */
  readonly onReset?: () => void;
}

/**
 * Tag versions changed since this isolate started watching.
 *
 * A sync asks L2 for the changes made by transactions at or after the previous
 * watermark (`cache.tag_changes`), so every invalidation committed before a sync
 * started is in the snapshot after it. `syncedAt` is the clock time the last
 * successful sync *started*: a snapshot is never credited with more than it saw.
 * Syncs are also numbered in the order they start (`started`, `syncedThrough`), for
 * readers that must see a sync that started after them whatever the clock does (a
 * database clock steps back when its offset is measured again).
 * Each start-over bumps `epoch`; entries read under an older epoch are refused by L1.
 */
export class TagSnapshot {
  readonly #store: Pick<CacheStore, "tagChanges">;
  readonly #clock: Clock;
  readonly #maxTags: number;
  readonly #onReset: () => void;
  readonly #versions = new Map<string, { version: number; purgedVersion: number }>();
  #watermark: string | undefined;
  #syncedAt = Number.NEGATIVE_INFINITY;
  #syncing: Promise<void> | undefined;
  #epoch = 0;
  #revision = 0;
  #started = 0;
  #syncedThrough = 0;

  constructor(options: TagSnapshotOptions) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#maxTags = options.maxTags ?? 100_000;
    this.#onReset = options.onReset ?? (() => {});
  }

  /** Clock time the last successful sync started; -Infinity before the first. */
  get syncedAt(): number {
    return this.#syncedAt;
  }

  /** Number of syncs started so far (the number of the latest one). */
  get started(): number {
    return this.#started;
  }

  /**
   * The number (in start order) of the latest-started sync that succeeded, 0 before
   * the first: every invalidation committed before that sync started is in the snapshot.
   */
  get syncedThrough(): number {
    return this.#syncedThrough;
  }

  /** Bumped by the first sync and by every start-over; 0 until the first sync. */
  get epoch(): number {
    return this.#epoch;
  }

  /**
   * Bumped whenever a tag version changes (or the snapshot starts over): a
   * {@linkcode check} result stays true while the revision stays the same.
   */
  get revision(): number {
    return this.#revision;
  }

  /** Syncs unless the last sync started at most `maxAgeMs` ago. */
  async syncIfOlderThan(maxAgeMs: number): Promise<void> {
    if (this.#clock.now() - this.#syncedAt <= maxAgeMs) return;
    await this.sync();
  }

  /** Fetches the changes since the last sync (joins a sync in flight). */
  sync(): Promise<void> {
    this.#syncing ??= this.#syncOnce().finally(() => {
      this.#syncing = undefined;
    });
    return this.#syncing;
  }

  async #syncOnce(): Promise<void> {
    const startedAt = this.#clock.now();
    const number = ++this.#started;
    const { watermark, changes } = await this.#store.tagChanges(this.#watermark);
    if (this.#watermark === undefined) this.#epoch++;
    this.apply(changes);
    this.#watermark = watermark;
    this.#syncedAt = Math.max(this.#syncedAt, startedAt);
    this.#syncedThrough = Math.max(this.#syncedThrough, number);
  }

  /** Merges changes (from a sync or from this isolate's own invalidation). */
  apply(changes: readonly TagChange[]): void {
    if (changes.length > 0) this.#revision++;
    for (const change of changes) {
      const known = this.#versions.get(change.tag);
      this.#versions.set(change.tag, {
        version: Math.max(known?.version ?? 0, change.version),
        purgedVersion: Math.max(known?.purgedVersion ?? 0, change.purgedVersion),
      });
    }
    if (this.#versions.size > this.#maxTags) this.#startOver();
  }

  #startOver(): void {
    this.#versions.clear();
    this.#epoch++;
    this.#revision++;
    this.#onReset();
  }

  /** Checks the versions an entry was written under against the snapshot. */
  check(tagVersions: Readonly<Record<string, number>>): TagCheck {
    let result: TagCheck = "current";
    for (const tag in tagVersions) {
      const known = this.#versions.get(tag);
      if (known === undefined) continue;
      const written = tagVersions[tag]!;
      if (known.purgedVersion > written) return "purged";
      if (known.version > written) result = "expired";
    }
    return result;
  }
}
