/**
 * The local stack's URLs, from the ports of supabase/config.toml: what every
 * tool (generator, tests, benchmarks) targets by default, so a checkout with
 * other ports never reaches another checkout's stack.
 *
 * @module
 */
import { LOCAL_DB_PASSWORD } from "./postgres/cluster.ts";
import { type ProjectConfig, readProjectConfig } from "./project_config.ts";

/** The dev stack's functions base URL and database URL (superuser `postgres`). */
export function localStackUrls(
  config: Pick<ProjectConfig, "apiPort" | "dbPort"> = readProjectConfig(),
): { apiUrl: string; dbUrl: string } {
  return {
    apiUrl: `http://127.0.0.1:${config.apiPort}`,
    dbUrl: `postgresql://postgres:${LOCAL_DB_PASSWORD}@127.0.0.1:${config.dbPort}/postgres`,
  };
}
