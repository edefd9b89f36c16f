import postgres, { type Sql } from "postgres";
import { localStackUrls } from "../../local-stack/local_urls.ts";
import {
  LOCAL_ANON_KEY,
  LOCAL_JWT_SECRET,
  LOCAL_SERVICE_ROLE_KEY,
} from "../../local-stack/keys.ts";

function setting(name: string, fallback: string): string {
  return Deno.env.get(name) ?? fallback;
}

/**
 * Where the stack under test runs. `./nightshift test` sets these; without them
 * the tests target a running `./nightshift dev` stack on the ports of
 * supabase/config.toml.
 */
const devStack = localStackUrls();
export const testStack = {
  dbUrl: setting("NIGHTSHIFT_TEST_DB_URL", devStack.dbUrl),
  /** The bootstrap superuser's URL: only for tests of the platform itself (partitions, ownership). */
  adminDbUrl: setting(
    "NIGHTSHIFT_TEST_ADMIN_DB_URL",
    devStack.dbUrl.replace("//postgres:", "//supabase_admin:"),
  ),
  apiUrl: setting("NIGHTSHIFT_TEST_API_URL", devStack.apiUrl),
  jwtSecret: setting("NIGHTSHIFT_TEST_JWT_SECRET", LOCAL_JWT_SECRET),
  anonKey: setting("NIGHTSHIFT_TEST_ANON_KEY", LOCAL_ANON_KEY),
  serviceRoleKey: setting("NIGHTSHIFT_TEST_SERVICE_ROLE_KEY", LOCAL_SERVICE_ROLE_KEY),
} as const;

/** URL of a function behind the gateway. */
export function functionUrl(path: string): string {
  return `${testStack.apiUrl}/functions/v1/${path.replace(/^\//, "")}`;
}

/**
 * Opens a connection as `postgres` for a test, the role migrations, the seed
 * and the SQL editor use on hosted Supabase: NOSUPERUSER BYPASSRLS. Close it
 * with `await sql.end()`. Keep pools small: many test files run in one process.
 */
export function connectAsPostgres(max = 2): Sql {
  return postgres(testStack.dbUrl, { max, onnotice: () => {} });
}

/**
 * The same as `connectAsPostgres`: `postgres` is no superuser any more (kept
 * for the tests written before; new tests call `connectAsPostgres`).
 * @deprecated Use `connectAsPostgres`.
 */
export const connectAsSuperuser: (max?: number) => Sql = connectAsPostgres;

/**
 * Opens a connection as the bootstrap superuser `supabase_admin`, for tests of
 * the platform emulation itself (what the Realtime server or pg_net's worker do).
 */
export function connectAsPlatformAdmin(max = 1): Sql {
  return postgres(testStack.adminDbUrl, { max, onnotice: () => {} });
}
