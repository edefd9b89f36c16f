import type { Sql } from "postgres";
import { z } from "zod";
import type { CallerVerifier } from "../auth/caller.ts";
import type { Clock } from "../util/clock.ts";
import type { Route } from "../http/route.ts";
import { ForbiddenError, UnauthorizedError } from "../http/errors.ts";
import { queryParams } from "../http/query_params.ts";
import { parseOrThrow } from "../http/validation.ts";
import type { NightlySettings } from "./settings.ts";

const querySchema = z.object({
  organization_id: z.uuid({ message: "must be a UUID" }).transform((id) => id.toLowerCase())
    .optional(),
}).strict();

/** What a status route needs. */
export interface StatusRouteOptions {
  readonly sql: Sql;
  readonly verifyCaller: CallerVerifier;
  readonly settings: Pick<NightlySettings, "NIGHTLY_LOCAL_TIME">;
  readonly clock: Clock;
}

/**
 * `GET /nightly-refresh/status[?organization_id=<uuid>]`: the last run, queue
 * depth, overdue organizations and per-organization freshness
 * (`nightly.status`). The service role sees everything (run totals included);
 * an organization owner or admin sees their organizations only — the query
 * runs as them (`set local role authenticated`), so RLS is the guard.
 */
export function statusRoute(options: StatusRouteOptions): Route {
  return {
    method: "GET",
    path: "/status",
    query: true,
    handle: async (request, url) => {
      const token = await options.verifyCaller(request);
      const query = parseOrThrow(querySchema, queryParams(url), "query");
      const isService = token.role === "service_role";
      if (!isService && (token.role !== "authenticated" || !token.userId)) {
        throw new UnauthorizedError("Sign in first: the nightly status is for organization admins");
      }
      const status = await options.sql.begin(async (tx) => {
        await tx`select set_config('request.jwt.claims', ${JSON.stringify(token.claims)}, true)`;
        await tx.unsafe(isService ? "set local role service_role" : "set local role authenticated");
        let organizations: string[] | null = query.organization_id ? [query.organization_id] : null;
        if (!isService) {
          const admin = await tx<{ id: string }[]>`
            select id from private.current_user_organization_ids('admin') as id`;
          const adminOf = admin.map((row) => row.id);
          if (query.organization_id && !adminOf.includes(query.organization_id)) {
            throw new ForbiddenError(
              `Not an owner or admin of organization ${query.organization_id}: its nightly status is theirs`,
            );
          }
          if (adminOf.length === 0) {
            throw new ForbiddenError("Not an owner or admin of any organization");
          }
          organizations ??= adminOf;
        }
        const [row] = await tx<{ status: unknown }[]>`
          select nightly.status(
            ${new Date(options.clock.now())},
            ${organizations ? tx.array(organizations) : null}::uuid[],
            nightly.overdue_after(), ${isService},
            ${options.settings.NIGHTLY_LOCAL_TIME}::time) as status`;
        if (!isService) return row!.status;
        // The outbox describes every organization: pending and parked notices are the service role's.
        const [outbox] = await tx<{ notices: unknown }[]>`
          select nightly.notice_status(${new Date(options.clock.now())}) as notices`;
        return { ...(row!.status as Record<string, unknown>), notices: outbox!.notices };
      });
      return Response.json(status, { headers: { "Cache-Control": "no-store" } });
    },
  };
}
