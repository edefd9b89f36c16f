import type { JSONValue, Sql, TransactionSql } from "postgres";
import type { AdminScope } from "./admin_scope.ts";

/** What an action did: entries deleted, and the rest by part. */
export interface ActionOutcome {
  readonly deletedEntries: number;
  readonly details: Readonly<Record<string, JSONValue>>;
}

/** The criteria of a selective clear (at least one given). */
export interface ClearCriteria {
  readonly tags?: readonly string[] | undefined;
  readonly key_prefixes?: readonly string[] | undefined;
  readonly older_than_hours?: number | undefined;
}

/** Entries without hits are unused once this old (cleanup_unused). */
export const UNUSED_MIN_AGE_MS = 60 * 60 * 1000;

/** Tables `optimize` vacuums when it covers every organization. */
export const VACUUMED_TABLES = [
  "cache.entries",
  "cache.leases",
  "cache.counters",
  "cache.tag_versions",
] as const;

/** `cleanup_expired`: entries past their retention, and entries purged by a tag purge. */
export async function cleanupExpired(
  tx: TransactionSql,
  scope: AdminScope,
  now: Date,
): Promise<ActionOutcome> {
  const [row] = await tx<{ expired: number; purged: number }[]>`
    select expired_entries::float8 as expired, purged_entries::float8 as purged
    from cache_admin.delete_expired_entries(${scope.organizationId}::uuid, ${now})`;
  return {
    deletedEntries: row!.expired + row!.purged,
    details: { expired: row!.expired, purged: row!.purged },
  };
}

/** `cleanup_unused`: entries never hit and written more than an hour ago. */
export async function cleanupUnused(
  tx: TransactionSql,
  scope: AdminScope,
  now: Date,
): Promise<ActionOutcome> {
  const [row] = await tx<{ deleted: number }[]>`
    select cache_admin.delete_unused_entries(${scope.organizationId}::uuid,
      ${UNUSED_MIN_AGE_MS} * interval '1 millisecond', ${now})::float8 as deleted`;
  return { deletedEntries: row!.deleted, details: { unused: row!.deleted } };
}

/** `selective_clear`: entries matching every criterion given. */
export async function selectiveClear(
  tx: TransactionSql,
  scope: AdminScope,
  criteria: ClearCriteria,
  now: Date,
): Promise<ActionOutcome> {
  const olderThanMs = criteria.older_than_hours === undefined
    ? null
    : Math.round(criteria.older_than_hours * 3_600_000);
  const [row] = await tx<{ deleted: number }[]>`
    select cache_admin.delete_matching_entries(
      ${scope.organizationId}::uuid,
      ${(criteria.tags ?? null) as string[] | null}::text[],
      ${(criteria.key_prefixes ?? null) as string[] | null}::text[],
      ${olderThanMs}::bigint * interval '1 millisecond',
      ${now}
    )::float8 as deleted`;
  return { deletedEntries: row!.deleted, details: { matched: row!.deleted } };
}

/**
 * The deleting part of `optimize`: expired and purged entries (as
 * `cleanup_expired`) and expired computation leases.
 */
export async function optimizeDeletions(
  tx: TransactionSql,
  scope: AdminScope,
  now: Date,
): Promise<ActionOutcome> {
  const expired = await cleanupExpired(tx, scope, now);
  const [row] = await tx<{ leases: number }[]>`
    select cache_admin.delete_stale_leases(${scope.organizationId}::uuid, ${now})::float8 as leases`;
  return {
    deletedEntries: expired.deletedEntries,
    details: { ...expired.details, leases: row!.leases },
  };
}

/**
 * `VACUUM (ANALYZE)` of the cache tables: gives the space of deleted rows back for
 * reuse and refreshes the planner's statistics. One statement per table, outside
 * any transaction (VACUUM cannot run in one).
 */
export async function vacuumCacheTables(sql: Sql): Promise<string[]> {
  for (const table of VACUUMED_TABLES) {
    await sql.unsafe(`vacuum (analyze) ${table}`).simple();
  }
  return [...VACUUMED_TABLES];
}

/**
 * `emergency_clear`, once confirmed: every entry and lease of the scope, purging
 * the organization tags (isolates drop their L1 copies within the L1 bound) and
 * broadcasting the purge to browsers.
 */
export async function emergencyClear(
  tx: TransactionSql,
  scope: AdminScope,
): Promise<ActionOutcome> {
  const [row] = await tx<{ entries: number; leases: number; tags: number }[]>`
    select deleted_entries::float8 as entries, deleted_leases::float8 as leases,
      purged_tags::float8 as tags
    from cache_admin.clear_entries(${scope.organizationId}::uuid)`;
  return {
    deletedEntries: row!.entries,
    details: { leases: row!.leases, purged_tags: row!.tags },
  };
}

/** Entries an emergency clear of the scope would delete now. */
export async function countEntries(sql: Sql | TransactionSql, scope: AdminScope): Promise<number> {
  const [row] = await sql<{ entries: number }[]>`
    select count(*)::float8 as entries from cache.entries
    where ${scope.organizationId}::uuid is null or organization_id = ${scope.organizationId}::uuid`;
  return row!.entries;
}
