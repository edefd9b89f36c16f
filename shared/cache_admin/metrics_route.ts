import type { Sql } from "postgres";
import { z } from "zod";
import type { CallerVerifier } from "../auth/caller.ts";
import type { LatencyCounts } from "../cache/latency_histogram.ts";
import { latencyQuantile } from "../cache/latency_histogram.ts";
import { openAdminRequest } from "./admin_request.ts";
import { organizationIdParam, wholeNumberParam } from "./admin_query.ts";
import { readLastNightlyRun } from "./last_refresh_run.ts";
import {
  type DatasetSnapshot,
  hitRate,
  readMetricsSnapshot,
  totalOf,
  workSaved,
} from "./metrics_snapshot.ts";
import type { Route } from "../http/route.ts";

const querySchema = z.object({
  organization_id: organizationIdParam,
  hours: wholeNumberParam(1, 2160, 24),
  top: wholeNumberParam(1, 100, 10),
}).strict();

/** p50 / p95 of one kind of read: upper bounds of histogram buckets, in ms. */
export interface LatencySummary {
  readonly reads: number;
  /** `"+Inf"`: slower than the last bucket bound (10 s). */
  readonly p50_ms: number | "+Inf" | null;
  readonly p95_ms: number | "+Inf" | null;
}

function latencySummary(counts: LatencyCounts): LatencySummary {
  const quantile = (q: number) => {
    const value = latencyQuantile(counts, q);
    return value === Infinity ? "+Inf" : value;
  };
  return {
    reads: counts.reduce((sum, count) => sum + count, 0),
    p50_ms: quantile(0.5),
    p95_ms: quantile(0.95),
  };
}

/** The figures of one dataset, or of all of them, as the metrics route reports them. */
function figures(snapshot: Omit<DatasetSnapshot, "dataset">) {
  return {
    entries: snapshot.entries,
    bytes: snapshot.bytes,
    expired_entries: snapshot.expiredEntries,
    avg_hits_per_entry: snapshot.entries === 0 ? null : snapshot.entryHits / snapshot.entries,
    max_hits_per_entry: snapshot.maxEntryHits,
    hits: snapshot.hits,
    stale_hits: snapshot.staleHits,
    misses: snapshot.misses,
    waits: snapshot.waits,
    hit_rate: hitRate(snapshot),
    work_saved: workSaved(snapshot),
    compute_failures: snapshot.computeFailures,
    latency: {
      hit: latencySummary(snapshot.latency.hit),
      stale: latencySummary(snapshot.latency.stale),
      miss: latencySummary(snapshot.latency.miss),
    },
  };
}

/**
 * `GET /cache-admin/metrics[?organization_id=][&hours=24][&top=10]`: entries, bytes
 * and expired entries now; hits, stale hits, misses, hit rate, compute failures
 * and p50 / p95 latency over the last `hours` hourly buckets; overall and per
 * dataset; the most hit entries with their tags, the entries per tag, and the
 * last nightly run (`null` before the first one).
 */
export function metricsRoute(sql: Sql, verifyCaller: CallerVerifier): Route {
  return {
    method: "GET",
    path: "/metrics",
    query: true,
    handle: async (request, url) => {
      const { query, scope } = await openAdminRequest(
        { sql, verifyCaller },
        request,
        url,
        querySchema,
      );
      const [snapshot, lastNightlyRun] = await Promise.all([
        readMetricsSnapshot(sql, {
          organizationId: scope.organizationId,
          now: new Date(),
          windowHours: query.hours,
          topEntries: query.top,
        }),
        readLastNightlyRun(sql, scope.organizationId),
      ]);
      return Response.json({
        organization_id: snapshot.organizationId,
        generated_at: snapshot.now.toISOString(),
        window: { hours: snapshot.windowHours, since: snapshot.since.toISOString() },
        overall: figures(totalOf(snapshot.datasets)),
        datasets: snapshot.datasets.map((dataset) => ({
          dataset: dataset.dataset,
          ...figures(dataset),
        })),
        top_entries: snapshot.topEntries.map((entry) => ({
          key: entry.key,
          organization_id: entry.organizationId,
          dataset: entry.dataset,
          hits: entry.hits,
          bytes: entry.bytes,
          last_hit_at: entry.lastHitAt?.toISOString() ?? null,
          created_at: entry.createdAt.toISOString(),
          expires_at: entry.expiresAt.toISOString(),
          tags: entry.tags,
        })),
        entries_by_tag: snapshot.entriesByTag,
        last_nightly_run: lastNightlyRun,
      }, { headers: { "Cache-Control": "no-store" } });
    },
  };
}
