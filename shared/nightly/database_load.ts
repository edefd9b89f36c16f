/**
 * SKIP_IF_HIGH_LOAD: how busy the database is, measured as connection
 * saturation — the one capacity Postgres states itself (`max_connections`)
 * and that a rebuild competes for directly.
 *
 * @module
 */
import type { Sql } from "postgres";

/** Connection saturation of the database at one moment. */
export interface DatabaseLoad {
  /** Client connections doing work: active, or holding a transaction open (this one excluded). */
  readonly busyConnections: number;
  /** Connections available to non-superusers: max_connections - superuser_reserved_connections. */
  readonly usableConnections: number;
  /** busyConnections / usableConnections, between 0 and 1 (or above when superusers overflow). */
  readonly ratio: number;
}

/**
 * Measures {@linkcode DatabaseLoad} from `pg_stat_activity`. Idle connections
 * (a pooler's spare ones) do not count: they cost a slot, not work. On
 * Supabase the `postgres` role sees every backend's state; a role that does
 * not would under-count, never over-count.
 */
export async function measureDatabaseLoad(sql: Sql): Promise<DatabaseLoad> {
  const [row] = await sql<{ busy: number; usable: number }[]>`
    select
      count(*) filter (
        where activity.pid <> pg_backend_pid()
          and activity.state in ('active', 'idle in transaction', 'idle in transaction (aborted)',
                                 'fastpath function call')
      )::integer as busy,
      (current_setting('max_connections')::integer
        - current_setting('superuser_reserved_connections')::integer) as usable
    from pg_catalog.pg_stat_activity as activity
    where activity.backend_type = 'client backend'`;
  const busy = row?.busy ?? 0;
  const usable = Math.max(1, row?.usable ?? 1);
  return { busyConnections: busy, usableConnections: usable, ratio: busy / usable };
}
