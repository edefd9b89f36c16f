import type { Logger } from "@logtape/logtape";
import { isComputeFailure } from "../cache/errors.ts";
import type { CacheEvents } from "../cache/events.ts";
import { errorChain } from "./error_chain.ts";

/**
 * Writes the cache's events to `log`, each at its level:
 *
 * - `cache:error` of a computation that failed for the caller's fault (a revoked
 *   membership, bad parameters): debug;
 * - `cache:error` of a stale-while-revalidate refresh (`refresh`): warning — the
 *   read was answered from the stale entry (stale-if-error);
 * - `cache:error` of L1 sync, L2 read/write, lease or hit flush: warning — the
 *   read went on without that tier (the request's own line shows the outcome);
 * - `cache:error` of a computation with nothing stale to serve: error;
 * - `cache:lease-takeover`: warning — a computation lease expired before its holder
 *   wrote or gave it back (a crash, a hang, or a computation longer than
 *   `CACHE_LEASE_TTL`), so the key may be computed twice; with `key`,
 *   `organizationId`, `dataset`, `previousHolder`, `previousHolderAgeMs`, `expiredForMs`;
 * - `cache:invalidated`: info; `cache:written`: debug.
 *
 * Hits and misses are not logged one by one: the request line carries `cache`.
 * Returns a function that stops listening.
 */
export function logCacheEvents(events: CacheEvents, log: Logger): () => void {
  const offs = [
    events.on("cache:error", ({ operation, key, error }) => {
      const fields = { event: "cache:error", operation, key, error: errorChain(error) };
      if (!isComputeFailure(error)) log.debug("cache:error {operation}", fields);
      else if (operation === "compute") log.error("cache:error {operation}", fields);
      else if (operation === "refresh") {
        log.warn("cache:error {operation}: served stale (stale-if-error)", fields);
      } else log.warn("cache:error {operation}", fields);
    }),
    events.on("cache:lease-takeover", (event) => {
      log.warn(
        "cache:lease-takeover {key}: the previous holder's lease expired {expiredForMs} ms ago",
        { event: "cache:lease-takeover", ...event },
      );
    }),
    events.on("cache:invalidated", ({ tags, mode }) => {
      log.info("cache:invalidated", { event: "cache:invalidated", mode, tags });
    }),
    events.on("cache:written", (event) => {
      log.debug("cache:written", { event: "cache:written", ...event });
    }),
  ];
  return () => offs.forEach((off) => off());
}
