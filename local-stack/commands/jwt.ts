/**
 * `./nightshift jwt <user-id> [email] [role] [--es256]`: prints a user access token
 * signed with the local JWT secret (or, with --es256, the local asymmetric
 * signing key published at /auth/v1/.well-known/jwks.json), for curl and clients.
 */
import { z } from "zod";
import { mintUserToken } from "../keys.ts";

const es256 = Deno.args.includes("--es256");
const args = z.tuple([
  z.uuid({ message: "user-id must be a UUID (an auth.users id)" }),
  z.email().optional(),
  z.enum(["authenticated", "anon", "service_role"]).optional(),
]).safeParse(Deno.args.filter((arg) => arg !== "--es256"));
if (!args.success) {
  console.error("Usage: ./nightshift jwt <user-id> [email] [role] [--es256]");
  console.error(args.error.issues.map((issue) => issue.message).join("\n"));
  Deno.exit(2);
}
const [userId, email, role] = args.data;
console.log(
  await mintUserToken({
    userId,
    ...(email ? { email } : {}),
    ...(role ? { role } : {}),
    ...(es256 ? { algorithm: "ES256" as const } : {}),
  }),
);
