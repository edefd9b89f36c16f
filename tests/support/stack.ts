import postgres, { type Sql } from "postgres";
import {
  LOCAL_ANON_KEY,
  LOCAL_JWT_SECRET,
  LOCAL_SERVICE_ROLE_KEY,
} from "../../local-stack/keys.ts";

function setting(name: string, fallback: string): string {
  return Deno.env.get(name) ?? fallback;
}

/**
 * Where the stack under test runs. `deno task test` sets these; without them
 * the tests target a running `deno task dev` stack on the default ports.
 */
export const testStack = {
  dbUrl: setting(
    "NIGHTSHIFT_TEST_DB_URL",
    "postgresql://postgres:postgres@127.0.0.1:54322/postgres",
  ),
  apiUrl: setting("NIGHTSHIFT_TEST_API_URL", "http://127.0.0.1:54321"),
  jwtSecret: setting("NIGHTSHIFT_TEST_JWT_SECRET", LOCAL_JWT_SECRET),
  anonKey: setting("NIGHTSHIFT_TEST_ANON_KEY", LOCAL_ANON_KEY),
  serviceRoleKey: setting("NIGHTSHIFT_TEST_SERVICE_ROLE_KEY", LOCAL_SERVICE_ROLE_KEY),
} as const;

/** URL of a function behind the gateway. */
export function functionUrl(path: string): string {
  return `${testStack.apiUrl}/functions/v1/${path.replace(/^\//, "")}`;
}

/**
 * Opens a superuser connection for a test; close it with `await sql.end()`.
 * Keep pools small: many test files run in one process.
 */
export function connectAsSuperuser(max = 2): Sql {
  return postgres(testStack.dbUrl, { max, onnotice: () => {} });
}
