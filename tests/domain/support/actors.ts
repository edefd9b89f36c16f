import type { Actor } from "../../support/as_role.ts";
import type { TwoTenants } from "./tenants.ts";

/** The people the tenant-security tests act as. */
export const ACTOR_NAMES = [
  "anon",
  "memberOfA",
  "memberOfB",
  "adminOfA",
  "ownerOfA",
  "removedFromA",
  "serviceRole",
] as const;

/** One of `ACTOR_NAMES`. */
export type ActorName = typeof ACTOR_NAMES[number];

/** The API role and JWT claims of a named actor in the two-tenant fixture. */
export function actorFor(name: ActorName, t: TwoTenants): Actor {
  switch (name) {
    case "anon":
      return { role: "anon" };
    case "serviceRole":
      return { role: "service_role" };
    case "memberOfA":
      return { role: "authenticated", userId: t.memberA };
    case "memberOfB":
      return { role: "authenticated", userId: t.memberB };
    case "adminOfA":
      return { role: "authenticated", userId: t.adminA };
    case "ownerOfA":
      return { role: "authenticated", userId: t.ownerA };
    case "removedFromA":
      return { role: "authenticated", userId: t.removedA };
  }
}

/** The user id of an actor, or `fallback` for anon and service_role. */
export function userIdOf(actor: Actor, fallback: string): string {
  return actor.role === "authenticated" ? actor.userId : fallback;
}
