import type { Sql } from "postgres";
import type { z } from "zod";
import type { CallerVerifier } from "../auth/caller.ts";
import { type AdminIdentity, authenticateAdmin } from "./admin_caller.ts";
import { parseAdminQuery } from "./admin_query.ts";
import { type AdminScope, resolveAdminScope } from "./admin_scope.ts";

/** What an admin route works with once the request is opened. */
export interface OpenedAdminRequest<Q> {
  readonly identity: AdminIdentity;
  readonly query: Q;
  readonly scope: AdminScope;
}

/**
 * The opening every scoped admin route shares, in this order: authenticate the
 * caller (401), validate the query strictly with `schema` (400/413), resolve the
 * scope from its `organization_id` (400 without one for owners and admins, 403
 * for an organization the caller does not administer).
 */
export async function openAdminRequest<
  S extends z.ZodType<{ organization_id?: string | undefined }>,
>(
  deps: { readonly sql: Sql; readonly verifyCaller: CallerVerifier },
  request: Request,
  url: URL,
  schema: S,
): Promise<OpenedAdminRequest<z.infer<S>>> {
  const identity = await authenticateAdmin(request, deps.verifyCaller);
  const query = parseAdminQuery(url, schema);
  const scope = await resolveAdminScope(deps.sql, identity, query.organization_id);
  return { identity, query, scope };
}
