/**
 * Two isolates sharing one database: two CacheStack instances, each with its own
 * connection pool and L1, on one fake clock.
 */
import assert from "node:assert/strict";
import type { Sql } from "postgres";
import type { CacheStack } from "../../shared/cache/cache_stack.ts";
import { FakeClock } from "../../shared/util/clock.ts";
import { connectAsServiceRole, createStack, newOrganizationId } from "./support.ts";

const T0 = Date.parse("2026-05-01T06:00:00Z");
/** The L1 staleness bound under test: CACHE_L1_REVALIDATE_INTERVAL. */
const BOUND_MS = 2_000;

interface Isolates {
  a: CacheStack;
  b: CacheStack;
  clock: FakeClock;
  org: string;
}

async function withTwoIsolates(work: (isolates: Isolates) => Promise<void>): Promise<void> {
  const pools: Sql[] = [connectAsServiceRole(), connectAsServiceRole()];
  const clock = new FakeClock(T0);
  const env = { CACHE_L1_REVALIDATE_INTERVAL: `${BOUND_MS}ms` };
  const a = createStack(pools[0]!, clock, { env });
  const b = createStack(pools[1]!, clock, { env });
  try {
    await work({ a, b, clock, org: newOrganizationId() });
  } finally {
    await Promise.all([a.idle(), b.idle()]);
    await Promise.all(pools.map((sql) => sql.end()));
  }
}

/** A slow computation shared by both isolates, counting its calls. */
function slowCompute(ms: number) {
  const state = { calls: 0 };
  return {
    state,
    compute: async () => {
      const call = ++state.calls;
      await new Promise((resolve) => setTimeout(resolve, ms));
      return { call };
    },
  };
}

Deno.test("two instances: 200 concurrent cold calls compute once", () =>
  withTwoIsolates(async ({ a, b, org }) => {
    const { state, compute } = slowCompute(150);
    const read = (stack: CacheStack) =>
      stack.get({
        organizationId: org,
        dataset: "invoice-analytics",
        params: { year: 2026 },
        compute,
      });
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, index) => read(index % 2 === 0 ? a : b)),
    );
    assert.equal(state.calls, 1);
    assert.ok(results.every((result) => result.body === '{"call":1}'));
    assert.deepEqual(new Set(results.map((result) => result.status)), new Set(["MISS"]));
    assert.deepEqual(
      new Set(results.map((result) => result.source)),
      new Set(["compute", "l2"]),
      "one instance computed, the other waited for its write",
    );
  }));

Deno.test("two instances: a stale entry is refreshed once", () =>
  withTwoIsolates(async ({ a, b, clock, org }) => {
    const { state, compute } = slowCompute(100);
    const read = (stack: CacheStack) =>
      stack.get({ organizationId: org, dataset: "price-alerts", compute });
    await read(a);
    await read(b);
    clock.advance(40_000);
    const results = await Promise.all([read(a), read(b), read(a), read(b)]);
    assert.ok(results.every((result) => result.status === "STALE"));
    await Promise.all([a.idle(), b.idle()]);
    assert.equal(state.calls, 2);
    assert.deepEqual(JSON.parse((await read(b)).body), { call: 2 });
  }));

Deno.test(`purge: no instance serves the old body from its L1 later than ${BOUND_MS} ms after the purge`, () =>
  withTwoIsolates(async ({ a, b, clock, org }) => {
    let version = 0;
    const compute = () => Promise.resolve({ version: ++version });
    const read = (stack: CacheStack) =>
      stack.get({ organizationId: org, dataset: "supplier-data", compute });

    assert.equal((await read(b)).body, '{"version":1}'); // b computes, holds it in L1
    assert.equal((await read(a)).source, "l2"); // a holds it in L1 too
    await read(b);

    await a.invalidate({ organizationId: org, datasets: ["supplier-data"], mode: "purge" });
    const own = await read(a); // the invalidating isolate applies it at once
    assert.deepEqual([own.status, own.body], ["MISS", '{"version":2}']);

    // Within the bound, b's L1 may still answer the purged body (this is the bound)...
    clock.advance(BOUND_MS);
    const within = await read(b);
    assert.deepEqual([within.source, within.body], ["l1", '{"version":1}']);

    // ...and past it, never again: b resyncs its tag snapshot and drops the entry.
    clock.advance(1);
    const past = await read(b);
    assert.deepEqual([past.status, past.source, past.body], ["HIT", "l2", '{"version":2}']);
    for (let index = 0; index < 5; index++) {
      clock.advance(BOUND_MS + 1);
      assert.notEqual((await read(b)).body, '{"version":1}');
    }
  }));

Deno.test("purge: a second instance never serves the old body past the bound, also when nothing was recomputed", () =>
  withTwoIsolates(async ({ a, b, clock, org }) => {
    let version = 0;
    const compute = () => Promise.resolve({ version: ++version });
    const read = (stack: CacheStack) =>
      stack.get({ organizationId: org, dataset: "user-preferences", compute });
    await read(a);
    await read(b);
    await a.invalidate({ organizationId: org, mode: "purge" }); // organization-wide
    clock.advance(BOUND_MS + 1);
    const result = await read(b);
    assert.deepEqual([result.status, result.source, result.body], [
      "MISS",
      "compute",
      '{"version":2}',
    ]);
  }));

Deno.test("expire: past the bound another instance serves the old body only as STALE, then the refreshed one", () =>
  withTwoIsolates(async ({ a, b, clock, org }) => {
    let version = 0;
    const compute = () => Promise.resolve({ version: ++version });
    const read = (stack: CacheStack) =>
      stack.get({ organizationId: org, dataset: "location-data", compute });
    await read(a);
    assert.equal((await read(b)).source, "l2");
    await a.invalidate({ organizationId: org, datasets: ["location-data"], mode: "expire" });
    clock.advance(BOUND_MS + 1);
    const stale = await read(b);
    assert.deepEqual([stale.status, stale.body, stale.freshForSeconds], [
      "STALE",
      '{"version":1}',
      0,
    ]);
    await b.idle();
    const refreshed = await read(b);
    assert.deepEqual([refreshed.status, refreshed.body], ["HIT", '{"version":2}']);
    const fromA = await read(a);
    assert.deepEqual([fromA.status, fromA.source, fromA.body], ["HIT", "l2", '{"version":2}']);
  }));

Deno.test("CACHE_L1_REVALIDATE_INTERVAL=0s: every L1 hit is checked against L2's tag versions", async () => {
  const pools = [connectAsServiceRole(), connectAsServiceRole()];
  const clock = new FakeClock(T0);
  const env = { CACHE_L1_REVALIDATE_INTERVAL: "0s" };
  const a = createStack(pools[0]!, clock, { env });
  const b = createStack(pools[1]!, clock, { env });
  const org = newOrganizationId();
  try {
    let version = 0;
    const compute = () => Promise.resolve({ version: ++version });
    const read = (stack: CacheStack) =>
      stack.get({ organizationId: org, dataset: "supplier-data", compute });
    await read(a);
    await read(b);
    await a.invalidate({ organizationId: org, mode: "purge" });
    clock.advance(1); // a sync counts from the clock time it started
    assert.equal((await read(b)).body, '{"version":2}');
  } finally {
    await Promise.all([a.idle(), b.idle()]);
    await Promise.all(pools.map((sql) => sql.end()));
  }
});
