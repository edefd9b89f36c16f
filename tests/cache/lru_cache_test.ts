import assert from "node:assert/strict";
import { LruCache } from "../../shared/cache/lru_cache.ts";

Deno.test("LruCache evicts the least recently used entry beyond maxEntries", () => {
  const cache = new LruCache<string, string>({ maxEntries: 3 });
  for (const key of ["a", "b", "c"]) cache.set(key, key);
  assert.deepEqual(cache.get("a"), "a"); // a becomes most recent
  cache.set("d", "d");
  assert.deepEqual([...cache.keys()], ["c", "a", "d"]);
  assert.deepEqual(cache.get("b"), undefined);
  assert.deepEqual(cache.size, 3);
  cache.peek("c"); // peek does not refresh recency
  cache.set("e", "e");
  assert.deepEqual([...cache.keys()], ["a", "d", "e"]);
});

Deno.test("LruCache evicts by total bytes", () => {
  const cache = new LruCache<string, string>({
    maxEntries: 100,
    maxBytes: 10,
    sizeOf: (v) => v.length,
  });
  cache.set("a", "xxxx");
  cache.set("b", "xxxx");
  assert.deepEqual(cache.bytes, 8);
  cache.set("c", "xxxx"); // 12 > 10: a goes
  assert.deepEqual([...cache.keys()], ["b", "c"]);
  assert.deepEqual(cache.bytes, 8);
  cache.set("b", "x"); // replacing counts the new size only
  assert.deepEqual(cache.bytes, 5);
  cache.set("big", "xxxxxxxxx"); // 5 + 9 > 10: evicts the least recent (c) until it fits
  assert.deepEqual([...cache.keys()], ["b", "big"]);
  assert.deepEqual(cache.bytes, 10);
});

Deno.test("LruCache refuses a value larger than maxBytes and keeps the rest", () => {
  const cache = new LruCache<string, string>({ maxBytes: 4, sizeOf: (v) => v.length });
  cache.set("a", "xx");
  assert.deepEqual(cache.set("huge", "xxxxx"), false);
  assert.deepEqual([...cache.keys()], ["a"]);
  assert.deepEqual(cache.set("a", "xxxxx"), false); // an oversize replacement removes the old value
  assert.deepEqual(cache.size, 0);
  assert.deepEqual(cache.bytes, 0);
});

Deno.test("LruCache delete and clear keep byte accounting", () => {
  const cache = new LruCache<string, string>({ sizeOf: (v) => v.length });
  cache.set("a", "xxx");
  cache.set("b", "yy");
  assert.deepEqual(cache.delete("a"), true);
  assert.deepEqual(cache.delete("a"), false);
  assert.deepEqual(cache.bytes, 2);
  cache.clear();
  assert.deepEqual([cache.size, cache.bytes], [0, 0]);
});

Deno.test("LruCache rejects bounds that are not positive integers", () => {
  assert.throws(
    () => new LruCache({ maxEntries: 0 }),
    {
      name: "RangeError",
      message: "Cannot create cache: maxEntries must be a positive integer: received 0",
    },
  );
  assert.throws(() => new LruCache({ maxBytes: 1.5 }), RangeError);
});
