/**
 * CacheStack semantics in one isolate, against the real database, with fake time.
 */
import assert from "node:assert/strict";
import type { Sql } from "postgres";
import { CacheStack } from "../../shared/cache/cache_stack.ts";
import { FakeClock } from "../../shared/util/clock.ts";
import { cacheKey } from "../../shared/cache/cache_key.ts";
import { CacheComputeError, InvalidCacheKeyError } from "../../shared/cache/errors.ts";
import type { CacheEventName } from "../../shared/cache/events.ts";
import type {
  HitBatch,
  LeaseRequest,
  LeaseResult,
  ReadOrLeaseResult,
  StoreReadResult,
} from "../../shared/cache/l2_store.ts";
import { PostgresCacheStore } from "../../shared/cache/postgres_store.ts";
import { NotFoundError } from "../../shared/http/errors.ts";
import { connectAsSuperuser } from "../support/stack.ts";
import {
  connectAsServiceRole,
  countingCompute,
  createStack,
  newOrganizationId,
  testConfig,
} from "./support.ts";

const T0 = Date.parse("2026-04-01T08:00:00Z");

interface Fixture {
  sql: Sql;
  clock: FakeClock;
  stack: CacheStack;
  org: string;
}

async function withStack(
  work: (fixture: Fixture) => Promise<void>,
  env: Record<string, string> = {},
): Promise<void> {
  const sql = connectAsServiceRole();
  const clock = new FakeClock(T0);
  const stack = createStack(sql, clock, { env });
  try {
    await work({ sql, clock, stack, org: newOrganizationId() });
  } finally {
    await stack.idle();
    await sql.end();
  }
}

/** The real store, counting its hit flushes. */
class CountingStore extends PostgresCacheStore {
  flushes = 0;
  override recordHits(batch: HitBatch, now: number): Promise<void> {
    this.flushes++;
    return super.recordHits(batch, now);
  }
}

/** The real store, recording which L2 statements the stack sends. */
class StatementLog extends PostgresCacheStore {
  sent: string[] = [];
  override read(key: string, org: string, now: number): Promise<StoreReadResult | undefined> {
    this.sent.push("read");
    return super.read(key, org, now);
  }
  override readOrLease(
    key: string,
    org: string,
    now: number,
    lease: LeaseRequest,
  ): Promise<ReadOrLeaseResult> {
    this.sent.push("readOrLease");
    return super.readOrLease(key, org, now, lease);
  }
  override acquireLease(
    key: string,
    holder: string,
    tags: readonly string[],
    ttlMs: number,
    now: number,
  ): Promise<LeaseResult> {
    this.sent.push("acquireLease");
    return super.acquireLease(key, holder, tags, ttlMs, now);
  }
  take(): string[] {
    const sent = this.sent.filter((name) => name !== "write");
    this.sent = [];
    return sent;
  }
}

function body(result: { body: string }): unknown {
  return JSON.parse(result.body);
}

Deno.test("CacheStack.get goes fresh → stale → expired with time (price-alerts: 30 s / 5 min)", () =>
  withStack(async ({ sql, clock, stack, org }) => {
    const counter = countingCompute();
    const read = () => stack.get({ organizationId: org, dataset: "price-alerts", ...counter });

    const miss = await read();
    assert.equal(miss.status, "MISS");
    assert.equal(miss.source, "compute");
    assert.deepEqual(body(miss), { n: 1 });
    assert.equal(miss.tier, "REAL_TIME");
    assert.equal(miss.generatedAt.getTime(), T0);
    assert.equal(miss.freshUntil.getTime(), T0 + 30_000);
    assert.equal(miss.expiresAt.getTime(), T0 + 300_000);
    assert.equal(miss.freshForSeconds, 30);
    assert.equal(miss.staleWhileRevalidateSeconds, 270);

    clock.advance(10_000);
    const hit = await read();
    assert.deepEqual([hit.status, hit.source, hit.ageSeconds, hit.freshForSeconds], [
      "HIT",
      "l1",
      10,
      20,
    ]);
    assert.equal(hit.etag, miss.etag);
    assert.equal(hit.body, miss.body);

    const otherIsolate = createStack(sql, clock);
    const l2 = await otherIsolate.get({ organizationId: org, dataset: "price-alerts", ...counter });
    assert.deepEqual([l2.status, l2.source, body(l2)], ["HIT", "l2", { n: 1 }]);

    clock.advance(20_000); // T0 + 30 s: stale
    const stale = await read();
    assert.deepEqual([stale.status, stale.freshForSeconds, body(stale)], ["STALE", 0, { n: 1 }]);
    assert.equal(stale.staleWhileRevalidateSeconds, 270);
    await stack.idle(); // the background refresh
    assert.equal(counter.calls, 2);
    const refreshed = await read();
    assert.deepEqual([refreshed.status, body(refreshed)], ["HIT", { n: 2 }]);
    assert.equal(refreshed.generatedAt.getTime(), T0 + 30_000);

    clock.advance(300_000); // past the refreshed entry's retention: a hard miss
    const expired = await read();
    assert.deepEqual([expired.status, body(expired)], ["MISS", { n: 3 }]);
    assert.equal(counter.calls, 3);
  }));

