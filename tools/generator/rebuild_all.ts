import postgres from "postgres";

/** Outcome of rebuilding the nightly analytics of many organizations. */
export interface RebuildSummary {
  readonly organizations: number;
  /** Dataset rows written, all datasets together. */
  readonly rows: number;
  readonly seconds: number;
}

/**
 * Rebuilds the nightly datasets of each organization with
 * `analytics.rebuild_organization`, one transaction per organization, on
 * `workers` parallel sessions. A tool for demo data and benchmarks; the
 * nightly refresh has its own queue.
 */
export async function rebuildOrganizations(
  dbUrl: string,
  organizationIds: readonly string[],
  options: { readonly asOf?: string; readonly workers?: number } = {},
): Promise<RebuildSummary> {
  const started = performance.now();
  const queue = [...organizationIds];
  const workers = Math.max(1, Math.min(options.workers ?? 2, queue.length));
  const sql = postgres(dbUrl, { max: workers, onnotice: () => {} });
  let rows = 0;
  try {
    await Promise.all(
      Array.from({ length: workers }, async () => {
        for (let id = queue.shift(); id; id = queue.shift()) {
          const [result] = await sql<{ counts: Record<string, number> }[]>`
            select analytics.rebuild_organization(${id}, ${options.asOf ?? null}::date)
              -> 'rows' as counts`;
          rows += Object.values(result?.counts ?? {}).reduce((sum, count) => sum + count, 0);
        }
      }),
    );
  } finally {
    await sql.end({ timeout: 5 });
  }
  return {
    organizations: organizationIds.length,
    rows,
    seconds: (performance.now() - started) / 1000,
  };
}
