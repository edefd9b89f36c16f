import type { Sql } from "postgres";
import { z } from "zod";
import type { AccessTokenVerifier } from "../auth/access_token.ts";
import { authenticateAdmin } from "./admin_caller.ts";
import { organizationIdParam, parseAdminQuery, wholeNumberParam } from "./admin_query.ts";
import { resolveAdminScope } from "./admin_scope.ts";
import { readMaintenanceHistory } from "./maintenance_log.ts";
import type { Route } from "../http/router.ts";

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
export function historyRoute(sql: Sql, verifyToken: AccessTokenVerifier): Route {
  return {
    method: "GET",
    path: "/maintenance/history",
    handle: async (request, url) => {
      const identity = await authenticateAdmin(request, verifyToken);
      const query = parseAdminQuery(url, querySchema);
      const scope = await resolveAdminScope(sql, identity, query.organization_id);
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
