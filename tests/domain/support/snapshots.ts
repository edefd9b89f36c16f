import type { Sql } from "postgres";

/** Every table a rebuild writes, with the refresh state last. */
export const REBUILT_TABLES = [
  "analytics.dashboard_metrics",
  "analytics.product_metrics",
  "analytics.cogs_analysis",
  "analytics.supplier_metrics",
  "analytics.invoice_analytics",
  "analytics.organization_state",
] as const;

/**
 * An organization's rows in every rebuilt table, as text, with each row's
 * `xmin` (the transaction that wrote that version): equal snapshots mean the
 * rows were not merely recomputed to the same values but never rewritten.
 */
export async function analyticsSnapshot(sql: Sql, organizationId: string): Promise<string[]> {
  const snapshot: string[] = [];
  for (const table of REBUILT_TABLES) {
    const rows = await sql.unsafe<{ version: string; row: string }[]>(
      `select xmin::text as version, t::text as row from ${table} as t
       where organization_id = $1 order by t::text`,
      [organizationId],
    );
    snapshot.push(...rows.map(({ version, row }) => `${table} ${version} ${row}`));
  }
  return snapshot;
}
