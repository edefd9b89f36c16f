/**
 * Read statistics of the cache: latency histograms per kind and compute failures,
 * aggregated in the isolate and flushed with the hit batch (cache.record_hits),
 * against the real database with fake time.
 */
import assert from "node:assert/strict";
import { FakeClock } from "../../shared/util/clock.ts";
import { CacheComputeError, InvalidCacheInputError } from "../../shared/cache/errors.ts";
import {
  emptyLatencyCounts,
  latencyBucket,
  latencyQuantile,
  READ_LATENCY_BOUNDS_MS,
  READ_LATENCY_BUCKETS,
} from "../../shared/cache/latency_histogram.ts";
import { PostgresCacheStore } from "../../shared/cache/postgres_store.ts";
import { ForbiddenError } from "../../shared/http/errors.ts";
import { connectAsSuperuser } from "../support/stack.ts";
import { connectAsServiceRole, createStack, newOrganizationId } from "./support.ts";

const T0 = Date.parse("2026-06-01T10:15:00Z");

/** A histogram with `count` reads in the bucket of `ms` for each `[ms, count]`. */
function histogram(...reads: [ms: number, count: number][]): number[] {
  const counts = emptyLatencyCounts();
  for (const [ms, count] of reads) counts[latencyBucket(ms)]! += count;
  return counts;
}

Deno.test("latencyBucket puts a read in the first bucket whose bound it does not exceed", () => {
  assert.equal(READ_LATENCY_BUCKETS, 14);
  assert.deepEqual(
    [0, 1, 1.5, 2, 3, 10, 11, 250, 251, 10_000, 10_001].map(latencyBucket),
    [0, 0, 1, 1, 2, 3, 4, 7, 8, 12, 13],
  );
});

Deno.test("latencyQuantile is the bound of the bucket holding the read of rank ceil(q × n)", async (t) => {
  await t.step("no reads: null", () => {
    assert.equal(latencyQuantile(emptyLatencyCounts(), 0.5), null);
  });
  await t.step("19 fast reads and 1 slow one: p50 and p95 fast, p100 slow", () => {
    const counts = histogram([0.4, 19], [700, 1]);
    assert.equal(latencyQuantile(counts, 0.5), 1);
    assert.equal(latencyQuantile(counts, 0.95), 1); // rank 19 of 20
    assert.equal(latencyQuantile(counts, 1), 1000);
  });
  await t.step("18 fast reads and 2 slow ones: p95 is slow", () => {
    assert.equal(latencyQuantile(histogram([0.4, 18], [700, 2]), 0.95), 1000);
  });
  await t.step("reads slower than the last bound: Infinity", () => {
    assert.equal(latencyQuantile(histogram([20_000, 1]), 0.5), Infinity);
  });
  await t.step("a quantile outside (0, 1] is refused", () => {
    assert.throws(() => latencyQuantile(emptyLatencyCounts(), 0), RangeError);
    assert.throws(() => latencyQuantile(emptyLatencyCounts(), 1.5), RangeError);
  });
  assert.deepEqual(READ_LATENCY_BOUNDS_MS.at(-1), 10_000);
});

Deno.test("CacheStack counts read latency by kind and compute failures, flushed with the hits", async () => {
  const sql = connectAsServiceRole();
  const admin = connectAsSuperuser(1);
  const clock = new FakeClock(T0);
  const stack = createStack(sql, clock);
  const org = newOrganizationId();
  try {
    // price-alerts: fresh for 30 s, kept 5 min.
    const slow = async () => {
      clock.advance(120); // the computation takes 120 ms of cache time
      return await Promise.resolve({ ok: true });
    };
    const fail = () => Promise.reject(new Error("database exploded"));
    const read = (compute: () => Promise<unknown>, params = {}) =>
      stack.get({ organizationId: org, dataset: "price-alerts", params, compute });

    await read(slow); // miss, 120 ms
    await read(slow); // L1 hit, 0 ms
    await read(slow); // L1 hit, 0 ms
    await assert.rejects(read(fail, { a: 1 }), CacheComputeError); // failure 1
    await assert.rejects(
      read(() => Promise.reject(new ForbiddenError("membership revoked")), { a: 2 }),
      ForbiddenError,
      "an error of the request itself is not a failure of the dataset",
    );
    clock.advance(31_000);
    const stale = await read(fail); // stale, refresh fails in the background: failure 2
    assert.equal(stale.status, "STALE");
    await stack.idle();

    await stack.hits.flush();
    const [row] = await admin`
      select hits::int, stale_hits::int, misses::int, compute_failures::int,
        hit_latency_ms::int[] as hit, stale_latency_ms::int[] as stale, miss_latency_ms::int[] as miss
      from cache.counters where organization_id = ${org}::uuid`;
    assert.deepEqual({ ...row }, {
      hits: 2,
      stale_hits: 1,
      misses: 1,
      compute_failures: 2,
      hit: histogram([0, 2]),
      stale: histogram([0, 1]),
      miss: histogram([120, 1]),
    });
  } finally {
    await stack.idle();
    await admin`delete from cache.entries where organization_id = ${org}::uuid`;
    await admin`delete from cache.counters where organization_id = ${org}::uuid`;
    await admin.end();
    await sql.end();
  }
});

Deno.test("cache.record_hits adds latency histograms bucket by bucket and refuses malformed ones", async (t) => {
  const sql = connectAsServiceRole();
  const admin = connectAsSuperuser(1);
  const store = new PostgresCacheStore(sql);
  const org = newOrganizationId();
  const counter = (latencyMs: Record<string, number[]>, computeFailures = 0) => ({
    entries: [],
    counters: [{
      organizationId: org,
      dataset: "supplier-data",
      hits: 1,
      staleHits: 0,
      misses: 1,
      computeFailures,
      latencyMs,
    }],
  });
  try {
    await t.step("two flushes in one hour add up", async () => {
      await store.recordHits(counter({ hit: histogram([3, 2]), miss: histogram([90, 1]) }, 1), T0);
      await store.recordHits(counter({ hit: histogram([3, 1], [40, 4]) }, 2), T0 + 60_000);
      const rows = await admin`
        select compute_failures::int, hit_latency_ms::int[] as hit, stale_latency_ms::int[] as stale,
          miss_latency_ms::int[] as miss
        from cache.counters where organization_id = ${org}::uuid`;
      assert.deepEqual(rows.map((row) => ({ ...row })), [{
        compute_failures: 3,
        hit: histogram([3, 3], [40, 4]),
        stale: emptyLatencyCounts(),
        miss: histogram([90, 1]),
      }]);
    });
    const malformed: [string, Record<string, number[]>][] = [
      ["13 buckets", { hit: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13] }],
      ["a negative count", { miss: [-1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] }],
    ];
    for (const [label, latencyMs] of malformed) {
      await t.step(`${label} is refused and nothing is added`, async () => {
        await assert.rejects(store.recordHits(counter(latencyMs), T0), InvalidCacheInputError);
        const [row] = await admin`
          select hits::int from cache.counters where organization_id = ${org}::uuid`;
        assert.equal(row?.hits, 2);
      });
    }
    await t.step("a negative failure count is refused", async () => {
      await assert.rejects(store.recordHits(counter({}, -1), T0), InvalidCacheInputError);
    });
  } finally {
    await admin`delete from cache.counters where organization_id = ${org}::uuid`;
    await admin.end();
    await sql.end();
  }
});
