import type { Sql } from "postgres";
import {
  addLatencyCounts,
  emptyLatencyCounts,
  type LatencyCounts,
} from "../cache/latency_histogram.ts";

/** Reads of one kind and their latency histogram. */
export interface ReadCounts {
  readonly hits: number;
  readonly staleHits: number;
  /** Reads that ran the computation. */
  readonly misses: number;
  /** Reads answered by another read's computation (no computation of their own). */
  readonly waits: number;
  readonly computeFailures: number;
  readonly latency: { readonly hit: LatencyCounts; stale: LatencyCounts; miss: LatencyCounts };
}

/** What is stored for one dataset now, and how it was read during the window. */
export interface DatasetSnapshot extends ReadCounts {
  readonly dataset: string;
  readonly entries: number;
  readonly bytes: number;
  readonly expiredEntries: number;
  /** Sum of the entries' hit counts (for the average per entry). */
  readonly entryHits: number;
  readonly maxEntryHits: number;
}

/** One of the most read entries. */
export interface TopEntry {
  readonly key: string;
  readonly organizationId: string;
  readonly dataset: string;
  readonly hits: number;
  readonly bytes: number;
  readonly lastHitAt: Date | null;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly tags: readonly string[];
}

/** Everything the metrics, Prometheus and health routes report, read at one time. */
export interface MetricsSnapshot {
  readonly organizationId: string | null;
  readonly now: Date;
  /** Start of the first hourly counter bucket of the window. */
  readonly since: Date;
  readonly windowHours: number;
  readonly datasets: readonly DatasetSnapshot[];
  readonly topEntries: readonly TopEntry[];
  readonly entriesByTag: readonly { tag: string; entries: number }[];
}

/** What to read. */
export interface MetricsQuery {
  /** One organization, or null for every organization. */
  readonly organizationId: string | null;
  readonly now: Date;
  /** Hourly counter buckets to add up, the current one included. */
  readonly windowHours: number;
  /** Entries to list by hits. @default {10} */
  readonly topEntries?: number;
  /** Tags to list by entries. @default {50} */
  readonly topTags?: number;
}

interface EntryRow {
  dataset: string;
  entries: number;
  bytes: number;
  expired: number;
  entry_hits: number;
  max_hits: number;
}

interface TopEntryRow {
  key: string;
  organization_id: string;
  dataset: string;
  hits: number;
  bytes: number;
  last_hit_at: Date | null;
  created_at: Date;
  expires_at: Date;
  tags: string[];
}