Deno.test("CacheStack.invalidate: expire serves stale while revalidating, purge never serves the old body", () =>
  withStack(async ({ stack, org }) => {
    const counter = countingCompute();
    const read = () => stack.get({ organizationId: org, dataset: "supplier-data", ...counter });
    assert.deepEqual(body(await read()), { n: 1 });
    assert.equal((await read()).status, "HIT");

    await stack.invalidate({ organizationId: org, datasets: ["supplier-data"], mode: "expire" });
    const stale = await read();
    assert.deepEqual([stale.status, body(stale)], ["STALE", { n: 1 }]);
    await stack.idle();
    const fresh = await read();
    assert.deepEqual([fresh.status, body(fresh)], ["HIT", { n: 2 }]);

    await stack.invalidate({ organizationId: org, mode: "purge" });
    const afterPurge = await read();
    assert.deepEqual([afterPurge.status, body(afterPurge)], ["MISS", { n: 3 }]);
  }));

Deno.test("CacheStack reads L2 by key when it holds nothing, and with the lease when its entry went stale or purged", () =>
  withStack(async ({ sql, clock, org }) => {
    const store = new StatementLog(sql);
    const stack = new CacheStack({ store, config: testConfig(), clock });
    const counter = countingCompute();
    const read = () => stack.get({ organizationId: org, dataset: "supplier-data", ...counter });
    // Unknown key: the plain read (an L2 hit is likely), then the lease.
    assert.equal((await read()).status, "MISS");
    assert.deepEqual(store.take(), ["read", "acquireLease"]);
    assert.equal((await read()).status, "HIT");
    assert.deepEqual(store.take(), []);
    // Held, then expired by a tag: one statement reads the stale entry and takes the lease.
    await stack.invalidate({ organizationId: org, datasets: ["supplier-data"], mode: "expire" });
    assert.equal((await read()).status, "STALE");
    await stack.idle();
    assert.deepEqual(store.take(), ["readOrLease"]);
    assert.deepEqual(body(await read()), { n: 2 });
    // Held, then purged: dropped from L1, and again one statement before computing.
    await stack.invalidate({ organizationId: org, mode: "purge" });
    assert.deepEqual(body(await read()), { n: 3 });
    assert.deepEqual(store.take(), ["readOrLease"]);
    assert.equal(counter.calls, 3);
    await stack.idle();
  }));

Deno.test("CacheStack.invalidate touches only the organization and tags it names", () =>
  withStack(async ({ stack, org }) => {
    const other = newOrganizationId();
    const counter = countingCompute();
    const read = (organizationId: string, tags: string[] = []) =>
      stack.get({ organizationId, dataset: "location-data", tags, ...counter });
    await read(org, ["site-1"]);
    await read(org, ["site-2"]);
    await read(other, ["site-1"]);
    await stack.invalidate({ organizationId: org, tags: ["site-1"], mode: "purge" });
    assert.equal((await read(org, ["site-1"])).status, "MISS");
    assert.equal((await read(org, ["site-2"])).status, "HIT");
    assert.equal((await read(other, ["site-1"])).status, "HIT");
  }));

Deno.test("CacheStack.get serves stale when the refresh fails (stale-if-error), until retention ends", () =>
  withStack(async ({ clock, stack, org }) => {
    let failing = false;
    let calls = 0;
    const compute = () => {
      calls++;
      return failing ? Promise.reject(new Error("warehouse down")) : Promise.resolve({ ok: calls });
    };
    const errors: unknown[] = [];
    stack.events.on("cache:error", (event) => errors.push(event.operation));
    const read = () => stack.get({ organizationId: org, dataset: "price-alerts", compute });

    await read();
    failing = true;
    clock.advance(31_000);
    const first = await read();
    assert.deepEqual([first.status, body(first)], ["STALE", { ok: 1 }]);
    await stack.idle();
    assert.deepEqual(errors, ["refresh"]);
    const second = await read();
    assert.deepEqual([second.status, body(second)], ["STALE", { ok: 1 }]);
    await stack.idle();
    assert.equal(calls, 3, "each stale read retries the refresh");

    clock.advance(300_000); // past retention: nothing servable, the failure surfaces
    const error = await read().catch((e) => e);
    assert.ok(error instanceof CacheComputeError);
    assert.equal(error.code, "E_COMPUTE_FAILED");
    assert.equal((error.cause as Error).message, "warehouse down");
    assert.ok(!error.message.includes("warehouse"), "the cause is not shown to callers");
  }));

