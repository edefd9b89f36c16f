/**
 * Read latency as fixed-bucket histograms: cheap to count in an isolate (one
 * increment per read), cheap to add up in SQL (bucket-wise sums), and enough for
 * p50 / p95 within a bucket's width.
 *
 * @module
 */

/**
 * Upper bounds (inclusive, milliseconds) of the histogram buckets; one more bucket
 * holds slower reads. The same bounds are documented on `cache.counters`
 * (`cache.counters` in `supabase/migrations/20261121020000_cache_schema.sql`), which checks for
 * 14 counts.
 */
export const READ_LATENCY_BOUNDS_MS: readonly number[] = [
  1,
  2,
  5,
  10,
  25,
  50,
  100,
  250,
  500,
  1000,
  2500,
  5000,
  10000,
];

/** Number of counts in a histogram: one per bound, plus the overflow bucket. */
export const READ_LATENCY_BUCKETS: number = READ_LATENCY_BOUNDS_MS.length + 1;

/** Counts per bucket, `READ_LATENCY_BUCKETS` long. */
export type LatencyCounts = number[];

/** A histogram with no reads. */
export function emptyLatencyCounts(): LatencyCounts {
  return new Array(READ_LATENCY_BUCKETS).fill(0);
}

/**
 * Index of the bucket of a read that took `ms` milliseconds: the first bound at
 * least `ms`, else the overflow bucket.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { latencyBucket } from "./latency_histogram.ts";
 *
 * assert.deepEqual(latencyBucket(0), 0);
 * assert.deepEqual(latencyBucket(3), 2); // 2 < 3 <= 5
 * assert.deepEqual(latencyBucket(60_000), 13); // slower than 10 s
 * ```
 */
export function latencyBucket(ms: number): number {
  // A loop, not findIndex with a closure: every read counts one (an L1 hit too).
  let index = 0;
  while (index < READ_LATENCY_BOUNDS_MS.length && !(ms <= READ_LATENCY_BOUNDS_MS[index]!)) index++;
  return index;
}

/** Adds `counts` into `into`, bucket by bucket; returns `into`. */
export function addLatencyCounts(into: LatencyCounts, counts: readonly number[]): LatencyCounts {
  for (let index = 0; index < READ_LATENCY_BUCKETS; index++) {
    into[index] = (into[index] ?? 0) + (counts[index] ?? 0);
  }
  return into;
}

/**
 * The `quantile` (0 < q <= 1) of a histogram as the upper bound, in milliseconds,
 * of the bucket holding the read of rank `ceil(q × reads)`: "p95 ≤ 250 ms".
 * `null` without reads; `Infinity` when that read is slower than the last bound.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { latencyBucket, latencyQuantile, emptyLatencyCounts } from "./latency_histogram.ts";
 *
 * const counts = emptyLatencyCounts();
 * for (const ms of [0, 1, 1, 4, 40, 40, 40, 40, 40, 300]) counts[latencyBucket(ms)]!++;
 * assert.deepEqual(latencyQuantile(counts, 0.5), 50); // 5th of 10 reads: 40 ms, bucket ≤ 50
 * assert.deepEqual(latencyQuantile(counts, 0.95), 500); // 10th read: 300 ms, bucket ≤ 500
 * ```
 */
export function latencyQuantile(counts: readonly number[], quantile: number): number | null {
  if (!(quantile > 0 && quantile <= 1)) {
    throw new RangeError(
      `Cannot compute quantile: expected 0 < quantile <= 1: received ${quantile}`,
    );
  }
  const total = counts.reduce((sum, count) => sum + count, 0);
  if (total === 0) return null;
  const rank = Math.ceil(quantile * total);
  let seen = 0;
  for (let index = 0; index < counts.length; index++) {
    seen += counts[index] ?? 0;
    if (seen >= rank) return READ_LATENCY_BOUNDS_MS[index] ?? Infinity;
  }
  return Infinity;
}