interface CounterRow {
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

const NO_READS: ReadCounts = {
  hits: 0,
  staleHits: 0,
  misses: 0,
  waits: 0,
  computeFailures: 0,
  latency: {
    hit: emptyLatencyCounts(),
    stale: emptyLatencyCounts(),
    miss: emptyLatencyCounts(),
  },
};

/**
 * Reads the cache's state (entries now) and use (counters of the last
 * `windowHours` hourly buckets) for one organization or all, in one
 * repeatable-read transaction so every figure describes the same moment.
 * Counts travel as float8: exact below 2^53.
 */
export async function readMetricsSnapshot(sql: Sql, query: MetricsQuery): Promise<MetricsSnapshot> {
  const org = query.organizationId;
  const now = query.now;
  return await sql.begin("isolation level repeatable read read only", async (tx) => {
    const [window] = await tx<{ since: Date }[]>`
      select date_trunc('hour', ${now}::timestamptz)
        - make_interval(hours => ${query.windowHours - 1}) as since`;
    const since = window!.since;
    const entryRows = await tx<EntryRow[]>`
      select dataset, count(*)::float8 as entries,
        coalesce(sum(octet_length(body)), 0)::float8 as bytes,
        (count(*) filter (where expires_at <= ${now}))::float8 as expired,
        coalesce(sum(hit_count), 0)::float8 as entry_hits,
        coalesce(max(hit_count), 0)::float8 as max_hits
      from cache.entries
      where ${org}::uuid is null or organization_id = ${org}::uuid
      group by dataset`;
    const counterRows = await tx<CounterRow[]>`
      with scoped as (
        select * from cache.counters
        where (${org}::uuid is null or organization_id = ${org}::uuid) and bucket_start >= ${since}
      ), totals as (
        select dataset, sum(hits)::float8 as hits, sum(stale_hits)::float8 as stale_hits,
          sum(misses)::float8 as misses, sum(waits)::float8 as waits,
          sum(compute_failures)::float8 as compute_failures
        from scoped group by dataset
      ), buckets as (
        select scoped.dataset, x.bucket, sum(x.hit)::float8 as hit, sum(x.stale)::float8 as stale,
          sum(x.miss)::float8 as miss
        from scoped
        cross join lateral unnest(scoped.hit_latency_ms, scoped.stale_latency_ms,
          scoped.miss_latency_ms) with ordinality as x (hit, stale, miss, bucket)
        group by scoped.dataset, x.bucket
      )
      select totals.dataset, totals.hits, totals.stale_hits, totals.misses, totals.waits,
        totals.compute_failures,
        array_agg(buckets.hit order by buckets.bucket) as hit_latency,
        array_agg(buckets.stale order by buckets.bucket) as stale_latency,
        array_agg(buckets.miss order by buckets.bucket) as miss_latency
      from totals join buckets using (dataset)
      group by totals.dataset, totals.hits, totals.stale_hits, totals.misses, totals.waits,
        totals.compute_failures`;
    const topEntries = await tx<TopEntryRow[]>`
      select key, organization_id, dataset, hit_count::float8 as hits,
        octet_length(body)::float8 as bytes, last_hit_at, created_at, expires_at,
        array(select t.tag from jsonb_object_keys(tag_versions) as t (tag) order by t.tag) as tags
      from cache.entries
      where ${org}::uuid is null or organization_id = ${org}::uuid
      order by hit_count desc, key
      limit ${query.topEntries ?? 10}`;
    const entriesByTag = await tx<{ tag: string; entries: number }[]>`
      select t.tag, count(*)::float8 as entries
      from cache.entries as e
      cross join lateral jsonb_object_keys(e.tag_versions) as t (tag)
      where ${org}::uuid is null or e.organization_id = ${org}::uuid
      group by t.tag
      order by entries desc, t.tag
      limit ${query.topTags ?? 50}`;
    return {
      organizationId: org,
      now,
      since,
      windowHours: query.windowHours,
      datasets: mergeByDataset(entryRows, counterRows),
      topEntries: topEntries.map((row) => ({
        key: row.key,
        organizationId: row.organization_id,
        dataset: row.dataset,
        hits: row.hits,
        bytes: row.bytes,
        lastHitAt: row.last_hit_at,
        createdAt: row.created_at,
        expiresAt: row.expires_at,
        tags: row.tags,
      })),
      entriesByTag: entriesByTag.map((row) => ({ tag: row.tag, entries: row.entries })),
    };
  });
}

function mergeByDataset(
  entryRows: readonly EntryRow[],
  counterRows: readonly CounterRow[],
): DatasetSnapshot[] {
  const names = [...new Set([...entryRows, ...counterRows].map((row) => row.dataset))].sort();
  return names.map((dataset) => {
    const stored = entryRows.find((row) => row.dataset === dataset);
    const read = counterRows.find((row) => row.dataset === dataset);
    const reads: ReadCounts = read
      ? {
        hits: read.hits,
        staleHits: read.stale_hits,
        misses: read.misses,
        waits: read.waits,
        computeFailures: read.compute_failures,
        latency: { hit: read.hit_latency, stale: read.stale_latency, miss: read.miss_latency },
      }
      : NO_READS;
    return {
      dataset,
      entries: stored?.entries ?? 0,
      bytes: stored?.bytes ?? 0,
      expiredEntries: stored?.expired ?? 0,
      entryHits: stored?.entry_hits ?? 0,
      maxEntryHits: stored?.max_hits ?? 0,
      ...reads,
    };
  });
}

/** The datasets of a snapshot added up (latency histograms bucket by bucket). */
export function totalOf(datasets: readonly DatasetSnapshot[]): Omit<DatasetSnapshot, "dataset"> {
  const latency = {
    hit: emptyLatencyCounts(),
    stale: emptyLatencyCounts(),
    miss: emptyLatencyCounts(),
  };
  let total = {
    entries: 0,
    bytes: 0,
    expiredEntries: 0,
    entryHits: 0,
    maxEntryHits: 0,
    hits: 0,
    staleHits: 0,
    misses: 0,
    waits: 0,
    computeFailures: 0,
  };
  for (const dataset of datasets) {
    total = {
      entries: total.entries + dataset.entries,
      bytes: total.bytes + dataset.bytes,
      expiredEntries: total.expiredEntries + dataset.expiredEntries,
      entryHits: total.entryHits + dataset.entryHits,
      maxEntryHits: Math.max(total.maxEntryHits, dataset.maxEntryHits),
      hits: total.hits + dataset.hits,
      staleHits: total.staleHits + dataset.staleHits,
      misses: total.misses + dataset.misses,
      waits: total.waits + dataset.waits,
      computeFailures: total.computeFailures + dataset.computeFailures,
    };
    addLatencyCounts(latency.hit, dataset.latency.hit);
    addLatencyCounts(latency.stale, dataset.latency.stale);
    addLatencyCounts(latency.miss, dataset.latency.miss);
  }
  return { ...total, latency };
}

/** Reads counted in a window: hits + stale hits + misses + waits. */
export function readsOf(
  reads: Pick<ReadCounts, "hits" | "staleHits" | "misses" | "waits">,
): number {
  return reads.hits + reads.staleHits + reads.misses + reads.waits;
}

/**
 * The hit rate of cache lookups: `(hits + stale hits) / (hits + stale hits +
 * misses)`; null without lookups. A wait (a read that joined a computation
 * already under way) is no lookup of its own: it neither found an entry nor
 * caused a computation, so it counts on neither side — however concurrent
 * cold reads are spread over isolates, the rate is the same.
 */
export function hitRate(reads: Pick<ReadCounts, "hits" | "staleHits" | "misses">): number | null {
  const served = reads.hits + reads.staleHits;
  const total = served + reads.misses;
  return total === 0 ? null : served / total;
}

/**
 * The database work saved: the share of reads that did not run the dataset's
 * computation, `1 - misses / (hits + stale hits + misses + waits)`; null
 * without reads. 300 concurrent cold reads of one key: 1 miss, 299 waits,
 * 299/300 saved.
 */
export function workSaved(
  reads: Pick<ReadCounts, "hits" | "staleHits" | "misses" | "waits">,
): number | null {
  const total = readsOf(reads);
  return total === 0 ? null : 1 - reads.misses / total;
}
