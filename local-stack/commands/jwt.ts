/**
 * `deno task jwt <user-id> [email] [role]`: prints a user access token signed
 * with the local JWT secret, for curl and for browser clients.
 */
import { z } from "zod";
import { mintUserToken } from "../keys.ts";

const args = z.tuple([
  z.uuid({ message: "user-id must be a UUID (an auth.users id)" }),
  z.email().optional(),
  z.enum(["authenticated", "anon", "service_role"]).optional(),
]).safeParse(Deno.args);
if (!args.success) {
  console.error("Usage: deno task jwt <user-id> [email] [role]");
  console.error(args.error.issues.map((issue) => issue.message).join("\n"));
  Deno.exit(2);
}
const [userId, email, role] = args.data;
console.log(
  await mintUserToken({
    userId,
    ...(email ? { email } : {}),
    ...(role ? { role } : {}),
  }),
);
