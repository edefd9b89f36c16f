import type { Sql } from "postgres";
import { z } from "zod";
import type { CallerVerifier } from "../auth/caller.ts";
import type { Route } from "../http/route.ts";
import { readAsAdminCaller } from "./admin_as_caller.ts";
import { authenticateAdmin } from "./admin_caller.ts";
import { organizationIdParam, parseAdminQuery, wholeNumberParam } from "./admin_query.ts";

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
 * until cleanup, but is `purged`). One call of `cache_admin.entries` as the
 * caller, which owns the shape and the scope (as `/invalidations`); bodies are
 * never read, sizes come from `cache.entries.body_bytes`.
 */
export function entriesRoute(sql: Sql, verifyCaller: CallerVerifier): Route {
  return {
    method: "GET",
    path: "/entries",
    query: true,
    handle: async (request, url) => {
      const identity = await authenticateAdmin(request, verifyCaller);
      const query = parseAdminQuery(url, querySchema);
      const org = query.organization_id ?? null;
      const tag = query.tag ?? null;
      const rows = await readAsAdminCaller(sql, identity, (tx) =>
        tx<EntryRow[]>`
          select key, organization_id, dataset, hits::float8 as hits, bytes::float8 as bytes,
            status, last_hit_at, created_at, fresh_until, expires_at, tags
          from cache_admin.entries(${org}::uuid, ${tag}::text, ${query.limit})`);
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
