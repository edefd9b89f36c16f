import type { Sql } from "postgres";
import { ForbiddenError, InvalidRequestError } from "../http/errors.ts";
import { type AdminIdentity, authorizeOrganizationAdmin } from "./admin_caller.ts";

/**
 * What an admin request may see and act on: one organization, or every
 * organization (`organizationId: null`, the service role only).
 */
export interface AdminScope {
  readonly organizationId: string | null;
  /** auth.users id of the caller; null for the service role. */
  readonly actorUserId: string | null;
  readonly actorRole: "owner" | "admin" | "service_role";
}

/**
 * The scope of a request: the service role may name an organization or none
 * (every organization); an owner or admin must name one they administer
 * (400 without it, 403 for another organization).
 */
export async function resolveAdminScope(
  sql: Sql,
  identity: AdminIdentity,
  organizationId: string | undefined,
): Promise<AdminScope> {
  if (organizationId === undefined) {
    if (identity.role === "service_role") {
      return { organizationId: null, actorUserId: null, actorRole: "service_role" };
    }
    throw new InvalidRequestError(
      "Missing organization_id: owners and admins act on one organization: add organization_id",
    );
  }
  const admin = await authorizeOrganizationAdmin(sql, identity, organizationId);
  return { organizationId, actorUserId: admin.userId ?? null, actorRole: admin.role };
}

/** Refuses anyone but the service role (403), for routes about the whole cache. */
export function requireServiceRole(identity: AdminIdentity, what: string): void {
  if (identity.role !== "service_role") {
    throw new ForbiddenError(`Service role only: ${what} covers every organization`);
  }
}
