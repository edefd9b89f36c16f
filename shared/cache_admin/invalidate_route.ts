import type { Sql } from "postgres";
import { z } from "zod";
import type { CallerVerifier } from "../auth/caller.ts";
import { invalidationTags, MAX_CUSTOM_TAGS } from "../cache/tags.ts";
import { DATASET_NAMES } from "../datasets/registry.ts";
import type { InvalidationNotice } from "../invalidation/invalidation_notice.ts";
import { readJsonBody } from "../http/json_body.ts";
import { authenticateAdmin, authorizeOrganizationAdmin } from "./admin_caller.ts";
import type { Route } from "../http/route.ts";

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
  /** The notice broadcast on `cache-invalidation:<organization id>`. */
  readonly notice: InvalidationNotice;
}

/** What `cache.invalidate` returns. */
interface InvalidateResult {
  readonly audit_id: number;
  readonly notice: InvalidationNotice;
  readonly bumped: Readonly<Record<string, number>>;
}

/**
 * `POST /cache-admin/invalidate` `{organization_id, datasets?, tags?, mode, reason?}`:
 * bumps the tags (all of the organization when neither datasets nor tags are
 * given), writes the audit row and broadcasts the notice on
 * `cache-invalidation:<organization id>`, in one call of `cache.invalidate`
 * (one transaction).
 */
export function invalidateRoute(sql: Sql, verifyCaller: CallerVerifier): Route {
  return {
    method: "POST",
    path: "/invalidate",
    body: "json",
    handle: async (request) => {
      const identity = await authenticateAdmin(request, verifyCaller);
      const body = await readJsonBody(request, bodySchema);
      const organizationId = body.organization_id.toLowerCase();
      const admin = await authorizeOrganizationAdmin(sql, identity, organizationId);
      // Scoped here too: a bad tag is refused (400) before anything is written.
      const tags = invalidationTags({
        organizationId,
        ...(body.datasets ? { datasets: body.datasets } : {}),
        ...(body.tags ? { tags: body.tags } : {}),
      });
      const details = body.reason === undefined ? {} : { reason: body.reason };
      const [row] = await sql<{ result: InvalidateResult }[]>`
        select cache.invalidate(
          ${organizationId}::uuid, ${body.datasets ?? null}::text[], ${body.tags ?? null}::text[],
          ${body.mode}, 'admin', ${sql.json(details)}, ${admin.userId ?? null}::uuid, ${admin.role}
        ) as result`;
      const result = row!.result;
      const response: InvalidateResponse = {
        organization_id: organizationId,
        mode: body.mode,
        invalidated: tags.map((tag) => ({ tag, version: result.bumped[tag]! })),
        audit_id: result.audit_id,
        notice: result.notice,
      };
      return Response.json(response);
    },
  };
}
