import type { Sql } from "postgres";
import { Gauge, Registry } from "prom-client";
import { z } from "zod";
import type { CallerVerifier } from "../auth/caller.ts";
import { latencyQuantile } from "../cache/latency_histogram.ts";
import { authenticateAdmin } from "./admin_caller.ts";
import { organizationIdParam, parseAdminQuery, wholeNumberParam } from "./admin_query.ts";
import { requireServiceRole } from "./admin_scope.ts";
import { hitRate, type MetricsSnapshot, readMetricsSnapshot } from "./metrics_snapshot.ts";
import type { Route } from "../http/route.ts";

const querySchema = z.object({
  organization_id: organizationIdParam,
  hours: wholeNumberParam(1, 2160, 24),
}).strict();

const KINDS = [["hit", "hits"], ["stale", "staleHits"], ["miss", "misses"]] as const;

/**
 * Renders a snapshot in the Prometheus text format (prom-client). Reads are
 * gauges over the snapshot's window, not counters: the hourly buckets they come
 * from are dropped after 90 days, so a running total would go down.
 */
export async function renderPrometheus(
  snapshot: MetricsSnapshot,
): Promise<{ body: string; contentType: string }> {
  const registry = new Registry();
  const window = `${snapshot.windowHours}h`;
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Gauge({ name, help, labelNames, registers: [registry] });
  const entries = gauge("nightshift_cache_entries", "Entries stored now.", ["dataset"]);
  const bytes = gauge("nightshift_cache_entry_bytes", "Body bytes stored now.", ["dataset"]);
  const expired = gauge(
    "nightshift_cache_expired_entries",
    "Entries past their retention, not yet cleaned up.",
    ["dataset"],
  );
  const reads = gauge(
    "nightshift_cache_reads",
    "Reads over the window, by result (hit, stale, miss: computed, wait: got another read's computation).",
    ["dataset", "result", "window"],
  );
  const ratio = gauge(
    "nightshift_cache_hit_ratio",
    "Lookups answered from the cache (fresh or stale) over hits + stale hits + misses (waits excluded), over the window.",
    ["dataset", "window"],
  );
  const failures = gauge(
    "nightshift_cache_compute_failures",
    "Computations that failed over the window.",
    ["dataset", "window"],
  );
  const latency = gauge(
    "nightshift_cache_read_latency_ms",
    "Read latency quantile over the window: upper bound of its histogram bucket, in ms.",
    ["dataset", "result", "quantile", "window"],
  );
  for (const dataset of snapshot.datasets) {
    const name = dataset.dataset;
    entries.set({ dataset: name }, dataset.entries);
    bytes.set({ dataset: name }, dataset.bytes);
    expired.set({ dataset: name }, dataset.expiredEntries);
    failures.set({ dataset: name, window }, dataset.computeFailures);
    const rate = hitRate(dataset);
    if (rate !== null) ratio.set({ dataset: name, window }, rate);
    reads.set({ dataset: name, result: "wait", window }, dataset.waits);
    for (const [result, field] of KINDS) {
      reads.set({ dataset: name, result, window }, dataset[field]);
      for (const quantile of [0.5, 0.95]) {
        const value = latencyQuantile(dataset.latency[result], quantile);
        if (value === null) continue;
        latency.set({ dataset: name, result, quantile: String(quantile), window }, value);
      }
    }
  }
  return { body: await registry.metrics(), contentType: registry.contentType };
}

/**
 * `GET /cache-admin/metrics/prometheus[?organization_id=][&hours=24]`: the metrics
 * in the Prometheus text format, for scraping with the service-role key.
 */
export function prometheusRoute(sql: Sql, verifyCaller: CallerVerifier): Route {
  return {
    method: "GET",
    path: "/metrics/prometheus",
    query: true,
    handle: async (request, url) => {
      const identity = await authenticateAdmin(request, verifyCaller);
      requireServiceRole(identity, "the Prometheus endpoint");
      const query = parseAdminQuery(url, querySchema);
      const snapshot = await readMetricsSnapshot(sql, {
        organizationId: query.organization_id ?? null,
        now: new Date(),
        windowHours: query.hours,
        topEntries: 0,
        topTags: 0,
      });
      const { body, contentType } = await renderPrometheus(snapshot);
      return new Response(body, {
        headers: { "Content-Type": contentType, "Cache-Control": "no-store" },
      });
    },
  };
}
