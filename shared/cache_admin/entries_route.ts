import type { Sql } from "postgres";
import { z } from "zod";
import type { CallerVerifier } from "../auth/caller.ts";
import type { Route } from "../http/route.ts";
import { openAdminRequest } from "./admin_request.ts";
import { organizationIdParam, wholeNumberParam } from "./admin_query.ts";

const querySchema = z.object({
  organization_id: organizationIdParam,
  tag: z.string().min(1, "must not be empty").max(256, "must be at most 256 characters")
    .optional(),
  limit: wholeNumberParam(1, 500, 50),
}).strict();

/** One stored entry, with whether it may be served now. */
export interface EntryRow {
  readonly key: string;
  readonly organization_id: string;
  readonly dataset: string;
  readonly hits: number;
  readonly bytes: number;
  /** As `cache.read` decides: fresh, stale (servable while revalidating), purged or expired. */
  readonly status: "fresh" | "stale" | "purged" | "expired";
  readonly last_hit_at: Date | null;
  readonly created_at: Date;
  readonly fresh_until: Date;
  readonly expires_at: Date;
  readonly tags: string[];
}

/**
 * `GET /cache-admin/entries[?organization_id=][&tag=][&limit=50]`: the most hit
 * stored entries (those carrying `tag`, when given), each with its state as
 * `cache.read` decides it now (an entry purged by an invalidation stays stored
 * until cleanup, but is `purged`). Scoped as `/metrics`.
 */
export function entriesRoute(sql: Sql, verifyCaller: CallerVerifier): Route {
  return {
    method: "GET",
    path: "/entries",
    query: true,
    handle: async (request, url) => {
      const { query, scope } = await openAdminRequest(
        { sql, verifyCaller },
        request,
        url,
        querySchema,
      );
      const org = scope.organizationId;
      const tag = query.tag ?? null;
      const rows = await sql<EntryRow[]>`
        select e.key, e.organization_id, e.dataset, e.hit_count::float8 as hits,
          octet_length(e.body)::float8 as bytes, state.status, e.last_hit_at, e.created_at,
          e.fresh_until, e.expires_at,
          array(select t.tag from jsonb_object_keys(e.tag_versions) as t (tag) order by t.tag)
            as tags
        from (
          select * from cache.entries
          where (${org}::uuid is null or organization_id = ${org}::uuid)
            and (${tag}::text is null or tag_versions ? ${tag}::text)
          order by hit_count desc, key
          limit ${query.limit}
        ) as e
        cross join lateral cache.read(e.key, e.organization_id, now()) as state
        order by e.hit_count desc, e.key`;
      return Response.json({
        organization_id: org,
        tag,
        entries: rows.map((row) => ({
          ...row,
          last_hit_at: row.last_hit_at?.toISOString() ?? null,
          created_at: row.created_at.toISOString(),
          fresh_until: row.fresh_until.toISOString(),
          expires_at: row.expires_at.toISOString(),
        })),
      }, { headers: { "Cache-Control": "no-store" } });
    },
  };
}
