/**
 * What an HTTP cache may do with a stored response, computed from its headers
 * as RFC 9111 prescribes — the arbiter of "Cache-Control never promises
 * freshness an invalidation cannot take back".
 *
 * Sources: RFC 9111 §3 (storing), §4.2.1 (freshness lifetime), §4.2.2
 * (heuristic freshness), §4.2.3 (age), §5.2.2 (response directives).
 *
 * @module
 */

/** Response directives, lower-cased names to their (unquoted) argument or `true`. */
export function cacheDirectives(headers: Headers): Map<string, string | true> {
  const directives = new Map<string, string | true>();
  for (const part of (headers.get("cache-control") ?? "").split(",")) {
    const [name, ...rest] = part.trim().split("=");
    if (!name) continue;
    const argument = rest.join("=").replace(/^"(.*)"$/, "$1");
    directives.set(name.toLowerCase(), rest.length ? argument : true);
  }
  return directives;
}

/** How a cache of the given kind may use a stored response. */
export interface CacheVerdict {
  /** May the cache store it at all (§3, §5.2.2.5 no-store, §5.2.2.7 private)? */
  readonly mayStore: boolean;
  /** Must it revalidate before every reuse (§5.2.2.4 no-cache)? */
  readonly mustRevalidateEveryTime: boolean;
  /** Freshness lifetime in seconds (§4.2.1, with §4.2.2 heuristics), minus the current age. */
  readonly freshForSeconds: number;
  /**
   * Seconds during which the stored body may be used without asking the origin:
   * 0 when it must revalidate, else the remaining freshness plus any
   * stale-while-revalidate / stale-if-error allowance (RFC 5861).
   */
  readonly reusableWithoutOriginSeconds: number;
}

const seconds = (value: string | true | undefined): number | undefined =>
  typeof value === "string" && /^\d+$/.test(value) ? Number(value) : undefined;

/**
 * The verdict of a `shared` (proxy, CDN) or `private` (browser) cache on a
 * response to a request with `Authorization` (§3.5: a shared cache stores those
 * only with public, s-maxage or must-revalidate).
 */
export function cacheVerdict(response: Response, kind: "shared" | "private"): CacheVerdict {
  const directives = cacheDirectives(response.headers);
  const heuristicallyCacheable = [200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501]
    .includes(response.status);
  const explicit = seconds(kind === "shared" ? directives.get("s-maxage") : undefined) ??
    seconds(directives.get("max-age")) ?? expiresLifetime(response.headers);
  const authorizedOk = kind === "private" || directives.has("public") ||
    directives.has("s-maxage") || directives.has("must-revalidate");
  const mayStore = !directives.has("no-store") &&
    !(kind === "shared" && directives.has("private")) && authorizedOk &&
    (explicit !== undefined || heuristicallyCacheable || directives.has("public"));
  const lifetime = explicit ?? heuristicLifetime(response.headers);
  const age = Number(response.headers.get("age") ?? 0);
  const freshForSeconds = Math.max(0, lifetime - age);
  const mustRevalidateEveryTime = directives.has("no-cache");
  const staleAllowance = Math.max(
    seconds(directives.get("stale-while-revalidate")) ?? 0,
    seconds(directives.get("stale-if-error")) ?? 0,
  );
  const reusable = !mayStore || mustRevalidateEveryTime ? 0 : freshForSeconds +
    (directives.has("must-revalidate") ? 0 : staleAllowance);
  return {
    mayStore,
    mustRevalidateEveryTime,
    freshForSeconds,
    reusableWithoutOriginSeconds: reusable,
  };
}

function expiresLifetime(headers: Headers): number | undefined {
  const expires = headers.get("expires");
  if (expires === null) return undefined;
  const at = Date.parse(expires);
  // §5.3: an invalid Expires (e.g. "0") means already expired.
  if (Number.isNaN(at)) return 0;
  const date = Date.parse(headers.get("date") ?? "");
  return Math.max(0, Math.floor((at - (Number.isNaN(date) ? Date.now() : date)) / 1000));
}

/** §4.2.2: caches commonly use 10% of the time since Last-Modified. */
function heuristicLifetime(headers: Headers): number {
  const lastModified = Date.parse(headers.get("last-modified") ?? "");
  if (Number.isNaN(lastModified)) return 0;
  const date = Date.parse(headers.get("date") ?? "");
  return Math.max(
    0,
    Math.floor(((Number.isNaN(date) ? Date.now() : date) - lastModified) / 10_000),
  );
}
