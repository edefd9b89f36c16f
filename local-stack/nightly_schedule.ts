import type { Sql } from "postgres";

/** What the nightly refresh's schedule needs from the stack. */
export interface NightlyScheduleOptions {
  /** The stack's API URL: what pg_net calls `<url>/functions/v1/nightly-refresh` on. */
  readonly projectUrl: string;
  /** The functions' NIGHTLY_CRON_SECRET (from the env files). */
  readonly cronSecret: string | undefined;
  /** Whether pg_cron's nightly jobs fire on their own clock. */
  readonly active: boolean;
}

/**
 * The platform configuration a user does once on a real project (README,
 * "Nightly refresh"): Vault entries holding the project URL and the cron secret
 * that pg_cron's jobs call nightly-refresh with. The local stack does it at
 * every start, with its own URL and the secret its functions get, through the
 * same SQL helper (`nightly.configure_vault`). Then it switches the nightly jobs
 * on or off: a throwaway stack (tests, benchmarks) keeps them off so nothing
 * rebuilds organizations behind a test's back; tests switch them on.
 */
export async function configureNightlySchedule(
  sql: Sql,
  options: NightlyScheduleOptions,
): Promise<void> {
  const [installed] = await sql<{ ready: boolean }[]>`
    select to_regprocedure('nightly.configure_vault(text, text)') is not null as ready`;
  if (!installed?.ready) return;
  if (!options.cronSecret) {
    console.warn("NIGHTLY_CRON_SECRET is not set: pg_cron cannot call nightly-refresh");
  } else {
    await sql`select nightly.configure_vault(${options.projectUrl}, ${options.cronSecret})`;
  }
  await sql`
    select cron.alter_job(job.jobid, active := ${options.active})
      from cron.job as job
     where job.jobname like 'nightshift-nightly-%'`;
}
