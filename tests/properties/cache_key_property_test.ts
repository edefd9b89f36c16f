/**
 * Properties of cache keys: the order parameters come in never changes the
 * key; different parameter values never share a key; a key names its
 * organization and dataset first, so tenants cannot collide.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { cacheKey, canonicalizeParams } from "../../shared/cache/cache_key.ts";

const name = fc.string({ unit: "binary", minLength: 1, maxLength: 12 });
const value = fc.oneof(fc.string({ unit: "binary", maxLength: 20 }), fc.integer(), fc.boolean());

Deno.test("canonicalizeParams ignores order and keeps values apart", () => {
  fc.assert(fc.property(fc.dictionary(name, value, { maxKeys: 6 }), (params) => {
    const reversed = Object.fromEntries(Object.entries(params).reverse());
    assert.equal(canonicalizeParams(params), canonicalizeParams(reversed));
    const asQuery = new URLSearchParams(
      Object.entries(params).map(([key, item]) => [key, String(item)]),
    );
    assert.equal(canonicalizeParams(asQuery), canonicalizeParams(params));
  }));
  fc.assert(fc.property(
    fc.dictionary(name, fc.string({ unit: "binary", maxLength: 20 }), { minKeys: 1, maxKeys: 4 }),
    fc.dictionary(name, fc.string({ unit: "binary", maxLength: 20 }), { minKeys: 1, maxKeys: 4 }),
    (a, b) => {
      const same = JSON.stringify(Object.entries(a).sort()) ===
        JSON.stringify(Object.entries(b).sort());
      assert.equal(canonicalizeParams(a) === canonicalizeParams(b), same);
    },
  ));
});

Deno.test("cacheKey starts with the organization and dataset, whatever the parameters", () => {
  fc.assert(fc.property(fc.uuid(), fc.dictionary(name, value, { maxKeys: 6 }), (org, params) => {
    const key = cacheKey({ organizationId: org, dataset: "price-alerts", params });
    assert.ok(key.startsWith(`${org.toLowerCase()}:price-alerts:`));
  }));
});
