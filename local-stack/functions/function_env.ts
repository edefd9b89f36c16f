import { join } from "node:path";
import { readEnvFile } from "../env_file.ts";
import {
  LOCAL_ANON_KEY,
  LOCAL_JWKS,
  LOCAL_PUBLISHABLE_KEY,
  LOCAL_SECRET_KEY,
  LOCAL_SERVICE_ROLE_KEY,
} from "../keys.ts";
import { repoRoot, supabaseDir } from "../paths.ts";

/** What a function environment points at. */
export interface FunctionEndpoints {
  /** `SUPABASE_URL`: the gateway's base URL. */
  readonly apiUrl: string;
  /** `SUPABASE_DB_URL`. */
  readonly dbUrl: string;
}

/**
 * The environment the local stack gives every function, as Supabase gives a
 * deployed one: the project's secrets (`.env.example` defaults, overridden by
 * `supabase/functions/.env`), the platform variables, then `extra`.
 */
export function functionEnvironment(
  endpoints: FunctionEndpoints,
  extra: Readonly<Record<string, string>> = {},
): Record<string, string> {
  return {
    ...readEnvFile(join(repoRoot, ".env.example")),
    ...readEnvFile(join(supabaseDir, "functions", ".env")),
    SUPABASE_URL: endpoints.apiUrl,
    SUPABASE_DB_URL: endpoints.dbUrl,
    SUPABASE_ANON_KEY: LOCAL_ANON_KEY,
    SUPABASE_SERVICE_ROLE_KEY: LOCAL_SERVICE_ROLE_KEY,
    SUPABASE_JWKS: JSON.stringify(LOCAL_JWKS),
    // As the CLI's edge runtime passes them (supabase/cli
    // apps/cli-go/internal/functions/serve/templates/main.ts): JSON objects name → key.
    SUPABASE_PUBLISHABLE_KEYS: JSON.stringify({ default: LOCAL_PUBLISHABLE_KEY }),
    SUPABASE_SECRET_KEYS: JSON.stringify({ default: LOCAL_SECRET_KEY }),
    ...extra,
  };
}
