/**
 * Canonical cache keys: `<organization_id>:<dataset>:<canonical params>`.
 *
 * The organization and dataset always lead the key (the `cache.entries` table checks
 * it), so two tenants can never share an entry whatever their parameters, and
 * parameters are canonicalized (keys sorted, values encoded) so `?a=1&b=2` and
 * `?b=2&a=1` share one entry.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { InvalidCacheKeyError } from "./errors.ts";

/** One parameter value. `null` is a flag without a value (`?flag`). */
export type CacheParamValue = string | number | boolean | null;

/**
 * Dataset parameters: a plain object (arrays keep their order: sort sets before
 * passing them) or `URLSearchParams`. `undefined` values and empty arrays are omitted.
 */
export type CacheParams =
  | URLSearchParams
  | Readonly<Record<string, CacheParamValue | readonly CacheParamValue[] | undefined>>;

/** The parts of a cache key. */
export interface CacheKeyParts {
  /** Organization UUID (any case; stored lower-case). */
  readonly organizationId: string;
  /** Dataset name: lower-case letters, digits and `-`. */
  readonly dataset: string;
  /** Dataset parameters. @default {{}} */
  readonly params?: CacheParams;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DATASET = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** Canonical parameters longer than this are replaced by their SHA-256 in the key. */
export const MAX_LITERAL_PARAMS_LENGTH = 512;

function encodeValue(name: string, value: CacheParamValue): string {
  if (value === null) return encodeURIComponent(name);
  if (typeof value === "number" && !Number.isFinite(value)) {
    throw new InvalidCacheKeyError(
      `Invalid cache parameter: ${name} must be a finite number: received ${value}`,
      { parameter: name },
    );
  }
  return `${encodeURIComponent(name)}=${encodeURIComponent(String(value))}`;
}

/**
 * Canonical text of dataset parameters: `name=value` pairs joined by `&`, names sorted
 * by code unit, values of one name in the order given.
 *
 * @example Order does not matter
 * ```ts
 * import assert from "node:assert/strict";
 * import { canonicalizeParams } from "./cache_key.ts";
 *
 * assert.deepEqual(
 *   canonicalizeParams(new URLSearchParams("b=2&a=1")),
 *   canonicalizeParams({ a: 1, b: "2" }),
 * );
 * ```
 */
export function canonicalizeParams(params: CacheParams = {}): string {
  const grouped = new Map<string, CacheParamValue[]>();
  const entries: Iterable<[string, unknown]> = params instanceof URLSearchParams
    ? params.entries()
    : Object.entries(params);
  for (const [name, value] of entries) {
    if (name === "") {
      throw new InvalidCacheKeyError("Invalid cache parameter: names must not be empty");
    }
    if (value === undefined) continue;
    const values = grouped.get(name) ?? [];
    for (const item of Array.isArray(value) ? value : [value]) {
      if (
        item !== null && typeof item !== "string" && typeof item !== "number" &&
        typeof item !== "boolean"
      ) {
        throw new InvalidCacheKeyError(
          `Invalid cache parameter: ${name} must be a string, number, boolean or null`,
          { parameter: name },
        );
      }
      values.push(item);
    }
    if (values.length > 0) grouped.set(name, values);
  }
  return [...grouped.keys()]
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .flatMap((name) => grouped.get(name)!.map((value) => encodeValue(name, value)))
    .join("&");
}

/**
 * The cache key of a dataset read. Throws {@linkcode InvalidCacheKeyError} for a
 * malformed organization id or dataset name.
 *
 * @example A key
 * ```ts
 * import assert from "node:assert/strict";
 * import { cacheKey } from "./cache_key.ts";
 *
 * assert.deepEqual(
 *   cacheKey({
 *     organizationId: "7D9A5C1E-0000-4000-8000-000000000001",
 *     dataset: "price-alerts",
 *     params: { limit: 10, from: "2026-01-01" },
 *   }),
 *   "7d9a5c1e-0000-4000-8000-000000000001:price-alerts:from=2026-01-01&limit=10",
 * );
 * ```
 */
export function cacheKey(parts: CacheKeyParts): string {
  const organizationId = parts.organizationId.toLowerCase();
  if (!UUID.test(organizationId)) {
    throw new InvalidCacheKeyError(
      `Invalid organization id: expected a UUID: received ${JSON.stringify(parts.organizationId)}`,
    );
  }
  if (!DATASET.test(parts.dataset)) {
    throw new InvalidCacheKeyError(
      "Invalid dataset name: expected lower-case letters, digits and - (at most 63): " +
        `received ${JSON.stringify(parts.dataset)}`,
    );
  }
  const canonical = canonicalizeParams(parts.params);
  const params = canonical.length <= MAX_LITERAL_PARAMS_LENGTH
    ? canonical
    : `sha256=${createHash("sha256").update(canonical).digest("hex")}`;
  return `${organizationId}:${parts.dataset}:${params}`;
}
