import type { Sql } from "postgres";
import { z } from "zod";
import type { CallerVerifier } from "../auth/caller.ts";
import { openAdminRequest } from "./admin_request.ts";
import { organizationIdParam, wholeNumberParam } from "./admin_query.ts";
import { readMaintenanceHistory } from "./maintenance_log.ts";
import type { Route } from "../http/route.ts";

const querySchema = z.object({
  organization_id: organizationIdParam,
  days: wholeNumberParam(1, 90, 7),
  limit: wholeNumberParam(1, 1000, 200),
}).strict();

/**
 * `GET /cache-admin/maintenance/history[?organization_id=][&days=7][&limit=200]`:
 * the maintenance log of the last `days` UTC days (today included), newest first,
 * with totals per day. Owners and admins see their organization's actions; the
 * service role without organization_id also sees actions on every organization
 * (its own and pg_cron's).
 */
export function historyRoute(sql: Sql, verifyCaller: CallerVerifier): Route {
  return {
    method: "GET",
    path: "/maintenance/history",
    query: true,
    handle: async (request, url) => {
      const { query, scope } = await openAdminRequest(
        { sql, verifyCaller },
        request,
        url,
        querySchema,
      );
      const history = await readMaintenanceHistory(sql, {
        organizationId: scope.organizationId,
        days: query.days,
        now: new Date(),
        limit: query.limit,
      });
      return Response.json({
        organization_id: scope.organizationId,
        days: query.days,
        since: history.since.toISOString(),
        total: history.total,
        truncated: history.total > history.rows.length,
        daily: history.daily,
        entries: history.rows.map((row) => ({ ...row, started_at: row.started_at.toISOString() })),
      }, { headers: { "Cache-Control": "no-store" } });
    },
  };
}
