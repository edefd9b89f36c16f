import type { Sql } from "postgres";
import type { CleanupJob, DatasetFailures, TableStats } from "./health_rules.ts";

/** An active organization whose nightly refresh is overdue. */
export interface OverdueOrganization {
  readonly organizationId: string;
  readonly name: string;
  /** Last successful nightly refresh; null: never (then it counts from the organization's creation). */
  readonly lastRefreshedAt: Date | null;
}

/** Name of the pg_cron job of the scheduled cleanup. */
export const CLEANUP_JOB_NAME = "nightshift-cache-cleanup";

/** Tables whose bloat is checked: the cache tables rewritten or deleted from all day. */
export const CHECKED_TABLES = ["entries", "leases", "counters", "tag_versions"] as const;

/**
 * Active organizations (of the scope) overdue by the nightly orchestrator's own
 * definition (`nightly.overdue_organizations` with the bound `nightly.overdue_after()`,
 * 25 h), so health and `/nightly-refresh/status` never disagree. At most `limit`
 * listed; `count` is all of them; `overdueAfterHours` is the bound.
 */
export async function readOverdueOrganizations(
  sql: Sql,
  organizationId: string | null,
  now: Date,
  limit = 50,
): Promise<{ count: number; overdueAfterHours: number; organizations: OverdueOrganization[] }> {
  const [bound] = await sql<{ hours: number }[]>`
    select (extract(epoch from nightly.overdue_after()) / 3600)::float8 as hours`;
  const rows = await sql<
    { organization_id: string; name: string; last_refreshed_at: Date | null; total: number }[]
  >`
    select overdue.organization_id, overdue.name, overdue.last_refreshed_at,
      count(*) over ()::int as total
    from nightly.overdue_organizations(${now}::timestamptz, nightly.overdue_after())
      with ordinality as overdue
    where ${organizationId}::uuid is null or overdue.organization_id = ${organizationId}::uuid
    order by overdue.ordinality
    limit ${limit}`;
  return {
    count: rows[0]?.total ?? 0,
    overdueAfterHours: bound!.hours,
    organizations: rows.map((row) => ({
      organizationId: row.organization_id,
      name: row.name,
      lastRefreshedAt: row.last_refreshed_at,
    })),
  };
}

/**
 * Failed and successful computations per organization and dataset in the current
 * and the previous hourly bucket, for datasets with at least one failure.
 */
export async function readRecentFailures(
  sql: Sql,
  organizationId: string | null,
  now: Date,
): Promise<DatasetFailures[]> {
  const rows = await sql<
    { organization_id: string; dataset: string; failures: number; misses: number }[]
  >`
    select organization_id, dataset, sum(compute_failures)::float8 as failures,
      sum(misses)::float8 as misses
    from cache.counters
    where (${organizationId}::uuid is null or organization_id = ${organizationId}::uuid)
      and bucket_start >= date_trunc('hour', ${now}::timestamptz) - interval '1 hour'
    group by organization_id, dataset
    having sum(compute_failures) > 0
    order by failures desc, organization_id, dataset`;
  return rows.map((row) => ({
    organizationId: row.organization_id,
    dataset: row.dataset,
    failures: row.failures,
    misses: row.misses,
  }));
}

/**
 * Row statistics of the checked cache tables from pg_stat_user_tables (the
 * statistics collector's live and dead row estimates; a dead row is a deleted or
 * updated version not yet vacuumed), with their total size.
 */
export async function readTableStats(sql: Sql): Promise<TableStats[]> {
  const rows = await sql<
    {
      relname: string;
      live: number;
      dead: number;
      bytes: number;
      last_vacuum_at: Date | null;
    }[]
  >`
    select relname, n_live_tup::float8 as live, n_dead_tup::float8 as dead,
      pg_total_relation_size(relid)::float8 as bytes,
      greatest(last_vacuum, last_autovacuum) as last_vacuum_at
    from pg_stat_user_tables
    where schemaname = 'cache' and relname = any (${[...CHECKED_TABLES]})
    order by relname`;
  return rows.map((row) => ({
    table: `cache.${row.relname}`,
    liveRows: row.live,
    deadRows: row.dead,
    bytes: row.bytes,
    lastVacuumAt: row.last_vacuum_at,
  }));
}

/**
 * The registered cleanup job with the schedule `intervalMs` maps to, and its last
 * run (cron.job_run_details); null when no such job exists.
 */
export async function readCleanupJob(sql: Sql, intervalMs: number): Promise<CleanupJob | null> {
  const [expected] = await sql<{ schedule: string }[]>`
    select cache_admin.cleanup_cron_schedule(${intervalMs} * interval '1 millisecond') as schedule`;
  const [job] = await sql<
    {
      jobid: string;
      schedule: string;
      active: boolean;
      status: string | null;
      start_time: Date | null;
    }[]
  >`
    select j.jobid, j.schedule, j.active, r.status, r.start_time
    from cron.job as j
    left join lateral (
      select d.status, d.start_time from cron.job_run_details as d
      where d.jobid = j.jobid order by d.start_time desc nulls last limit 1
    ) as r on true
    where j.jobname = ${CLEANUP_JOB_NAME}`;
  if (job === undefined) return null;
  return {
    schedule: job.schedule,
    active: job.active,
    expectedSchedule: expected!.schedule,
    lastRun: job.status === null ? null : { status: job.status, startedAt: job.start_time },
  };
}
