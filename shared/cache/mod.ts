/**
 * Nightshift's cache core: tiered (L1 isolate LRU → L2 Postgres), tag-versioned,
 * stale-while-revalidate, single-flight. Start with {@linkcode CacheStack}.
 *
 * @example A cached read in an edge function
 * ```ts ignore
 * import { CacheStack, PostgresCacheStore, readCacheConfig } from "../../../shared/cache/mod.ts";
 *
 * const cache = new CacheStack({ store: new PostgresCacheStore(sql), config: readCacheConfig() });
 * const result = await cache.get({
 *   organizationId,
 *   dataset: "price-alerts",
 *   params: { limit: 20 },
 *   compute: () => loadPriceAlerts(organizationId),
 * });
 * return new Response(result.body, { headers: { ETag: result.etag, "X-Cache": result.status } });
 * ```
 *
 * @module
 */
export * from "./cache_key.ts";
export * from "./cache_result.ts";
export * from "./cache_stack.ts";
export * from "./clock.ts";
export * from "./compute_runner.ts";
export * from "./config.ts";
export * from "./durations.ts";
export * from "./entry.ts";
export * from "./errors.ts";
export * from "./etag.ts";
export * from "./events.ts";
export * from "./hit_recorder.ts";
export * from "./l1_cache.ts";
export * from "./l2_store.ts";
export * from "./latency_histogram.ts";
export * from "./lru_cache.ts";
export * from "./postgres_store.ts";
export * from "./revalidator.ts";
export * from "./single_flight.ts";
export * from "./tag_snapshot.ts";
export * from "./tags.ts";
export * from "./tiers.ts";
export * from "./background_tasks.ts";
