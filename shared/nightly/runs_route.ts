import type { Sql } from "postgres";
import { z } from "zod";
import type { CallerVerifier } from "../auth/caller.ts";
import { authenticateAdmin, authorizeOrganizationAdmin } from "../cache_admin/admin_caller.ts";
import { queryParams } from "../http/query_params.ts";
import type { Route } from "../http/route.ts";
import { parseOrThrow } from "../http/validation.ts";

const querySchema = z.object({
  organization_id: z.uuid({ message: "must be a UUID" }).transform((id) => id.toLowerCase()),
  limit: z.string().regex(/^\d{1,4}$/, "must be a whole number from 1 to 500")
    .transform(Number).pipe(z.number().min(1, "must be at least 1").max(500, "must be at most 500"))
    .default(60),
}).strict();

/** One organization's job of a night or a rebuild. */
export interface OrganizationRunRow {
  readonly id: number;
  readonly run_id: string;
  readonly kind: "night" | "rebuild";
  readonly local_date: string;
  readonly time_zone: string;
  readonly status: "queued" | "running" | "refreshed" | "skipped" | "failed";
  readonly skip_reason: string | null;
  readonly attempts: number;
  readonly enqueued_at: string;
  readonly first_claimed_at: string | null;
  readonly finished_at: string | null;
  readonly duration_ms: number | null;
  readonly row_counts: Record<string, number> | null;
  readonly significant_changes: unknown[];
  readonly last_error: string | null;
  readonly requested_by: string | null;
}

/**
 * `GET /nightly-refresh/runs?organization_id=<uuid>[&limit=60]`: an
 * organization's run history, newest first (nights and rebuilds: status,
 * attempts, duration, row counts, significant changes, last error), its last
 * error, and the notices about it still waiting in the webhook outbox (kind,
 * attempts, next attempt, last delivery error; not their text, which may name
 * other organizations). Owners and admins of the organization, or the service
 * role; 400 for a bad query, 403 for others, 401 anonymous.
 */
export function runsRoute(sql: Sql, verifyCaller: CallerVerifier): Route {
  return {
    method: "GET",
    path: "/runs",
    query: true,
    handle: async (request, url) => {
      const identity = await authenticateAdmin(request, verifyCaller);
      const query = parseOrThrow(querySchema, queryParams(url), "query parameters");
      const org = query.organization_id;
      await authorizeOrganizationAdmin(sql, identity, org);
      const runs = await sql<OrganizationRunRow[]>`
        select id::float8 as id, run_id, kind, local_date::text, time_zone, status, skip_reason,
          attempts, enqueued_at, first_claimed_at, finished_at, duration_ms, row_counts,
          significant_changes, last_error, requested_by
        from nightly.organization_runs
        where organization_id = ${org}
        order by enqueued_at desc, id desc
        limit ${query.limit}`;
      const [lastError] = await sql<{ at: Date; local_date: string; error: string }[]>`
        select coalesce(finished_at, enqueued_at) as at, local_date::text, last_error as error
        from nightly.organization_runs
        where organization_id = ${org} and last_error is not null
        order by enqueued_at desc, id desc
        limit 1`;
      const outbox = await sql`
        select notice.id::float8 as id, notice.kind, notice.attempts, notice.next_attempt_at,
          notice.last_http_status, notice.last_error, notice.created_at
        from nightly.webhook_outbox as notice
        where notice.status = 'pending'
          and (notice.organization_id = ${org} or notice.run_id in (
            select job.run_id from nightly.organization_runs as job
            where job.organization_id = ${org}))
        order by notice.id
        limit 100`;
      return Response.json({
        organization_id: org,
        runs,
        last_error: lastError ?? null,
        pending_notices: outbox,
      }, { headers: { "Cache-Control": "no-store" } });
    },
  };
}
