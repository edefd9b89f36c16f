import type { JSONValue, Sql, TransactionSql } from "postgres";
import type { AdminScope } from "./admin_scope.ts";

/** One maintenance action as logged. */
export interface MaintenanceLogEntry {
  readonly scope: AdminScope;
  readonly action: string;
  readonly criteria: Readonly<Record<string, JSONValue>>;
  readonly deletedEntries: number;
  readonly details: Readonly<Record<string, JSONValue>>;
  readonly durationMs: number;
  readonly startedAt: Date;
}

/** Appends one row to cache_admin.maintenance_log; returns its id. */
export async function logMaintenance(
  sql: Sql | TransactionSql,
  entry: MaintenanceLogEntry,
): Promise<number> {
  const [row] = await sql<{ id: string }[]>`
    insert into cache_admin.maintenance_log (organization_id, actor_user_id, actor_role, action,
      criteria, deleted_entries, details, duration_ms, started_at)
    values (${entry.scope.organizationId}::uuid, ${entry.scope.actorUserId}::uuid,
      ${entry.scope.actorRole}, ${entry.action}, ${sql.json(entry.criteria)},
      ${entry.deletedEntries}, ${sql.json(entry.details)},
      ${Math.max(0, Math.round(entry.durationMs))}, ${entry.startedAt})
    returning id`;
  return Number(row!.id);
}

/** A log row as the history route returns it. */
export interface MaintenanceHistoryRow {
  readonly id: number;
  readonly organization_id: string | null;
  readonly actor_user_id: string | null;
  readonly actor_role: string;
  readonly action: string;
  readonly criteria: Record<string, unknown>;
  readonly deleted_entries: number;
  readonly details: Record<string, unknown>;
  readonly duration_ms: number;
  readonly started_at: Date;
}

/** Totals of one UTC day. */
export interface DailyTotals {
  /** `YYYY-MM-DD`, UTC. */
  readonly date: string;
  readonly actions: number;
  readonly deleted_entries: number;
  readonly duration_ms: number;
  /** Actions per action name, e.g. `{"cleanup_expired": 2}`. */
  readonly by_action: Record<string, number>;
}

/**
 * The log of the last `days` UTC days (today included) for one organization, or
 * for every organization and the cache as a whole (`null`): up to `limit` rows,
 * newest first, and totals for every day of the window (zero days included).
 */
export async function readMaintenanceHistory(
  sql: Sql,
  options: { organizationId: string | null; days: number; now: Date; limit: number },
): Promise<{ since: Date; rows: MaintenanceHistoryRow[]; daily: DailyTotals[]; total: number }> {
  const org = options.organizationId;
  return await sql.begin("isolation level repeatable read read only", async (tx) => {
    const [window] = await tx<{ since: Date }[]>`
      select (date_trunc('day', ${options.now}::timestamptz at time zone 'UTC')
        - make_interval(days => ${options.days - 1})) at time zone 'UTC' as since`;
    const since = window!.since;
    const rows = await tx<(MaintenanceHistoryRow & { total: number })[]>`
      select id::float8 as id, organization_id, actor_user_id, actor_role, action, criteria,
        deleted_entries::float8 as deleted_entries, details, duration_ms, started_at,
        count(*) over ()::int as total
      from cache_admin.maintenance_log
      where (${org}::uuid is null or organization_id = ${org}::uuid) and started_at >= ${since}
      order by started_at desc, id desc
      limit ${options.limit}`;
    const daily = await tx<
      {
        date: string;
        actions: number;
        deleted_entries: number;
        duration_ms: number;
        by_action: Record<string, number> | null;
      }[]
    >`
      with days as (
        select d::date as date
        from generate_series(${since}::timestamptz at time zone 'UTC',
          ${options.now}::timestamptz at time zone 'UTC', interval '1 day') as d
      ), logged as (
        select (started_at at time zone 'UTC')::date as date, action, deleted_entries, duration_ms
        from cache_admin.maintenance_log
        where (${org}::uuid is null or organization_id = ${org}::uuid) and started_at >= ${since}
      ), per_action as (
        select date, action, count(*)::int as actions from logged group by date, action
      )
      select to_char(days.date, 'YYYY-MM-DD') as date,
        (select count(*)::int from logged where logged.date = days.date) as actions,
        (select coalesce(sum(deleted_entries), 0)::float8 from logged
          where logged.date = days.date) as deleted_entries,
        (select coalesce(sum(duration_ms), 0)::float8 from logged
          where logged.date = days.date) as duration_ms,
        (select jsonb_object_agg(per_action.action, per_action.actions order by per_action.action)
          from per_action where per_action.date = days.date) as by_action
      from days
      order by days.date`;
    return {
      since,
      rows: rows.map(({ total: _total, ...row }) => row),
      daily: daily.map((day) => ({ ...day, by_action: day.by_action ?? {} })),
      total: rows[0]?.total ?? 0,
    };
  });
}
