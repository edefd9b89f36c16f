/**
 * What a cached read answers: the stored bytes and what to say about them
 * (`X-Cache`, `ETag`, `Age`, `Cache-Control: max-age`, `meta`).
 *
 * @module
 */
import type { CacheEntry } from "./entry.ts";
import type { CacheSource } from "./events.ts";

/** How a read was answered, as `X-Cache` says it. */
export type CacheStatus = "HIT" | "MISS" | "STALE" | "BYPASS";

/** The answer of `CacheStack.get`. */
export interface CacheResult {
  /**
   * HIT: fresh from L1 or L2; MISS: computed for this read; STALE: served while
   * revalidating; BYPASS: computed with the cache turned off (`CACHE_ENABLED=false`).
   */
  readonly status: CacheStatus;
  readonly source: CacheSource;
  readonly key: string;
  readonly organizationId: string;
  readonly dataset: string;
  /** The policy's tier name (`meta.tier`). */
  readonly tier: string;
  /** The serialized body, to send as is. */
  readonly body: string;
  /** Strong ETag of `body`. */
  readonly etag: string;
  readonly generatedAt: Date;
  readonly freshUntil: Date;
  readonly expiresAt: Date;
  /** Whole seconds since `generatedAt` (`Age`). */
  readonly ageSeconds: number;
  /** Whole seconds of freshness left, 0 when stale (`Cache-Control: max-age`). */
  readonly freshForSeconds: number;
  /**
   * Whole seconds it may then be served stale while revalidating, until `expiresAt`
   * (`Cache-Control: stale-while-revalidate`).
   */
  readonly staleWhileRevalidateSeconds: number;
}

/** Builds the result of serving `entry` at `now`. */
export function cacheResult(
  entry: CacheEntry,
  served: { status: CacheStatus; source: CacheSource; tier: string; now: number },
): CacheResult {
  const { status, now } = served;
  return {
    status,
    source: served.source,
    key: entry.key,
    organizationId: entry.organizationId,
    dataset: entry.dataset,
    tier: served.tier,
    body: entry.body,
    etag: entry.etag,
    generatedAt: new Date(entry.generatedAt),
    freshUntil: new Date(entry.freshUntil),
    expiresAt: new Date(entry.expiresAt),
    ageSeconds: Math.max(0, Math.floor((now - entry.generatedAt) / 1000)),
    freshForSeconds: status === "STALE"
      ? 0
      : Math.max(0, Math.floor((entry.freshUntil - now) / 1000)),
    staleWhileRevalidateSeconds: Math.max(
      0,
      Math.floor((entry.expiresAt - Math.max(now, entry.freshUntil)) / 1000),
    ),
  };
}
