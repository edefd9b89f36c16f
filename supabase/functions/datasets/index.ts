/**
 * `datasets`: per-organization analytics and reference data from the tiered cache.
 *
 * GET /functions/v1/datasets/<dataset>?organization_id=<uuid>[&params]
 * with `Authorization: Bearer <user access token>` (or the service-role key).
 * See README "Cached reads" for datasets, parameters, headers and errors.
 */
import { CacheStack } from "../../../shared/cache/cache_stack.ts";
import { startHitFlushTimer } from "../../../shared/cache/hit_flush_timer.ts";
import { readCacheConfig } from "../../../shared/cache/config.ts";
import { DatabaseClock } from "../../../shared/cache/database_clock.ts";
import { PostgresCacheStore } from "../../../shared/cache/postgres_store.ts";
import { readDatasetsConfig } from "../../../shared/datasets/datasets_config.ts";
import { createDatasetsHandler } from "../../../shared/datasets/datasets_handler.ts";
import { MembershipChecker } from "../../../shared/datasets/membership.ts";
import { datasetTiers } from "../../../shared/datasets/registry.ts";
import { createDatabaseClient } from "../../../shared/db/client.ts";
import { readFunctionEnv } from "../../../shared/env.ts";
import { projectTokenVerifier, readFunctionSettings } from "../../../shared/function_settings.ts";

const env = readFunctionEnv();
const shared = readFunctionSettings();
const settings = readDatasetsConfig();
const cacheConfig = readCacheConfig(undefined, datasetTiers());
const sql = createDatabaseClient(env.SUPABASE_DB_URL, { maxConnections: 5 });
// Times stored in L2 (freshness, leases, hit buckets) come from the database's clock.
const clock = new DatabaseClock({ sql });
await clock.sync().catch((error) => console.error("datasets: clock sync failed:", error.message));
const cache = new CacheStack({ store: new PostgresCacheStore(sql), config: cacheConfig, clock });

// Hit counts are aggregated in the isolate: written on a timer (also when no
// later read comes), and flushed before the isolate goes away.
if (cacheConfig.hitFlushIntervalMs > 0) {
  startHitFlushTimer(cache.hits, cacheConfig.hitFlushIntervalMs);
}
addEventListener("beforeunload", () => {
  cache.hits.flush().catch((error) => console.error("datasets: hit flush failed:", error));
});

Deno.serve(createDatasetsHandler({
  sql,
  cache,
  cacheConfig,
  verifyToken: projectTokenVerifier(shared, env.SUPABASE_URL),
  membership: new MembershipChecker(sql, { ttlMs: settings.DATASETS_MEMBERSHIP_TTL }),
  allowedOrigins: shared.CORS_ALLOWED_ORIGINS,
}));
