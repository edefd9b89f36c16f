import type { Sql } from "postgres";
import { z } from "zod";
import type { CallerVerifier } from "../auth/caller.ts";
import type { Route } from "../http/route.ts";
import { readAsAdminCaller } from "./admin_as_caller.ts";
import { authenticateAdmin } from "./admin_caller.ts";
import { organizationIdParam, parseAdminQuery, wholeNumberParam } from "./admin_query.ts";

const querySchema = z.object({
  organization_id: organizationIdParam,
  limit: wholeNumberParam(1, 500, 50),
  /** Which invalidations: one cause, or `all`. @default "admin" (POST /invalidate) */
  cause: z.enum(["admin", "write", "maintenance", "nightly", "all"], {
    message: "must be admin, write, maintenance, nightly or all",
  }).default("admin"),
}).strict();

/** One row of `cache_admin.invalidation_audit` (of `cache.invalidation_audit`). */
export interface AuditRow {
  readonly id: number;
  readonly organization_id: string;
  readonly actor_user_id: string | null;
  /** owner, admin, service_role; for other causes also authenticated, pg_cron or database. */
  readonly actor_role: string;
  readonly cause: "write" | "admin" | "maintenance" | "nightly";
  /** The notice number broadcast with it (`seq` of the invalidation notice). */
  readonly seq: number | null;
  /** Cause-specific context, as in the notice. */
  readonly details: Record<string, unknown>;
  readonly mode: "expire" | "purge";
  readonly datasets: string[];
  readonly tags: string[];
  /** The tags bumped and their new versions. */
  readonly bumped: Record<string, number>;
  readonly reason: string | null;
  readonly created_at: Date;
}

/**
 * `GET /cache-admin/invalidations[?organization_id=][&limit=50][&cause=admin]`: the
 * audit of invalidations (`cache.invalidation_audit`, written by `cache.invalidate`),
 * newest first: who, what, when, why. By default the explicit ones (`POST /invalidate`);
 * `cause=write|maintenance|nightly|all` for the others. One call of
 * `cache_admin.invalidation_audit` as the caller, which owns the shape and the
 * scope: the service role any organization or all, an owner or admin only theirs
 * (400 without organization_id, 403 for another organization or a member).
 */
export function auditRoute(sql: Sql, verifyCaller: CallerVerifier): Route {
  return {
    method: "GET",
    path: "/invalidations",
    query: true,
    handle: async (request, url) => {
      const identity = await authenticateAdmin(request, verifyCaller);
      const query = parseAdminQuery(url, querySchema);
      const org = query.organization_id ?? null;
      const rows = await readAsAdminCaller(sql, identity, (tx) =>
        tx<AuditRow[]>`
          select id::float8 as id, organization_id, actor_user_id, actor_role, cause,
            seq::float8 as seq, mode, datasets, tags, bumped, reason, details, created_at
          from cache_admin.invalidation_audit(${org}::uuid, ${query.cause}, ${query.limit})`);
      return Response.json({
        organization_id: org,
        entries: rows.map((row) => ({ ...row, created_at: row.created_at.toISOString() })),
      }, { headers: { "Cache-Control": "no-store" } });
    },
  };
}
