/**
 * Hourly series of cache reads (`cache.counters`), for charts over time: per hour,
 * hits, stale hits, misses, waits, compute failures and the latency histograms of
 * each kind of read, overall and per dataset. Hours without reads are present with
 * zeros. Summed over the window they equal `/metrics` (`readMetricsSnapshot`).
 *
 * @module
 */
import type { Sql } from "postgres";
import {
  addLatencyCounts,
  emptyLatencyCounts,
  type LatencyCounts,
} from "../cache/latency_histogram.ts";
import { hitRate } from "./metrics_snapshot.ts";

/** The reads of one hour. */
export interface SeriesPoint {
  /** Start of the hourly bucket (UTC, ISO 8601). */
  readonly hour: string;
  readonly hits: number;
  readonly stale_hits: number;
  /** Reads that ran the computation. */
  readonly misses: number;
  /** Reads answered by another read's computation (single-flight or lease): not misses. */
  readonly waits: number;
  readonly compute_failures: number;
  /** (hits + stale hits) / (hits + stale hits + misses), waits excluded; null without lookups. */
  readonly hit_rate: number | null;
  /** Reads per latency bucket (bounds in `READ_LATENCY_BOUNDS_MS`, then slower), by kind. */
  readonly latency: { hit: LatencyCounts; stale: LatencyCounts; miss: LatencyCounts };
}

/** What to read. */
export interface SeriesQuery {
  /** One organization, or null for every organization. */
  readonly organizationId: string | null;
  /** Only this dataset, or every dataset. */
  readonly dataset: string | null;
  readonly now: Date;
  /** Hourly buckets, the current one included. */
  readonly windowHours: number;
}

/** The series of a window: every hour overall, and per dataset that was read. */
export interface MetricsSeries {
  readonly since: Date;
  readonly hours: readonly string[];
  readonly overall: readonly SeriesPoint[];
  readonly datasets: readonly { dataset: string; points: readonly SeriesPoint[] }[];
}

interface SeriesRow {
  hour: Date;
  dataset: string;
  hits: number;
  stale_hits: number;
  misses: number;
  waits: number;
  compute_failures: number;
  hit_latency: number[];
  stale_latency: number[];
  miss_latency: number[];
}

interface Accumulator {
  hits: number;
  stale_hits: number;
  misses: number;
  waits: number;
  compute_failures: number;
  latency: { hit: LatencyCounts; stale: LatencyCounts; miss: LatencyCounts };
}

function emptyAccumulator(): Accumulator {
  return {
    hits: 0,
    stale_hits: 0,
    misses: 0,
    waits: 0,
    compute_failures: 0,
    latency: { hit: emptyLatencyCounts(), stale: emptyLatencyCounts(), miss: emptyLatencyCounts() },
  };
}

function add(into: Accumulator, row: SeriesRow): void {
  into.hits += row.hits;
  into.stale_hits += row.stale_hits;
  into.misses += row.misses;
  into.waits += row.waits;
  into.compute_failures += row.compute_failures;
  addLatencyCounts(into.latency.hit, row.hit_latency);
  addLatencyCounts(into.latency.stale, row.stale_latency);
  addLatencyCounts(into.latency.miss, row.miss_latency);
}

function pointOf(hour: string, value: Accumulator): SeriesPoint {
  return {
    hour,
    ...value,
    hit_rate: hitRate({ hits: value.hits, staleHits: value.stale_hits, misses: value.misses }),
  };
}

/**
 * Reads the hourly counters of the window (summed over organizations when
 * `organizationId` is null) in one statement. Counts travel as float8.
 */
export async function readMetricsSeries(sql: Sql, query: SeriesQuery): Promise<MetricsSeries> {
  const org = query.organizationId;
  const [window] = await sql<{ since: Date }[]>`
    select date_trunc('hour', ${query.now}::timestamptz)
      - make_interval(hours => ${query.windowHours - 1}) as since`;
  const since = window!.since;
  const rows = await sql<SeriesRow[]>`
    with scoped as (
      select * from cache.counters
      where (${org}::uuid is null or organization_id = ${org}::uuid)
        and (${query.dataset}::text is null or dataset = ${query.dataset}::text)
        and bucket_start >= ${since}
    ), totals as (
      select bucket_start, dataset, sum(hits)::float8 as hits,
        sum(stale_hits)::float8 as stale_hits, sum(misses)::float8 as misses,
        sum(waits)::float8 as waits, sum(compute_failures)::float8 as compute_failures
      from scoped group by bucket_start, dataset
    ), buckets as (
      select scoped.bucket_start, scoped.dataset, x.bucket, sum(x.hit)::float8 as hit,
        sum(x.stale)::float8 as stale, sum(x.miss)::float8 as miss
      from scoped
      cross join lateral unnest(scoped.hit_latency_ms, scoped.stale_latency_ms,
        scoped.miss_latency_ms) with ordinality as x (hit, stale, miss, bucket)
      group by scoped.bucket_start, scoped.dataset, x.bucket
    )
    select totals.bucket_start as hour, totals.dataset, totals.hits, totals.stale_hits,
      totals.misses, totals.waits, totals.compute_failures,
      array_agg(buckets.hit order by buckets.bucket) as hit_latency,
      array_agg(buckets.stale order by buckets.bucket) as stale_latency,
      array_agg(buckets.miss order by buckets.bucket) as miss_latency
    from totals join buckets using (bucket_start, dataset)
    group by totals.bucket_start, totals.dataset, totals.hits, totals.stale_hits, totals.misses,
      totals.waits, totals.compute_failures`;
  const hours = Array.from(
    { length: query.windowHours },
    (_, i) => new Date(since.getTime() + i * 3_600_000).toISOString(),
  );
  const overall = new Map(hours.map((hour) => [hour, emptyAccumulator()]));
  const perDataset = new Map<string, Map<string, Accumulator>>();
  for (const row of rows) {
    const hour = row.hour.toISOString();
    add(overall.get(hour)!, row);
    let series = perDataset.get(row.dataset);
    if (!series) {
      series = new Map(hours.map((h) => [h, emptyAccumulator()]));
      perDataset.set(row.dataset, series);
    }
    add(series.get(hour)!, row);
  }
  return {
    since,
    hours,
    overall: hours.map((hour) => pointOf(hour, overall.get(hour)!)),
    datasets: [...perDataset.keys()].sort().map((dataset) => ({
      dataset,
      points: hours.map((hour) => pointOf(hour, perDataset.get(dataset)!.get(hour)!)),
    })),
  };
}
