/**
 * Miss accounting: reads are counted as hits, stale hits, misses (this read ran
 * the computation) or waits (this read got another's computation: in this
 * isolate through single-flight, or another instance's through the L2 lease).
 * 300 concurrent cold reads of one key are 1 miss and 299 waits, however they
 * are spread over isolates; the hit rate and the database work saved follow
 * the README's definitions exactly.
 */
import assert from "node:assert/strict";
import type { Sql } from "postgres";
import type { CacheStack } from "../../shared/cache/cache_stack.ts";
import { FakeClock } from "../../shared/util/clock.ts";
import {
  hitRate,
  readMetricsSnapshot,
  totalOf,
  workSaved,
} from "../../shared/cache_admin/metrics_snapshot.ts";
import { connectAsServiceRole, createStack, newOrganizationId } from "./support.ts";

const T0 = Date.parse("2026-05-02T06:00:00Z");

async function withIsolates(
  count: number,
  work: (stacks: CacheStack[], org: string, sql: Sql) => Promise<void>,
): Promise<void> {
  const pools = Array.from({ length: count }, () => connectAsServiceRole(3));
  const clock = new FakeClock(T0);
  const stacks = pools.map((sql) => createStack(sql, clock));
  try {
    await work(stacks, newOrganizationId(), pools[0]!);
  } finally {
    await Promise.all(stacks.map((stack) => stack.idle()));
    await Promise.all(pools.map((sql) => sql.end()));
  }
}

function coldReads(stacks: CacheStack[], org: string, total: number) {
  let computations = 0;
  const compute = async () => {
    computations++;
    await new Promise((resolve) => setTimeout(resolve, 300));
    return { rows: [1, 2, 3] };
  };
  const reads = Array.from({ length: total }, (_, index) =>
    stacks[index % stacks.length]!.get({
      organizationId: org,
      dataset: "supplier-metrics",
      compute,
    }));
  return { done: Promise.all(reads), computations: () => computations };
}

async function countsOf(stacks: CacheStack[], sql: Sql, org: string) {
  await Promise.all(stacks.map((stack) => stack.hits.flush()));
  const [row] = await sql<{ hits: number; stale_hits: number; misses: number; waits: number }[]>`
    select coalesce(sum(hits), 0)::int as hits, coalesce(sum(stale_hits), 0)::int as stale_hits,
           coalesce(sum(misses), 0)::int as misses, coalesce(sum(waits), 0)::int as waits
      from cache.counters where organization_id = ${org}`;
  return { ...row! };
}

for (const isolates of [1, 3]) {
  Deno.test(`300 concurrent cold reads over ${isolates} isolate(s): 1 miss, 299 waits`, () =>
    withIsolates(isolates, async (stacks, org, sql) => {
      const reads = coldReads(stacks, org, 300);
      const results = await reads.done;
      assert.equal(reads.computations(), 1, "computed once");
      assert.ok(results.every((result) => result.status === "MISS"), "X-Cache stays MISS");
      assert.deepEqual(await countsOf(stacks, sql, org), {
        hits: 0,
        stale_hits: 0,
        misses: 1,
        waits: 299,
      });

      // Then 300 warm reads: hits. Hit rate and work saved as the README defines them.
      await Promise.all(
        Array.from({ length: 300 }, (_, index) =>
          stacks[index % stacks.length]!.get({
            organizationId: org,
            dataset: "supplier-metrics",
            compute: () => Promise.reject(new Error("must not compute")),
          })),
      );
      const counts = await countsOf(stacks, sql, org);
      assert.deepEqual(counts, { hits: 300, stale_hits: 0, misses: 1, waits: 299 });
      const snapshot = await readMetricsSnapshot(sql, {
        organizationId: org,
        now: new Date(T0),
        windowHours: 24,
        topEntries: 1,
      });
      const overall = totalOf(snapshot.datasets);
      assert.equal(overall.waits, 299);
      assert.equal(
        hitRate(overall),
        300 / 301,
        "(hits + stale hits) / (hits + stale hits + misses)",
      );
      assert.equal(workSaved(overall), 599 / 600, "1 - misses / reads");
    }));
}