Deno.test("CacheStack.get waits for a quick refresh with CACHE_REVALIDATE_TIMEOUT and falls back to stale on error", () =>
  withStack(async ({ clock, stack, org }) => {
    let failing = false;
    let calls = 0;
    const compute = () => {
      calls++;
      return failing ? Promise.reject(new Error("boom")) : Promise.resolve({ v: calls });
    };
    const read = () => stack.get({ organizationId: org, dataset: "price-alerts", compute });
    await read();
    clock.advance(31_000);
    const refreshed = await read();
    assert.deepEqual([refreshed.status, refreshed.source, body(refreshed)], ["MISS", "compute", {
      v: 2,
    }]);
    clock.advance(31_000);
    failing = true;
    const fallback = await read();
    assert.deepEqual([fallback.status, body(fallback)], ["STALE", { v: 2 }]);
  }, { CACHE_REVALIDATE_TIMEOUT: "5s" }));

Deno.test("CacheStack.get rethrows a computation's AppError unchanged", () =>
  withStack(async ({ stack, org }) => {
    const error = await stack.get({
      organizationId: org,
      dataset: "supplier-data",
      compute: () => Promise.reject(new NotFoundError("Not found: supplier 7")),
    }).catch((e) => e);
    assert.ok(error instanceof NotFoundError);
    assert.equal(error.message, "Not found: supplier 7");
  }));

Deno.test("CacheStack.get: 200 concurrent cold calls compute once", () =>
  withStack(async ({ stack, org }) => {
    let calls = 0;
    const compute = async () => {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 50));
      return { computed: calls };
    };
    const results = await Promise.all(
      Array.from(
        { length: 200 },
        () =>
          stack.get({
            organizationId: org,
            dataset: "product-metrics",
            params: { b: 2, a: 1 },
            compute,
          }),
      ),
    );
    assert.equal(calls, 1);
    assert.ok(
      results.every((result) => result.body === '{"computed":1}' && result.status === "MISS"),
    );
    const again = await stack.get({
      organizationId: org,
      dataset: "product-metrics",
      params: new URLSearchParams("a=1&b=2"),
      compute,
    });
    assert.deepEqual([again.status, calls], ["HIT", 1]);
  }));

Deno.test("CacheStack.get: 200 concurrent reads of a stale entry refresh it once", () =>
  withStack(async ({ clock, stack, org }) => {
    let calls = 0;
    const compute = async () => {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 30));
      return { calls };
    };
    const read = () => stack.get({ organizationId: org, dataset: "price-alerts", compute });
    await read();
    clock.advance(45_000);
    const results = await Promise.all(Array.from({ length: 200 }, read));
    assert.ok(results.every((result) => result.status === "STALE"));
    await stack.idle();
    assert.equal(calls, 2);
  }));

Deno.test("CacheStack L1 is bounded by entries", () =>
  withStack(async ({ stack, org }) => {
    const counter = countingCompute();
    for (const supplier of ["s1", "s2", "s3"]) {
      await stack.get({
        organizationId: org,
        dataset: "supplier-data",
        params: { supplier },
        ...counter,
      });
    }
    assert.equal(stack.l1.size, 2);
    const evicted = await stack.get({
      organizationId: org,
      dataset: "supplier-data",
      params: { supplier: "s1" },
      ...counter,
    });
    assert.deepEqual([evicted.status, evicted.source], ["HIT", "l2"]);
    const kept = await stack.get({
      organizationId: org,
      dataset: "supplier-data",
      params: { supplier: "s3" },
      ...counter,
    });
    assert.deepEqual([kept.status, kept.source], ["HIT", "l1"]);
    assert.equal(counter.calls, 3);
  }, { CACHE_L1_MAX_ENTRIES: "2" }));

