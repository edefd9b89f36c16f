import type { Sql } from "postgres";
import { z } from "zod";
import type { CallerVerifier } from "../auth/caller.ts";
import type { Route } from "../http/route.ts";
import { openAdminRequest } from "./admin_request.ts";
import { organizationIdParam, wholeNumberParam } from "./admin_query.ts";

const querySchema = z.object({
  organization_id: organizationIdParam,
  limit: wholeNumberParam(1, 500, 50),
  /** Which invalidations: one cause, or `all`. @default "admin" (POST /invalidate) */
  cause: z.enum(["admin", "write", "maintenance", "nightly", "all"], {
    message: "must be admin, write, maintenance, nightly or all",
  }).default("admin"),
}).strict();

/** One row of `cache.invalidation_audit`. */
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
 * `cause=write|maintenance|nightly|all` for the others. Scoped as `/metrics`.
 */
export function auditRoute(sql: Sql, verifyCaller: CallerVerifier): Route {
  return {
    method: "GET",
    path: "/invalidations",
    query: true,
    handle: async (request, url) => {
      const { query, scope } = await openAdminRequest(
        { sql, verifyCaller },
        request,
        url,
        querySchema,
      );
      const org = scope.organizationId;
      const rows = await sql<AuditRow[]>`
        select id::float8 as id, organization_id, actor_user_id, actor_role, cause, seq::float8 as seq,
          mode, datasets, tags, bumped, reason, details, created_at
        from cache.invalidation_audit
        where (${org}::uuid is null or organization_id = ${org}::uuid)
          and (${query.cause} = 'all' or cause = ${query.cause})
        order by created_at desc, id desc
        limit ${query.limit}`;
      return Response.json({
        organization_id: org,
        entries: rows.map((row) => ({ ...row, created_at: row.created_at.toISOString() })),
      }, { headers: { "Cache-Control": "no-store" } });
    },
  };
}
