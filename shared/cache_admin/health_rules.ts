/**
 * The health rules of the cache: each turns observed figures into a reason (with
 * its severity and what to do about it) or nothing. Pure: the figures are read by
 * `health_inputs.ts`.
 *
 * @module
 */
import type { HealthCheckName } from "./health_report.ts";

/** Severity of a reason; the status of a report is the worst of its reasons. */
export type HealthSeverity = "degraded" | "critical";

/** Overall status. */
export type HealthStatus = "healthy" | HealthSeverity;

/** Why the cache is not healthy, and what to do about it. */
export interface HealthReason {
  readonly check: HealthCheckName;
  readonly severity: HealthSeverity;
  readonly message: string;
  readonly recommendation: string;
}

/** The thresholds of the rules. */
export const HEALTH_THRESHOLDS = {
  /** Below this hit rate (fresh + stale hits over all reads) the cache is degraded. */
  minHitRate: 0.7,
  /** The hit rate is judged only with at least this many reads in the window. */
  minReadsForHitRate: 20,
  /** More expired entries than this: cleanup is not keeping up. */
  maxExpiredEntries: 100,
  /** A table is bloated with at least this many dead rows… */
  bloatMinDeadRows: 1000,
  /** …making up at least this share of its rows. */
  bloatMinDeadShare: 0.2,
  /** A dataset keeps failing with at least this many failed computations… */
  failingMinFailures: 3,
  /** …making up at least this share of its computations (failures + misses). */
  failingMinShare: 0.5,
} as const;

/** A cache table's row statistics (pg_stat_user_tables). */
export interface TableStats {
  readonly table: string;
  readonly liveRows: number;
  readonly deadRows: number;
  readonly bytes: number;
  readonly lastVacuumAt: Date | null;
}

/** Failed computations of one dataset of one organization. */
export interface DatasetFailures {
  readonly organizationId: string;
  readonly dataset: string;
  readonly failures: number;
  /** Successful computations (misses) in the same window. */
  readonly misses: number;
}

/** The pg_cron job of the scheduled cleanup, as registered. */
export interface CleanupJob {
  readonly schedule: string;
  readonly active: boolean;
  /** The schedule CACHE_CLEANUP_INTERVAL asks for. */
  readonly expectedSchedule: string;
  readonly lastRun: { readonly status: string; readonly startedAt: Date | null } | null;
}

/** A dead-row share of a table. */
export function deadShare(table: TableStats): number {
  const rows = table.liveRows + table.deadRows;
  return rows === 0 ? 0 : table.deadRows / rows;
}

/** Whether a table is bloated by the thresholds. */
export function isBloated(table: TableStats): boolean {
  return table.deadRows >= HEALTH_THRESHOLDS.bloatMinDeadRows &&
    deadShare(table) >= HEALTH_THRESHOLDS.bloatMinDeadShare;
}

/** Whether a dataset keeps failing by the thresholds. */
export function isFailing(dataset: DatasetFailures): boolean {
  const computations = dataset.failures + dataset.misses;
  return dataset.failures >= HEALTH_THRESHOLDS.failingMinFailures &&
    dataset.failures / computations >= HEALTH_THRESHOLDS.failingMinShare;
}

const percent = (share: number) => `${(share * 100).toFixed(1)}%`;

/** Low hit rate: degraded. */
export function hitRateReason(
  reads: { readonly served: number; readonly total: number; readonly windowHours: number },
): HealthReason | undefined {
  if (reads.total < HEALTH_THRESHOLDS.minReadsForHitRate) return undefined;
  const rate = reads.served / reads.total;
  if (rate >= HEALTH_THRESHOLDS.minHitRate) return undefined;
  return {
    check: "hit_rate",
    severity: "degraded",
    message: `Hit rate ${percent(rate)} is below ${percent(HEALTH_THRESHOLDS.minHitRate)}: ` +
      `${reads.served} of ${reads.total} reads answered from the cache in the last ` +
      `${reads.windowHours} h`,
    recommendation: "Check GET /cache-admin/metrics per dataset: frequent invalidations " +
      "(base-table writes, /invalidate) or short CACHE_DURATION_<DATASET> values cause misses; " +
      "parameters that vary per request (dates, limits) split one dataset into many keys.",
  };
}