Deno.test("CacheStack L1 is bounded by bytes", () =>
  withStack(async ({ stack, org }) => {
    const compute = () => Promise.resolve({ padding: "x".repeat(1_200) });
    for (const supplier of ["s1", "s2"]) {
      await stack.get({
        organizationId: org,
        dataset: "supplier-data",
        params: { supplier },
        compute,
      });
    }
    assert.equal(stack.l1.size, 1);
    assert.ok(stack.l1.bytes <= 2048);
    const s1 = await stack.get({
      organizationId: org,
      dataset: "supplier-data",
      params: { supplier: "s1" },
      compute,
    });
    assert.equal(s1.source, "l2");
    const huge = await stack.get({
      organizationId: org,
      dataset: "supplier-data",
      params: { supplier: "huge" },
      compute: () => Promise.resolve({ padding: "x".repeat(5_000) }),
    });
    assert.equal(huge.status, "MISS"); // served, stored in L2, too big for L1
    const hugeAgain = await stack.get({
      organizationId: org,
      dataset: "supplier-data",
      params: { supplier: "huge" },
      compute,
    });
    assert.deepEqual([hugeAgain.status, hugeAgain.source], ["HIT", "l2"]);
  }, { CACHE_L1_MAX_BYTES: "2kb" }));

Deno.test("CacheStack.get serializes once, with the entry's window, and keeps the ETag of those bytes", () =>
  withStack(async ({ clock, stack, org }) => {
    const serialize = (rows: number[], window: { generatedAt: Date; freshUntil: Date }) =>
      JSON.stringify({
        data: rows,
        meta: { generated_at: window.generatedAt, fresh_until: window.freshUntil },
      });
    const first = await stack.get({
      organizationId: org,
      dataset: "price-alerts",
      compute: () => Promise.resolve([1, 2]),
      serialize,
    });
    assert.deepEqual(JSON.parse(first.body), {
      data: [1, 2],
      meta: {
        generated_at: new Date(T0).toISOString(),
        fresh_until: new Date(T0 + 30_000).toISOString(),
      },
    });
    clock.advance(1_000);
    const again = await stack.get({
      organizationId: org,
      dataset: "price-alerts",
      compute: () => Promise.resolve([9]),
      serialize,
    });
    assert.equal(again.body, first.body);
    assert.equal(again.etag, first.etag);
  }));

Deno.test("CacheStack counts hits in the isolate and flushes them in one call", () =>
  withStack(async ({ sql, clock, org }) => {
    const store = new CountingStore(sql);
    const stack = new CacheStack({ store, config: testConfig(), clock });
    const admin = connectAsSuperuser();
    try {
      const compute = () => Promise.resolve({ ok: true });
      for (let index = 0; index < 50; index++) {
        await stack.get({ organizationId: org, dataset: "cogs-analysis", compute });
      }
      const key = `${org}:cogs-analysis:`;
      const [before] = await admin`select hit_count::int from cache.entries where key = ${key}`;
      assert.equal(before?.hit_count, 0, "reads did not write");
      assert.equal(store.flushes, 0);
      await stack.hits.flush();
      assert.equal(store.flushes, 1);
      const [after] = await admin`select hit_count::int from cache.entries where key = ${key}`;
      assert.equal(after?.hit_count, 49);
      const [counter] = await admin`
        select hits::int, stale_hits::int, misses::int from cache.counters where organization_id = ${org}::uuid`;
      assert.deepEqual({ ...counter }, { hits: 49, stale_hits: 0, misses: 1 });
    } finally {
      await stack.idle();
      await admin.end();
    }
  }));

Deno.test("CacheStack flushes hit counts in the background when enough keys or time accumulate", () =>
  withStack(async ({ clock, stack, org }) => {
    const admin = connectAsSuperuser();
    try {
      const compute = () => Promise.resolve({});
      const read = (location: string) =>
        stack.get({ organizationId: org, dataset: "location-data", params: { location }, compute });
      const counted = async () => {
        await stack.idle();
        const [row] = await admin`
          select hits::int, misses::int from cache.counters where organization_id = ${org}::uuid`;
        return row ? { ...row } : undefined;
      };
      await read("a");
      await read("b"); // 2 misses: one counter row pending
      await read("a"); // + 1 entry key
      assert.equal(await counted(), undefined, "below CACHE_HIT_FLUSH_MAX_KEYS nothing is written");
      await read("b"); // 3 pending rows ≥ CACHE_HIT_FLUSH_MAX_KEYS=3: flushed in the background
      assert.deepEqual(await counted(), { hits: 2, misses: 2 });

      await read("a");
      assert.deepEqual(await counted(), { hits: 2, misses: 2 });
      clock.advance(60_000); // CACHE_HIT_FLUSH_INTERVAL passed: the next read flushes
      await read("a");
      assert.deepEqual(await counted(), { hits: 4, misses: 2 });
    } finally {
      await admin.end();
    }
  }, { CACHE_HIT_FLUSH_MAX_KEYS: "3", CACHE_HIT_FLUSH_INTERVAL: "1m" }));

