import type { Sql } from "postgres";
import { z } from "zod";
import type { AccessTokenVerifier } from "../auth/access_token.ts";
import { invalidateTagsWith } from "../cache/postgres_store.ts";
import { invalidationTags, MAX_CUSTOM_TAGS } from "../cache/tags.ts";
import { DATASET_NAMES } from "../datasets/registry.ts";
import { readJsonBody } from "../http/json_body.ts";
import { authenticateAdmin, authorizeOrganizationAdmin } from "./admin_caller.ts";
import type { Route } from "../http/router.ts";

const bodySchema = z.object({
  organization_id: z.uuid({ message: "must be a UUID" }),
  datasets: z.array(z.enum(DATASET_NAMES as [string, ...string[]], {
    message: `must be one of ${DATASET_NAMES.join(", ")}`,
  })).max(DATASET_NAMES.length).optional(),
  tags: z.array(z.string().min(1, "must not be empty").max(128, "must be at most 128 characters"))
    .max(MAX_CUSTOM_TAGS, `at most ${MAX_CUSTOM_TAGS} tags`).optional(),
  mode: z.enum(["expire", "purge"], { message: 'must be "expire" or "purge"' }),
  reason: z.string().max(500, "must be at most 500 characters").optional(),
}).strict();

/** The body of `POST /cache-admin/invalidate`. */
export type InvalidateRequest = z.infer<typeof bodySchema>;

/** What `POST /cache-admin/invalidate` answers. */
export interface InvalidateResponse {
  readonly organization_id: string;
  readonly mode: "expire" | "purge";
  /** The tags bumped and their new versions. */
  readonly invalidated: readonly { tag: string; version: number }[];
  readonly audit_id: number;
}

/**
 * `POST /cache-admin/invalidate` `{organization_id, datasets?, tags?, mode, reason?}`:
 * bumps the tags (all of the organization when neither datasets nor tags are
 * given), writes the audit row and broadcasts on
 * `cache-invalidation:<organization id>`, all in one transaction.
 */
export function invalidateRoute(sql: Sql, verifyToken: AccessTokenVerifier): Route {
  return {
    method: "POST",
    path: "/invalidate",
    handle: async (request) => {
      const identity = await authenticateAdmin(request, verifyToken);
      const body = await readJsonBody(request, bodySchema);
      const organizationId = body.organization_id.toLowerCase();
      const admin = await authorizeOrganizationAdmin(sql, identity, organizationId);
      const tags = invalidationTags({
        organizationId,
        ...(body.datasets ? { datasets: [...new Set(body.datasets)] } : {}),
        ...(body.tags ? { tags: body.tags } : {}),
      });
      const result = await sql.begin(async (tx) => {
        const changes = await invalidateTagsWith(tx, tags, body.mode);
        const bumped = Object.fromEntries(changes.map((change) => [change.tag, change.version]));
        const [audit] = await tx<{ id: string; created_at: Date }[]>`
          insert into cache.invalidation_audit
            (organization_id, actor_user_id, actor_role, mode, datasets, tags, bumped, reason)
          values (${organizationId}, ${admin.userId ?? null}, ${admin.role}, ${body.mode},
                  ${body.datasets ?? []}, ${body.tags ?? []}, ${tx.json(bumped)}, ${
          body.reason ?? null
        })
          returning id, created_at`;
        await tx`
          select realtime.send(
            ${
          tx.json({
            type: "cache_invalidation",
            organization_id: organizationId,
            mode: body.mode,
            datasets: body.datasets ?? [],
            tags: body.tags ?? [],
            timestamp: audit!.created_at.toISOString(),
          })
        }::jsonb,
            'cache_invalidation',
            ${`cache-invalidation:${organizationId}`},
            true
          )`;
        return { changes, auditId: Number(audit!.id) };
      });
      const response: InvalidateResponse = {
        organization_id: organizationId,
        mode: body.mode,
        invalidated: result.changes.map((change) => ({ tag: change.tag, version: change.version })),
        audit_id: result.auditId,
      };
      return Response.json(response);
    },
  };
}
