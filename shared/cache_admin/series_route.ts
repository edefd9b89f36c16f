import type { Sql } from "postgres";
import { z } from "zod";
import type { CallerVerifier } from "../auth/caller.ts";
import { READ_LATENCY_BOUNDS_MS } from "../cache/latency_histogram.ts";
import { DATASET_NAMES } from "../datasets/registry.ts";
import type { Route } from "../http/route.ts";
import { openAdminRequest } from "./admin_request.ts";
import { organizationIdParam, wholeNumberParam } from "./admin_query.ts";
import { readMetricsSeries } from "./metrics_series.ts";

const querySchema = z.object({
  organization_id: organizationIdParam,
  hours: wholeNumberParam(1, 720, 24),
  dataset: z.enum(DATASET_NAMES as [string, ...string[]], {
    message: `must be one of ${DATASET_NAMES.join(", ")}`,
  }).optional(),
}).strict();

/**
 * `GET /cache-admin/metrics/series[?organization_id=][&hours=24][&dataset=]`: the
 * reads of each of the last `hours` hourly buckets (1..720, the current one
 * included, hours without reads as zeros): hits, stale hits, misses, waits
 * (reads answered by another read's computation), compute failures, hit rate and latency histograms (`latency_bounds_ms`, then slower),
 * overall and per dataset. Scoped as `/metrics`: owners and admins name their
 * organization, the service role may omit it (every organization).
 */
export function seriesRoute(sql: Sql, verifyCaller: CallerVerifier): Route {
  return {
    method: "GET",
    path: "/metrics/series",
    query: true,
    handle: async (request, url) => {
      const { query, scope } = await openAdminRequest(
        { sql, verifyCaller },
        request,
        url,
        querySchema,
      );
      const now = new Date();
      const series = await readMetricsSeries(sql, {
        organizationId: scope.organizationId,
        dataset: query.dataset ?? null,
        now,
        windowHours: query.hours,
      });
      return Response.json({
        organization_id: scope.organizationId,
        generated_at: now.toISOString(),
        window: { hours: query.hours, since: series.since.toISOString() },
        latency_bounds_ms: READ_LATENCY_BOUNDS_MS,
        hours: series.hours,
        overall: series.overall,
        datasets: series.datasets,
      }, { headers: { "Cache-Control": "no-store" } });
    },
  };
}
