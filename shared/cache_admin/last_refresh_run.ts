import type { Sql } from "postgres";

/**
 * The last nightly run, as the metrics route reports it: for every
 * organization, the latest run with its totals; for one organization, the latest
 * run that included it (id, status and times only: a run's totals describe other
 * organizations too) and that organization's own job in it. `null` when no run
 * exists yet, or when the nightly orchestrator's tables (`nightly.runs`,
 * `nightly.organization_runs`) are not installed.
 */
export async function readLastNightlyRun(
  sql: Sql,
  organizationId: string | null,
): Promise<Record<string, unknown> | null> {
  const [installed] = await sql<{ runs: boolean; jobs: boolean }[]>`
    select to_regclass('nightly.runs') is not null as runs,
      to_regclass('nightly.organization_runs') is not null as jobs`;
  if (!installed?.runs || !installed.jobs) return null;
  if (organizationId === null) {
    const [row] = await sql<{ run: Record<string, unknown> }[]>`
      select to_jsonb(run) as run from nightly.runs as run order by run.started_at desc limit 1`;
    return row?.run ?? null;
  }
  const [row] = await sql<{ run: Record<string, unknown> }[]>`
    select jsonb_build_object(
      'id', run.id, 'status', run.status, 'ticked_at', run.ticked_at,
      'started_at', run.started_at, 'finished_at', run.finished_at,
      'organization', to_jsonb(job) - 'claimed_by' - 'claim_token'
    ) as run
    from nightly.organization_runs as job
    join nightly.runs as run on run.id = job.run_id
    where job.organization_id = ${organizationId}::uuid
    order by run.started_at desc, job.id desc
    limit 1`;
  return row?.run ?? null;
}
