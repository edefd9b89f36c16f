/**
 * Strong ETags computed once from the serialized body, stored with the entry, and
 * `If-None-Match` matching for 304 responses.
 *
 * @module
 */
import { createHash } from "node:crypto";

/**
 * The strong ETag of a serialized body: the first 128 bits of its SHA-256, quoted.
 * Equal bodies have equal ETags, in every isolate.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { computeEtag } from "./etag.ts";
 *
 * assert.match(computeEtag('{"a":1}'), /^"[0-9a-f]{32}"$/);
 * assert.deepEqual(computeEtag("x"), computeEtag("x"));
 * ```
 */
export function computeEtag(body: string): string {
  return `"${createHash("sha256").update(body).digest("hex").slice(0, 32)}"`;
}

/**
 * True when an `If-None-Match` header value matches `etag` (weak comparison, as
 * RFC 9110 prescribes for If-None-Match): `*`, or any listed tag equal to it with or
 * without `W/`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { etagMatches } from "./etag.ts";
 *
 * assert.ok(etagMatches('"a", W/"b"', '"b"'));
 * assert.ok(!etagMatches(null, '"b"'));
 * ```
 */
export function etagMatches(ifNoneMatch: string | null | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const opaque = etag.replace(/^W\//, "");
  return ifNoneMatch.split(",").some((candidate) => {
    const tag = candidate.trim();
    return tag === "*" || tag.replace(/^W\//, "") === opaque;
  });
}
