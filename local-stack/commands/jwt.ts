/**
 * `./nightshift jwt <user-id> [email] [role] [--es256]`: prints a user access token
 * signed with the local JWT secret (or, with --es256, the local asymmetric
 * signing key published at /auth/v1/.well-known/jwks.json), for curl and clients.
 * Its `iss` is the Auth URL of the stack of supabase/config.toml (`[api] port`),
 * as that stack's GoTrue would issue it.
 */
import { z } from "zod";
import { localAuthIssuer, mintUserToken } from "../keys.ts";
import { localStackUrls } from "../local_urls.ts";
import { type ProjectConfig, readProjectConfig } from "../project_config.ts";

const argsSchema = z.tuple([
  z.uuid({ message: "user-id must be a UUID (an auth.users id)" }),
  z.email().optional(),
  z.enum(["authenticated", "anon", "service_role"]).optional(),
]);

/**
 * The token `./nightshift jwt` prints for `argv` (command-line arguments) on the
 * stack of `config`. Returns `{ error }` (the usage problems, one per line) for
 * bad arguments instead; `error` is empty when no user id is given at all (the
 * usage line says everything).
 */
export async function jwtCommandToken(
  argv: readonly string[],
  config: Pick<ProjectConfig, "apiPort" | "dbPort"> = readProjectConfig(),
): Promise<{ token: string } | { error: string }> {
  const es256 = argv.includes("--es256");
  const positional = argv.filter((arg) => arg !== "--es256");
  if (positional.length === 0) return { error: "" };
  const args = argsSchema.safeParse(positional);
  if (!args.success) {
    return { error: args.error.issues.map((issue) => issue.message).join("\n") };
  }
  const [userId, email, role] = args.data;
  const token = await mintUserToken({
    userId,
    issuer: localAuthIssuer(localStackUrls(config).apiUrl),
    ...(email ? { email } : {}),
    ...(role ? { role } : {}),
    ...(es256 ? { algorithm: "ES256" as const } : {}),
  });
  return { token };
}

if (import.meta.main) {
  const result = await jwtCommandToken(Deno.args);
  if ("error" in result) {
    console.error("Usage: ./nightshift jwt <user-id> [email] [role] [--es256]");
    if (result.error) console.error(result.error);
    Deno.exit(2);
  }
  console.log(result.token);
}