Deno.test("CacheStack emits cache:miss, cache:written, cache:hit, cache:stale and cache:invalidated", () =>
  withStack(async ({ clock, stack, org }) => {
    const seen: CacheEventName[] = [];
    for (
      const name of [
        "cache:hit",
        "cache:miss",
        "cache:stale",
        "cache:written",
        "cache:invalidated",
      ] as const
    ) {
      stack.events.on(name, () => seen.push(name));
    }
    const compute = () => Promise.resolve(1);
    const read = () => stack.get({ organizationId: org, dataset: "price-alerts", compute });
    await read();
    await read();
    clock.advance(40_000);
    await read();
    await stack.idle();
    await stack.invalidate({ organizationId: org, mode: "expire" });
    assert.deepEqual(seen, [
      "cache:written",
      "cache:miss",
      "cache:hit",
      "cache:stale",
      "cache:written",
      "cache:invalidated",
    ]);
  }));

Deno.test("CacheStack keeps answering when the database is gone: computes, caches nothing, reports errors", async () => {
  const sql = connectAsServiceRole();
  const clock = new FakeClock(T0);
  const stack = createStack(sql, clock);
  const org = newOrganizationId();
  const errors: string[] = [];
  stack.events.on("cache:error", (event) => errors.push(event.operation));
  const counter = countingCompute();
  await stack.get({ organizationId: org, dataset: "price-alerts", ...counter });
  await sql.end();
  clock.advance(5_000); // the L1 snapshot is older than the bound and cannot be synced
  const result = await stack.get({ organizationId: org, dataset: "price-alerts", ...counter });
  assert.deepEqual([result.status, body(result)], ["MISS", { n: 2 }]);
  assert.deepEqual(errors, ["l1.sync", "l2.read", "lease"]);
  await stack.idle();
});

Deno.test("CacheStack hands background refreshes to EdgeRuntime.waitUntil when it exists", async () => {
  const handed: Promise<unknown>[] = [];
  const global = globalThis as { EdgeRuntime?: unknown };
  global.EdgeRuntime = { waitUntil: (promise: Promise<unknown>) => void handed.push(promise) };
  const sql = connectAsServiceRole();
  try {
    const clock = new FakeClock(T0);
    const stack = new CacheStack({
      store: new PostgresCacheStore(sql),
      config: testConfig(),
      clock,
    });
    const org = newOrganizationId();
    const counter = countingCompute();
    await stack.get({ organizationId: org, dataset: "price-alerts", ...counter });
    assert.equal(handed.length, 0);
    clock.advance(31_000);
    assert.equal(
      (await stack.get({ organizationId: org, dataset: "price-alerts", ...counter })).status,
      "STALE",
    );
    assert.equal(
      handed.length,
      2,
      "the refresh, and a hit flush (31 s > CACHE_HIT_FLUSH_INTERVAL)",
    );
    await Promise.all(handed);
    assert.equal(counter.calls, 2);
  } finally {
    delete global.EdgeRuntime;
    await sql.end();
  }
});

Deno.test("CacheStack.get with a precomputed key: hits skip the key, and a key never crosses tenants", () =>
  withStack(async ({ stack, org }) => {
    const counter = countingCompute();
    const key = cacheKey({ organizationId: org, dataset: "price-alerts", params: { limit: 5 } });
    const read = (options: { organizationId: string; dataset: string; key: string }) =>
      stack.get({ ...options, params: { limit: 5 }, ...counter });

    const miss = await read({ organizationId: org, dataset: "price-alerts", key });
    assert.equal(miss.key, key);
    const hit = await read({ organizationId: org.toUpperCase(), dataset: "price-alerts", key });
    assert.deepEqual([hit.status, hit.source, hit.body], ["HIT", "l1", miss.body]);
    assert.equal(counter.calls, 1);

    // Another organization (or dataset) naming this key gets an error, never these bytes.
    const other = newOrganizationId();
    for (
      const wrong of [{ organizationId: other, dataset: "price-alerts" }, {
        organizationId: org,
        dataset: "supplier-data",
      }]
    ) {
      await assert.rejects(read({ ...wrong, key }), InvalidCacheKeyError);
    }
    assert.equal(counter.calls, 1);
  }));
