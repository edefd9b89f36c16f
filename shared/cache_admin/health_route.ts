import type { Sql } from "postgres";
import { z } from "zod";
import type { CallerVerifier } from "../auth/caller.ts";
import { openAdminRequest } from "./admin_request.ts";
import { organizationIdParam, wholeNumberParam } from "./admin_query.ts";
import type { CacheAdminSettings } from "./cache_admin_settings.ts";
import {
  readCleanupJob,
  readOverdueOrganizations,
  readRecentFailures,
  readTableStats,
} from "./health_inputs.ts";
import {
  bloatReason,
  cleanupJobReason,
  deadShare,
  expiredEntriesReason,
  failingDatasetsReason,
  HEALTH_THRESHOLDS,
  type HealthReason,
  hitRateReason,
  isBloated,
  isFailing,
  overdueNightlyReason,
  statusOf,
} from "./health_rules.ts";
import type { HealthReport } from "./health_report.ts";
import { hitRate, readMetricsSnapshot, totalOf } from "./metrics_snapshot.ts";
import type { Route } from "../http/route.ts";

const querySchema = z.object({
  organization_id: organizationIdParam,
  hours: wholeNumberParam(1, 168, 24),
}).strict();

/**
 * `GET /cache-admin/health[?organization_id=][&hours=24]`: `healthy`, `degraded`
 * or `critical`, with a reason and a recommendation per failed check and the
 * figures of every check. Checks of the scope: hit rate (over `hours`), expired
 * entries, overdue nightly organizations, failing datasets (this hour and the
 * previous one). The service role also gets the checks of the whole cache: table
 * bloat and the scheduled cleanup job. Always 200: the status is in the body,
 * shaped as {@linkcode HealthReport} (`health_report.ts`, README "Health").
 */
export function healthRoute(
  sql: Sql,
  verifyCaller: CallerVerifier,
  settings: Pick<CacheAdminSettings, "CACHE_CLEANUP_INTERVAL">,
): Route {
  return {
    method: "GET",
    path: "/health",
    query: true,
    handle: async (request, url) => {
      const { query, scope } = await openAdminRequest(
        { sql, verifyCaller },
        request,
        url,
        querySchema,
      );
      const now = new Date();
      const global = scope.actorRole === "service_role";
      const [snapshot, overdue, failures, tables, job] = await Promise.all([
        readMetricsSnapshot(sql, {
          organizationId: scope.organizationId,
          now,
          windowHours: query.hours,
          topEntries: 0,
          topTags: 0,
        }),
        readOverdueOrganizations(sql, scope.organizationId, now),
        readRecentFailures(sql, scope.organizationId, now),
        global ? readTableStats(sql) : undefined,
        global ? readCleanupJob(sql, settings.CACHE_CLEANUP_INTERVAL) : undefined,
      ]);
      const total = totalOf(snapshot.datasets);
      const served = total.hits + total.staleHits;
      const reasons = [
        failingDatasetsReason(failures),
        hitRateReason({ served, total: served + total.misses, windowHours: query.hours }),
        expiredEntriesReason(total.expiredEntries),
        overdueNightlyReason(overdue),
        ...(tables ? [bloatReason(tables)] : []),
        ...(job !== undefined ? [cleanupJobReason(job)] : []),
      ].filter((reason): reason is HealthReason => reason !== undefined);
      const report: HealthReport = {
        status: statusOf(reasons),
        organization_id: scope.organizationId,
        checked_at: now.toISOString(),
        reasons,
        checks: {
          hit_rate: {
            window_hours: query.hours,
            reads: served + total.misses,
            hit_rate: hitRate(total),
            threshold: HEALTH_THRESHOLDS.minHitRate,
            min_reads: HEALTH_THRESHOLDS.minReadsForHitRate,
          },
          expired_entries: {
            count: total.expiredEntries,
            threshold: HEALTH_THRESHOLDS.maxExpiredEntries,
          },
          overdue_nightly_organizations: {
            count: overdue.count,
            threshold_hours: overdue.overdueAfterHours,
            organizations: overdue.organizations.map((organization) => ({
              organization_id: organization.organizationId,
              name: organization.name,
              last_refreshed_at: organization.lastRefreshedAt?.toISOString() ?? null,
            })),
          },
          failing_datasets: {
            window: "this hour and the previous one",
            min_failures: HEALTH_THRESHOLDS.failingMinFailures,
            min_share: HEALTH_THRESHOLDS.failingMinShare,
            datasets: failures.map((dataset) => ({
              organization_id: dataset.organizationId,
              dataset: dataset.dataset,
              failures: dataset.failures,
              misses: dataset.misses,
              failing: isFailing(dataset),
            })),
          },
          ...(tables
            ? {
              table_bloat: {
                measure: "dead rows (pg_stat_user_tables.n_dead_tup) and their share of all rows",
                min_dead_rows: HEALTH_THRESHOLDS.bloatMinDeadRows,
                min_dead_share: HEALTH_THRESHOLDS.bloatMinDeadShare,
                tables: tables.map((table) => ({
                  table: table.table,
                  live_rows: table.liveRows,
                  dead_rows: table.deadRows,
                  dead_share: deadShare(table),
                  bytes: table.bytes,
                  last_vacuum_at: table.lastVacuumAt?.toISOString() ?? null,
                  bloated: isBloated(table),
                })),
              },
            }
            : {}),
          ...(job !== undefined
            ? {
              cleanup_job: job === null ? { exists: false } : {
                exists: true,
                schedule: job.schedule,
                expected_schedule: job.expectedSchedule,
                active: job.active,
                last_run: job.lastRun === null ? null : {
                  status: job.lastRun.status,
                  started_at: job.lastRun.startedAt?.toISOString() ?? null,
                },
              },
            }
            : {}),
        },
      };
      return Response.json(report, { headers: { "Cache-Control": "no-store" } });
    },
  };
}
