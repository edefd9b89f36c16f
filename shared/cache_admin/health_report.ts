import { z } from "zod";

/**
 * The checks of `GET /cache-admin/health`, in the order of README "Health"'s table
 * (`tests/functions/cache_admin_health_test.ts` keeps them equal). The last two
 * are about the whole cache: the service role's only.
 */
export const HEALTH_CHECKS = [
  "hit_rate",
  "expired_entries",
  "overdue_nightly_organizations",
  "failing_datasets",
  "table_bloat",
  "cleanup_job",
] as const;

/** Name of a health check. */
export type HealthCheckName = typeof HEALTH_CHECKS[number];

const count = z.int().nonnegative();
const share = z.number().min(0).max(1);
const instant = z.iso.datetime();

/** Why the cache is not healthy, and what to do about it. */
export const healthReasonSchema = z.object({
  check: z.enum(HEALTH_CHECKS),
  severity: z.enum(["degraded", "critical"]),
  message: z.string().min(1),
  recommendation: z.string().min(1),
}).strict();

/**
 * The body of `GET /cache-admin/health` (200 whatever the status), one schema for
 * the route (`health_route.ts` builds a {@linkcode HealthReport}) and its tests
 * (every answer is parsed with it): `status` is the worst severity of `reasons`
 * (`healthy` without any); `checks` holds the figures of every check, those of
 * `table_bloat` and `cleanup_job` for the service role only. Times are ISO 8601
 * UTC; shares are 0..1; `hit_rate` is null without reads.
 */
export const healthReportSchema = z.object({
  status: z.enum(["healthy", "degraded", "critical"]),
  /** The organization checked; null: every organization (service role). */
  organization_id: z.uuid().nullable(),
  checked_at: instant,
  reasons: z.array(healthReasonSchema),
  checks: z.object({
    hit_rate: z.object({
      window_hours: z.int().min(1).max(168),
      reads: count,
      hit_rate: share.nullable(),
      threshold: share,
      min_reads: count,
    }).strict(),
    expired_entries: z.object({ count, threshold: count }).strict(),
    overdue_nightly_organizations: z.object({
      count,
      threshold_hours: z.number().positive(),
      organizations: z.array(
        z.object({
          organization_id: z.uuid(),
          name: z.string(),
          last_refreshed_at: instant.nullable(),
        }).strict(),
      ),
    }).strict(),
    failing_datasets: z.object({
      window: z.literal("this hour and the previous one"),
      min_failures: count,
      min_share: share,
      datasets: z.array(
        z.object({
          organization_id: z.uuid(),
          dataset: z.string(),
          failures: count,
          misses: count,
          failing: z.boolean(),
        }).strict(),
      ),
    }).strict(),
    table_bloat: z.object({
      measure: z.string(),
      min_dead_rows: count,
      min_dead_share: share,
      tables: z.array(
        z.object({
          table: z.string(),
          live_rows: count,
          dead_rows: count,
          dead_share: share,
          bytes: count,
          last_vacuum_at: instant.nullable(),
          bloated: z.boolean(),
        }).strict(),
      ),
    }).strict().optional(),
    cleanup_job: z.union([
      z.object({ exists: z.literal(false) }).strict(),
      z.object({
        exists: z.literal(true),
        schedule: z.string(),
        expected_schedule: z.string(),
        active: z.boolean(),
        last_run: z.object({ status: z.string(), started_at: instant.nullable() }).strict()
          .nullable(),
      }).strict(),
    ]).optional(),
  }).strict(),
}).strict();

/** The body of `GET /cache-admin/health`. */
export type HealthReport = z.infer<typeof healthReportSchema>;
