/**
 * `datasets`: per-organization analytics and reference data from the tiered cache.
 *
 * GET /functions/v1/datasets/<dataset>?organization_id=<uuid>[&params]
 * with `Authorization: Bearer <user access token>` (or a secret key / the service-role key).
 * See README "Cached reads" for datasets, parameters, headers and errors.
 */
import { CacheStack } from "../../../shared/cache/cache_stack.ts";
import { startHitFlushTimer } from "../../../shared/cache/hit_flush_timer.ts";
import { readCacheConfig } from "../../../shared/cache/config.ts";
import { DatabaseClock } from "../../../shared/cache/database_clock.ts";
import { PostgresCacheStore } from "../../../shared/cache/postgres_store.ts";
import { readDatasetsSettings } from "../../../shared/datasets/datasets_settings.ts";
import { createDatasetsHandler } from "../../../shared/datasets/datasets_handler.ts";
import { MembershipChecker } from "../../../shared/datasets/membership.ts";
import { datasetTiers } from "../../../shared/datasets/registry.ts";
import { createDatabaseClient } from "../../../shared/db/client.ts";
import { readFunctionEnv } from "../../../shared/env.ts";
import { callerVerifier, readFunctionSettings } from "../../../shared/function_settings.ts";
import { createShell, shellHeadersOf } from "../../../shared/http/app.ts";
import { MethodNotAllowedError } from "../../../shared/http/errors.ts";
import { logCacheEvents } from "../../../shared/log/cache_event_log.ts";
import { errorChain } from "../../../shared/log/error_chain.ts";
import { configureLogging, logger } from "../../../shared/log/logging.ts";

const env = readFunctionEnv();
const shared = readFunctionSettings();
configureLogging({ level: shared.LOG_LEVEL });
const log = logger("datasets");
const settings = readDatasetsSettings();
const cacheConfig = readCacheConfig(undefined, datasetTiers());
const sql = createDatabaseClient(env.SUPABASE_DB_URL, { maxConnections: 5 });
// Times stored in L2 (freshness, leases, hit buckets) come from the database's clock.
const clock = new DatabaseClock({ sql });
await clock.sync().catch((error) =>
  log.warn("clock sync failed", { event: "clock.sync", error: errorChain(error) })
);
const cache = new CacheStack({ store: new PostgresCacheStore(sql), config: cacheConfig, clock });
logCacheEvents(cache.events, logger("datasets", "cache"));

// Hit counts are aggregated in the isolate: written on a timer (also when no
// later read comes), and flushed before the isolate goes away.
if (cacheConfig.hitFlushIntervalMs > 0) {
  startHitFlushTimer(cache.hits, cacheConfig.hitFlushIntervalMs);
}
addEventListener("beforeunload", () => {
  cache.hits.flush().catch((error) =>
    log.error("hit flush failed", { event: "hits.flush", error: errorChain(error) })
  );
});

const app = createShell({
  name: "datasets",
  allowedOrigins: shared.CORS_ALLOWED_ORIGINS,
  log,
  // The answer depends on who calls (a member, another user, no one).
  vary: ["Authorization", "apikey"],
  // The server cache's window of the body (see dataset_response.ts).
  exposeHeaders: ["x-generated-at", "x-fresh-until"],
});
app.on(
  ["GET", "HEAD"],
  "/*",
  createDatasetsHandler({
    sql,
    cache,
    cacheConfig,
    verifyCaller: callerVerifier(shared, env),
    membership: new MembershipChecker(sql, { ttlMs: settings.DATASETS_MEMBERSHIP_TTL }),
    shellHeaders: shellHeadersOf(app),
  }),
);
app.all("/*", () => {
  throw new MethodNotAllowedError(["GET", "HEAD", "OPTIONS"]);
});

Deno.serve(app.fetch);