/** Expired entries piling up: degraded. */
export function expiredEntriesReason(expired: number): HealthReason | undefined {
  if (expired <= HEALTH_THRESHOLDS.maxExpiredEntries) return undefined;
  return {
    check: "expired_entries",
    severity: "degraded",
    message: `${expired} expired entries are still stored (more than ` +
      `${HEALTH_THRESHOLDS.maxExpiredEntries}): cleanup is not keeping up`,
    recommendation: 'POST /cache-admin/maintenance {"action":"cleanup_expired"}, and check ' +
      "that the pg_cron job nightshift-cache-cleanup is active and succeeding.",
  };
}

/** Active organizations whose nightly rebuild is overdue: degraded. */
export function overdueNightlyReason(
  overdue: { readonly count: number; readonly overdueAfterHours: number },
): HealthReason | undefined {
  if (overdue.count === 0) return undefined;
  return {
    check: "overdue_nightly_organizations",
    severity: "degraded",
    message: `${overdue.count} active organization(s) not rebuilt for more than ` +
      `${overdue.overdueAfterHours} h: their nightly datasets are out of date`,
    recommendation: "Check the nightly-refresh function and its pg_cron tick, then the " +
      "organizations' rebuild errors; a rebuild can be run with analytics.rebuild_organization.",
  };
}

/** Bloated cache tables: degraded. */
export function bloatReason(tables: readonly TableStats[]): HealthReason | undefined {
  const bloated = tables.filter(isBloated);
  if (bloated.length === 0) return undefined;
  return {
    check: "table_bloat",
    severity: "degraded",
    message: `Bloated: ${
      bloated.map((table) =>
        `${table.table} (${table.deadRows} dead rows, ${percent(deadShare(table))})`
      ).join(", ")
    }`,
    recommendation: 'POST /cache-admin/maintenance {"action":"optimize"} as the service role ' +
      "(cleanup, then VACUUM (ANALYZE) of the cache tables); if it comes back, make autovacuum " +
      "more aggressive on those tables.",
  };
}

/** Datasets whose computations keep failing: critical (readers get errors or stale data). */
export function failingDatasetsReason(
  datasets: readonly DatasetFailures[],
): HealthReason | undefined {
  const failing = datasets.filter(isFailing);
  if (failing.length === 0) return undefined;
  return {
    check: "failing_datasets",
    severity: "critical",
    message: `Computations keep failing: ${
      failing.map((dataset) =>
        `${dataset.dataset} of ${dataset.organizationId} (${dataset.failures} failed, ` +
        `${dataset.misses} succeeded)`
      ).join(", ")
    }`,
    recommendation: "Read the datasets function's logs for the error (cache:error, operation " +
      "compute or refresh); readers are served stale data until it expires, then errors.",
  };
}

/** The scheduled cleanup missing, paused, off its interval or failing: degraded. */
export function cleanupJobReason(job: CleanupJob | null): HealthReason | undefined {
  const reschedule = "POST /cache-admin/maintenance/schedule as the service role registers the " +
    "job with CACHE_CLEANUP_INTERVAL.";
  if (job === null) {
    return {
      check: "cleanup_job",
      severity: "degraded",
      message: "The pg_cron job nightshift-cache-cleanup does not exist",
      recommendation: reschedule,
    };
  }
  if (!job.active) {
    return {
      check: "cleanup_job",
      severity: "degraded",
      message: "The pg_cron job nightshift-cache-cleanup is paused (active = false)",
      recommendation: "Activate it with cron.alter_job, or re-register it: " + reschedule,
    };
  }
  if (job.schedule !== job.expectedSchedule) {
    return {
      check: "cleanup_job",
      severity: "degraded",
      message: `The cleanup runs on "${job.schedule}", CACHE_CLEANUP_INTERVAL asks for ` +
        `"${job.expectedSchedule}"`,
      recommendation: reschedule,
    };
  }
  if (job.lastRun?.status === "failed") {
    return {
      check: "cleanup_job",
      severity: "degraded",
      message: "The last run of nightshift-cache-cleanup failed",
      recommendation: "Read cron.job_run_details.return_message for the error, fix it, then " +
        'POST /cache-admin/maintenance {"action":"cleanup_expired"} to catch up.',
    };
  }
  return undefined;
}

/** The status of a report: the worst severity of its reasons. */
export function statusOf(reasons: readonly HealthReason[]): HealthStatus {
  if (reasons.some((reason) => reason.severity === "critical")) return "critical";
  return reasons.length > 0 ? "degraded" : "healthy";
}
