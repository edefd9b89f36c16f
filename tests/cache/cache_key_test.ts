import assert from "node:assert/strict";
import { thrownBy } from "./support.ts";
import { cacheKey, canonicalizeParams } from "../../shared/cache/cache_key.ts";
import { InvalidCacheKeyError, InvalidTagError } from "../../shared/cache/errors.ts";
import { computeEtag, etagMatches } from "../../shared/cache/etag.ts";
import {
  customTag,
  datasetTag,
  entryTags,
  invalidationTags,
  organizationTag,
} from "../../shared/cache/tags.ts";

const ORG_A = "0b6f4a52-2d1e-4c55-9a7e-1f0c3d2b4a61";
const ORG_B = "7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f";

Deno.test("canonicalizeParams sorts names so parameter order never matters", () => {
  const a = canonicalizeParams(new URLSearchParams("a=1&b=2"));
  const b = canonicalizeParams(new URLSearchParams("b=2&a=1"));
  assert.deepEqual(a, "a=1&b=2");
  assert.deepEqual(a, b);
  assert.deepEqual(canonicalizeParams({ b: 2, a: "1" }), a);
  assert.deepEqual(canonicalizeParams({ z: undefined, a: "1", b: 2 }), a);
  assert.deepEqual(canonicalizeParams({}), "");
  assert.deepEqual(canonicalizeParams(), "");
});

Deno.test("canonicalizeParams encodes values so no value can forge another parameter", () => {
  assert.deepEqual(
    canonicalizeParams({ q: "x&organization_id=other" }),
    "q=x%26organization_id%3Dother",
  );
  assert.notDeepEqual(canonicalizeParams({ a: "1&b=2" }), canonicalizeParams({ a: "1", b: "2" }));
  assert.deepEqual(canonicalizeParams({ flag: null, on: true, n: 1.5 }), "flag&n=1.5&on=true");
  assert.notDeepEqual(canonicalizeParams({ flag: null }), canonicalizeParams({ flag: "" }));
  assert.deepEqual(canonicalizeParams({ ids: ["b", "a"] }), "ids=b&ids=a");
  assert.deepEqual(canonicalizeParams(new URLSearchParams("ids=b&x=1&ids=a")), "ids=b&ids=a&x=1");
});

Deno.test("canonicalizeParams rejects values that cannot be canonical", () => {
  assert.throws(() => canonicalizeParams({ n: Number.NaN }), InvalidCacheKeyError);
  assert.throws(() => canonicalizeParams({ n: Infinity }), InvalidCacheKeyError);
  assert.throws(
    () => canonicalizeParams({ nested: { a: 1 } } as unknown as Record<string, string>),
    InvalidCacheKeyError,
  );
  assert.throws(() => canonicalizeParams({ "": "x" }), InvalidCacheKeyError);
});

Deno.test("cacheKey leads with organization and dataset", () => {
  const key = cacheKey({
    organizationId: ORG_A.toUpperCase(),
    dataset: "price-alerts",
    params: { b: 2, a: 1 },
  });
  assert.deepEqual(key, `${ORG_A}:price-alerts:a=1&b=2`);
  assert.notDeepEqual(
    cacheKey({ organizationId: ORG_A, dataset: "price-alerts" }),
    cacheKey({ organizationId: ORG_B, dataset: "price-alerts" }),
  );
  assert.notDeepEqual(
    cacheKey({ organizationId: ORG_A, dataset: "price-alerts" }),
    cacheKey({ organizationId: ORG_A, dataset: "supplier-data" }),
  );
  // Crafted parameters cannot produce another organization's key.
  const crafted = cacheKey({
    organizationId: ORG_A,
    dataset: "price-alerts",
    params: { x: `:${ORG_B}:price-alerts:` },
  });
  assert.ok(crafted.startsWith(`${ORG_A}:price-alerts:`));
  assert.ok(!crafted.startsWith(`${ORG_B}:`));
});

Deno.test("cacheKey hashes long parameters and rejects malformed parts", () => {
  const long = cacheKey({
    organizationId: ORG_A,
    dataset: "supplier-data",
    params: { q: "x".repeat(600) },
  });
  assert.match(long, new RegExp(`^${ORG_A}:supplier-data:sha256=[0-9a-f]{64}$`));
  assert.notDeepEqual(
    long,
    cacheKey({ organizationId: ORG_A, dataset: "supplier-data", params: { q: "y".repeat(600) } }),
  );
  assert.throws(
    () => cacheKey({ organizationId: "not-a-uuid", dataset: "price-alerts" }),
    /Invalid organization id/,
  );
  assert.throws(
    () => cacheKey({ organizationId: ORG_A, dataset: "Price Alerts" }),
    /Invalid dataset name/,
  );
  assert.throws(() => cacheKey({ organizationId: ORG_A, dataset: "a:b" }), InvalidCacheKeyError);
});

Deno.test("computeEtag is strong, stable and body-specific", () => {
  const etag = computeEtag('{"a":1}');
  assert.match(etag, /^"[0-9a-f]{32}"$/);
  assert.deepEqual(etag, computeEtag('{"a":1}'));
  assert.notDeepEqual(etag, computeEtag('{"a":2}'));
  assert.notDeepEqual(computeEtag("é"), computeEtag("e"));
});

Deno.test("etagMatches follows If-None-Match weak comparison", () => {
  assert.ok(etagMatches('"abc"', '"abc"'));
  assert.ok(etagMatches('W/"abc"', '"abc"'));
  assert.ok(etagMatches('"x", "abc"', '"abc"'));
  assert.ok(etagMatches("*", '"abc"'));
  assert.ok(!etagMatches('"abcd"', '"abc"'));
  assert.ok(!etagMatches("", '"abc"'));
  assert.ok(!etagMatches(null, '"abc"'));
});

Deno.test("tags are scoped to their organization", () => {
  assert.deepEqual(organizationTag(ORG_A.toUpperCase()), `org:${ORG_A}`);
  assert.deepEqual(datasetTag(ORG_A, "price-alerts"), `org:${ORG_A}:dataset:price-alerts`);
  assert.deepEqual(customTag(ORG_A, "supplier-42"), `org:${ORG_A}:tag:supplier-42`);
  assert.deepEqual(entryTags(ORG_A, "supplier-data", ["s1", "s1"]), [
    `org:${ORG_A}`,
    `org:${ORG_A}:dataset:supplier-data`,
    `org:${ORG_A}:tag:s1`,
  ]);
  assert.deepEqual(invalidationTags({ organizationId: ORG_A }), [`org:${ORG_A}`]);
  assert.deepEqual(
    invalidationTags({ organizationId: ORG_A, datasets: ["price-alerts"], tags: ["x"] }),
    [
      `org:${ORG_A}:dataset:price-alerts`,
      `org:${ORG_A}:tag:x`,
    ],
  );
});

Deno.test("customTag rejects empty, long, malformed and too many tags", () => {
  for (const bad of ["", " ", "-x", "x".repeat(129), "a b", "ü", "x/y"]) {
    const error = thrownBy(() => customTag(ORG_A, bad));
    assert.ok(error instanceof InvalidTagError);
    assert.deepEqual(error.code, "E_INVALID_TAG");
    assert.match(error.message, /^Invalid tag: expected 1 to 128 letters/);
  }
  const many = Array.from({ length: 101 }, (_, index) => `t${index}`);
  assert.throws(
    () => invalidationTags({ organizationId: ORG_A, tags: many }),
    /at most 100 per request: received 101/,
  );
});
