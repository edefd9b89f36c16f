/**
 * The canonical path and query of a dataset read (`datasets/<name>?…`): names
 * sorted, absent values dropped, so equal queries give equal URLs (one ETag
 * store entry, one query key).
 *
 * @module
 */

/** Parameter values a dataset query may hold. */
export type QueryValue = string | number | boolean | null | undefined;

/** The given parameters, sorted by name (absent and null ones dropped). */
export function canonicalParams(
  params: Readonly<Record<string, QueryValue>>,
): Record<string, string | number | boolean> {
  const entries = Object.entries(params)
    .filter((entry): entry is [string, string | number | boolean] =>
      entry[1] !== undefined && entry[1] !== null
    )
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries);
}

/**
 * `<function>/<dataset>?<sorted query>`, relative to `/functions/v1/`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { datasetPath } from "./dataset_url.ts";
 *
 * assert.equal(
 *   datasetPath("datasets", "supplier-data", { organization_id: "o", limit: 5, from: undefined }),
 *   "datasets/supplier-data?limit=5&organization_id=o",
 * );
 * ```
 */
export function datasetPath(
  functionName: string,
  dataset: string,
  params: Readonly<Record<string, QueryValue>>,
): string {
  const query = new URLSearchParams(
    Object.entries(canonicalParams(params)).map((
      [name, value],
    ) => [name, String(value)]),
  );
  return `${functionName}/${encodeURIComponent(dataset)}?${query}`;
}
