import type { Sql } from "postgres";
import { z } from "zod";
import type { CallerVerifier } from "../auth/caller.ts";
import type { Route } from "../http/route.ts";
import { authenticateAdmin } from "./admin_caller.ts";
import { parseAdminQuery } from "./admin_query.ts";

const querySchema = z.object({}).strict();

/** One organization as the organizations route lists it. */
export interface ListedOrganization {
  readonly id: string;
  readonly name: string;
  readonly status: "active" | "suspended";
  readonly time_zone: string;
  /** The caller's role there; `service_role` for the service role. */
  readonly role: "owner" | "admin" | "member" | "service_role";
}

/**
 * `GET /cache-admin/organizations`: who the caller is to the admin API, for an
 * admin dashboard deciding what to show. The service role gets every
 * organization; a signed-in user every organization they belong to, with their
 * role (`administers` lists those where they are owner or admin: an empty list
 * means "not an administrator"). Anonymous callers 401, unknown parameters 400.
 */
export function organizationsRoute(sql: Sql, verifyCaller: CallerVerifier): Route {
  return {
    method: "GET",
    path: "/organizations",
    query: true,
    handle: async (request, url) => {
      const identity = await authenticateAdmin(request, verifyCaller);
      parseAdminQuery(url, querySchema);
      const organizations = identity.role === "service_role"
        ? await sql<ListedOrganization[]>`
            select id, name, status, time_zone, 'service_role' as role
            from public.organizations order by name, id`
        : await sql<ListedOrganization[]>`
            select organization.id, organization.name, organization.status,
              organization.time_zone, member.role
            from public.organization_members as member
            join public.organizations as organization on organization.id = member.organization_id
            where member.user_id = ${identity.userId}
            order by organization.name, organization.id`;
      return Response.json({
        role: identity.role,
        user_id: identity.userId ?? null,
        organizations,
        administers: organizations.filter((org) => org.role !== "member").map((org) => org.id),
      }, { headers: { "Cache-Control": "no-store" } });
    },
  };
}
