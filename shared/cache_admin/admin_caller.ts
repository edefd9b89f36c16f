import type { Sql } from "postgres";
import type { CallerVerifier } from "../auth/caller.ts";
import { ForbiddenError, UnauthorizedError } from "../http/errors.ts";

/**
 * Who calls an admin route, once authenticated, with the verified claims to pass
 * on as `request.jwt.claims` when a query runs as the caller.
 */
export type AdminIdentity =
  | {
    readonly role: "service_role";
    readonly userId: undefined;
    readonly claims: Readonly<Record<string, unknown>>;
  }
  | {
    readonly role: "authenticated";
    readonly userId: string;
    readonly claims: Readonly<Record<string, unknown>>;
  };

/** An identity allowed to act on one organization, with the role that allows it. */
export interface OrganizationAdmin {
  readonly organizationId: string;
  readonly userId: string | undefined;
  readonly role: "owner" | "admin" | "service_role";
}

/**
 * Verifies the caller: the service role (secret key or legacy service-role key)
 * or a signed-in user; anon (a publishable key) is refused with 401.
 */
export async function authenticateAdmin(
  request: Request,
  verifyCaller: CallerVerifier,
): Promise<AdminIdentity> {
  const caller = await verifyCaller(request);
  if (caller.role === "service_role") {
    return { role: "service_role", userId: undefined, claims: caller.claims };
  }
  if (caller.role === "authenticated" && caller.userId) {
    return { role: "authenticated", userId: caller.userId, claims: caller.claims };
  }
  throw new UnauthorizedError("Sign in first: cache administration needs an organization admin");
}

/**
 * Allows the service role for any organization, and a user for an
 * organization where they are owner or admin (read now, never cached: admin
 * actions are rare and must follow role changes at once). Anyone else: 403.
 */
export async function authorizeOrganizationAdmin(
  sql: Sql,
  identity: AdminIdentity,
  organizationId: string,
): Promise<OrganizationAdmin> {
  if (identity.role === "service_role") {
    return { organizationId, userId: undefined, role: "service_role" };
  }
  const [membership] = await sql<{ role: "owner" | "admin" | "member" }[]>`
    select role from public.organization_members
     where organization_id = ${organizationId} and user_id = ${identity.userId}`;
  if (membership?.role !== "owner" && membership?.role !== "admin") {
    throw new ForbiddenError(
      `Not an owner or admin of organization ${organizationId}: cache administration is theirs`,
    );
  }
  return { organizationId, userId: identity.userId, role: membership.role };
}
