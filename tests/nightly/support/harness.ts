import type { Sql } from "postgres";
import { connectAsSuperuser } from "../../support/stack.ts";
import {
  createOrganizations,
  dropOrganizations,
  type NightlyOrganization,
  type OrganizationSpec,
} from "./organizations.ts";

/** The night most in-process tests tick on (12:00 in Copenhagen), and their invoices' date. */
export const NIGHT = "2026-06-15";
export const TICK_AT = Date.parse("2026-06-15T10:00:00Z");
export const INVOICE_DATE = "2026-06-10";

/** A job row as tests read it. */
export interface JobRow {
  readonly organization_id: string;
  readonly run_id: string;
  readonly local_date: string;
  readonly status: string;
  readonly attempts: number;
  readonly skip_reason: string | null;
  readonly visible_at: Date;
  readonly claimed_by: string | null;
  readonly row_counts: Record<string, number> | null;
  readonly significant_changes: unknown[];
  readonly last_error: string | null;
  readonly deferrals: number;
}

/**
 * Runs `work` with new organizations (invoices on {@linkcode INVOICE_DATE} unless
 * said otherwise) and a superuser pool, dropping both afterwards.
 */
export async function withOrganizations<T>(
  specs: readonly OrganizationSpec[],
  work: (organizations: NightlyOrganization[], sql: Sql) => Promise<T>,
): Promise<T> {
  const sql = connectAsSuperuser(4);
  const organizations = await createOrganizations(
    sql,
    specs.map((spec) => ({ invoiceDates: [INVOICE_DATE], ...spec })),
  );
  try {
    return await work(organizations, sql);
  } finally {
    await dropOrganizations(sql, organizations);
    await sql.end();
  }
}

/** Every job of the organizations, by organization then night. */
export async function jobsOf(
  sql: Sql,
  organizations: readonly NightlyOrganization[],
): Promise<JobRow[]> {
  return await sql<JobRow[]>`
    select organization_id, run_id, local_date::text, status, attempts, skip_reason, visible_at,
      claimed_by, row_counts, significant_changes, last_error, deferrals
    from nightly.organization_runs
    where organization_id in ${sql(organizations.map((o) => o.id))}
    order by organization_id, local_date`;
}

/** The one job of an organization (throws unless there is exactly one). */
export async function onlyJobOf(sql: Sql, organization: NightlyOrganization): Promise<JobRow> {
  const jobs = await jobsOf(sql, [organization]);
  if (jobs.length !== 1) {
    throw new Error(`Expected one job of ${organization.name}: ${jobs.length}`);
  }
  return jobs[0]!;
}

/**
 * The nightly refresh's broadcasts on an organization's cache-invalidation channel
 * (notices with cause `nightly`; writes to the fixtures' base tables send their own).
 */
export async function broadcastsTo(
  sql: Sql,
  organization: NightlyOrganization,
): Promise<{ event: string; private: boolean; payload: Record<string, unknown> }[]> {
  return await sql<{ event: string; private: boolean; payload: Record<string, unknown> }[]>`
    select event, private, payload from realtime.messages
     where topic = ${`cache-invalidation:${organization.id}`} and extension = 'broadcast'
       and payload ->> 'cause' = 'nightly'
     order by inserted_at`;
}

/** A LISTEN on `nightly_update_complete` collecting the parsed payloads. */
export async function listenForUpdates(
  sql: Sql,
): Promise<{ payloads: Record<string, string>[]; stop: () => Promise<void> }> {
  const payloads: Record<string, string>[] = [];
  const listener = await sql.listen("nightly_update_complete", (payload) => {
    payloads.push(JSON.parse(payload));
  });
  return { payloads, stop: () => listener.unlisten() };
}

/** Webhook requests whose JSON body mentions `needle` in its text or blocks. */
export function requestsMentioning(
  requests: readonly { body: string }[],
  needle: string,
): { text: string; blocks: unknown[] }[] {
  return requests.map((request) => JSON.parse(request.body) as { text: string; blocks: unknown[] })
    .filter((body) => JSON.stringify(body).includes(needle));
}

/** A job's row as {@linkcode waitForJobToSettle} reports it. */
export interface SettledJob {
  readonly status: string;
  readonly kind: string;
  readonly requested_by: string | null;
  readonly attempts: number;
  readonly claimed_by: string | null;
  readonly visible_at: Date;
  readonly last_error: string | null;
}

/**
 * Waits, event-driven, until job `jobId` of `organizationId` is settled (refreshed,
 * skipped or failed) and returns its row: a LISTEN on `nightly_update_complete`
 * (sent when the refresh commits) wakes the check at once, and a check every
 * `recheckMs` covers outcomes that send nothing. Fails at once, with the job's
 * error, when the job went back to `queued` after a failed attempt (a retry waits
 * for a tick, which the test stack does not run), and after `timeoutMs` with the
 * job's row (status, attempts, claim, visibility, error) in the message.
 */
export async function waitForJobToSettle(
  sql: Sql,
  organizationId: string,
  jobId: number | string,
  options: { timeoutMs?: number; recheckMs?: number } = {},
): Promise<SettledJob> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const recheckMs = options.recheckMs ?? 1_000;
  let wake = () => {};
  const listener = await sql.listen("nightly_update_complete", (payload) => {
    if ((JSON.parse(payload) as { organization_id?: string }).organization_id === organizationId) {
      wake();
    }
  });
  const deadline = Date.now() + timeoutMs;
  let job: SettledJob | undefined;
  try {
    for (;;) {
      [job] = await sql<SettledJob[]>`
        select status::text, kind::text, requested_by::text, attempts, claimed_by, visible_at,
          last_error
        from nightly.organization_runs where id = ${jobId}`;
      if (job === undefined) throw new Error(`Job ${jobId} does not exist`);
      if (!["queued", "running"].includes(job.status)) return job;
      if (job.status === "queued" && job.attempts > 0 && job.last_error !== null) {
        throw new Error(`Job ${jobId} failed and waits for a retry: ${JSON.stringify(job)}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) break;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, Math.min(recheckMs, left));
      });
      clearTimeout(timer);
    }
  } finally {
    await listener.unlisten();
  }
  throw new Error(
    `Timed out after ${timeoutMs} ms waiting for job ${jobId}: ${JSON.stringify(job)}`,
  );
}
