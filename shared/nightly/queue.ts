/**
 * The nightly queue's SQL surface (`supabase/migrations/20261121050*_nightly_*.sql`),
 * typed. Every call passes the orchestrator's clock as `p_now`.
 *
 * @module
 */
import type { Sql } from "postgres";
import { errorChain } from "../log/error_chain.ts";
import { logger } from "../log/logging.ts";
import { intervalOf, type NightlySettings } from "./settings.ts";

/** A job claimed by this worker. */
export interface ClaimedJob {
  readonly id: string;
  readonly claim_token: string;
  readonly organization_id: string;
  readonly local_date: string;
  /** Attempts so far, this claim included (1 on the first). */
  readonly attempts: number;
}

/** How a job ended for this worker (see `nightly.process_organization_run`). */
export interface JobOutcome {
  /** queued: failed and waiting for a retry; lost: no longer this worker's claim. */
  readonly outcome: "refreshed" | "skipped" | "queued" | "failed" | "lost";
  readonly id: string;
  readonly organization_id?: string;
  readonly error?: string;
}

/** A run created by a tick. */
export interface EnqueuedRun {
  readonly run_id: string;
  readonly job_count: number;
}

/** Enqueues every organization due at `now`, idempotently; null when none is due. */
export async function enqueueDueOrganizations(
  sql: Sql,
  now: Date,
  settings: Pick<NightlySettings, "NIGHTLY_LOCAL_TIME" | "NIGHTLY_TIMEOUT" | "NIGHTLY_MIN_AGE">,
): Promise<EnqueuedRun | null> {
  const [run] = await sql<EnqueuedRun[]>`
    select run_id, job_count from nightly.enqueue_due_organizations(
      ${now}, ${settings.NIGHTLY_LOCAL_TIME}::time,
      ${intervalOf(settings.NIGHTLY_TIMEOUT)}::interval,
      ${intervalOf(settings.NIGHTLY_MIN_AGE)}::interval)`;
  return run ?? null;
}

/** Moves the unfinished jobs of runs past their deadline to continuation runs. */
export async function deferTimedOutRuns(
  sql: Sql,
  now: Date,
  settings: Pick<NightlySettings, "NIGHTLY_TIMEOUT">,
): Promise<number> {
  const [row] = await sql<{ deferred: number }[]>`
    select nightly.defer_timed_out_runs(${now}, ${intervalOf(settings.NIGHTLY_TIMEOUT)}::interval)
      as deferred`;
  return row?.deferred ?? 0;
}

/** Claims up to `limit` visible jobs for `worker`. */
export async function claimJobs(
  sql: Sql,
  worker: string,
  limit: number,
  now: Date,
  settings: Pick<NightlySettings, "NIGHTLY_VISIBILITY_TIMEOUT">,
): Promise<ClaimedJob[]> {
  return await sql<ClaimedJob[]>`
    select id::text, claim_token, organization_id, local_date::text, attempts
    from nightly.claim_organization_runs(
      ${worker}, ${limit}, ${now}, ${intervalOf(settings.NIGHTLY_VISIBILITY_TIMEOUT)}::interval)`;
}

type ProcessSettings = Pick<
  NightlySettings,
  | "NIGHTLY_MIN_AGE"
  | "NIGHTLY_MAX_RETRIES"
  | "NIGHTLY_RETRY_BASE_DELAY"
  | "NIGHTLY_CHANGE_THRESHOLD_PERCENT"
  | "NIGHTLY_VISIBILITY_TIMEOUT"
>;

/**
 * Processes a claimed job in a transaction of its own, bounded by
 * `statementTimeoutMs` (the time left before the invocation must answer, at
 * most the visibility timeout). When that transaction fails as a
 * whole, records the failed attempt in a new one; when even that fails, the
 * claim simply expires and the job is retried by a later claim.
 */
export async function processJob(
  sql: Sql,
  job: ClaimedJob,
  now: Date,
  settings: ProcessSettings,
  statementTimeoutMs: number = settings.NIGHTLY_VISIBILITY_TIMEOUT,
): Promise<JobOutcome> {
  const maxAttempts = settings.NIGHTLY_MAX_RETRIES + 1;
  const timeoutMs = Math.max(
    1,
    Math.min(Math.floor(statementTimeoutMs), settings.NIGHTLY_VISIBILITY_TIMEOUT),
  );
  try {
    return await sql.begin(async (tx) => {
      // A backend whose client died (killed invocation) notices within a second and rolls back.
      await tx`
        select set_config('statement_timeout', ${String(timeoutMs)}, true),
               set_config('client_connection_check_interval', '1000', true)
         where current_setting('client_connection_check_interval', true) is not null`;
      const [row] = await tx<{ result: JobOutcome }[]>`
        select nightly.process_organization_run(
          ${job.id}, ${job.claim_token}, ${now},
          ${intervalOf(settings.NIGHTLY_MIN_AGE)}::interval, ${maxAttempts},
          ${intervalOf(settings.NIGHTLY_RETRY_BASE_DELAY)}::interval,
          ${settings.NIGHTLY_CHANGE_THRESHOLD_PERCENT}
        ) as result`;
      return row!.result;
    });
  } catch (error) {
    const message = `Processing failed: ${(error as Error).message}`;
    try {
      const [row] = await sql<{ result: JobOutcome }[]>`
        select nightly.record_organization_run_error(
          ${job.id}, ${job.claim_token}, ${now}, ${message}, ${maxAttempts},
          ${intervalOf(settings.NIGHTLY_RETRY_BASE_DELAY)}::interval) as result`;
      return row!.result;
    } catch (recordError) {
      logger("nightly").error("nightly:lost could not record the failure of job {job_id}", {
        event: "nightly:record-failure",
        job_id: job.id,
        organization_id: job.organization_id,
        cause: message,
        error: errorChain(recordError),
      });
      return { outcome: "lost", id: job.id, error: message };
    }
  }
}

/**
 * Writes the hourly overdue notice when any organization is overdue (by the bound
 * of `nightly.overdue_after()`); returns how many are.
 */
export async function recordOverdueAlert(sql: Sql, now: Date): Promise<number> {
  const [row] = await sql<{ overdue: number }[]>`
    select nightly.record_overdue_alert(${now}, nightly.overdue_after()) as overdue`;
  return row?.overdue ?? 0;
}

/** Asks pg_net for another invocation (see `nightly.request_invocation`). */
export async function requestFollowUpInvocation(sql: Sql): Promise<void> {
  await sql`select nightly.request_invocation('tick')`;
}
