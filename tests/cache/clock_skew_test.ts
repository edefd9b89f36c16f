/**
 * Clock skew: an isolate whose clock runs 10 minutes fast or slow shares L2
 * with isolates whose clocks are right. Times stored in shared state
 * (generated/fresh/expiry times, leases, hit buckets, nightly claims) come
 * from the database's clock (`DatabaseClock`), so a skewed isolate neither
 * stretches a 30 s freshness to 10 minutes nor makes the others' entries look
 * expired, in either direction.
 */
import assert from "node:assert/strict";
import type { Sql } from "postgres";
import { CacheStack } from "../../shared/cache/cache_stack.ts";
import type { Clock } from "../../shared/util/clock.ts";
import { DatabaseClock } from "../../shared/cache/database_clock.ts";
import { PostgresCacheStore } from "../../shared/cache/postgres_store.ts";
import { runTick } from "../../shared/nightly/invocation.ts";
import { withOrganizations } from "../nightly/support/harness.ts";
import { testSettings } from "../nightly/support/organizations.ts";
import { connectAsServiceRole, newOrganizationId, testConfig } from "./support.ts";

const TEN_MINUTES = 10 * 60_000;
const skewedBy = (ms: number): Clock => ({ now: () => Date.now() + ms });

async function databaseNow(sql: Sql): Promise<number> {
  const [row] = await sql<{ ms: number }[]>`
    select (extract(epoch from clock_timestamp()) * 1000)::float8 as ms`;
  return row!.ms;
}

for (const skew of [TEN_MINUTES, -TEN_MINUTES]) {
  const way = skew > 0 ? "fast" : "slow";
  Deno.test(`an isolate whose clock is 10 minutes ${way} stores database-clock times in L2`, async () => {
    const pools = [connectAsServiceRole(2), connectAsServiceRole(2)];
    const stacks = await Promise.all(
      [skewedBy(skew), skewedBy(0)].map(async (local, index) => {
        const clock = new DatabaseClock({ sql: pools[index]!, local });
        await clock.sync();
        return new CacheStack({
          store: new PostgresCacheStore(pools[index]!),
          config: testConfig(),
          clock,
        });
      }),
    );
    const [skewed, right] = stacks as [CacheStack, CacheStack];
    const org = newOrganizationId();
    const read = (stack: CacheStack, params: Record<string, string>, compute: () => unknown) =>
      stack.get({
        organizationId: org,
        dataset: "price-alerts",
        params,
        compute: () => Promise.resolve(compute()),
      });
    try {
      // The skewed isolate writes: the entry's window is on the database's clock.
      const written = await read(skewed, { by: "skewed" }, () => ({ rows: 1 }));
      assert.equal(written.status, "MISS");
      assert.ok(written.freshForSeconds <= 30, `max-age ${written.freshForSeconds} on a 30 s tier`);
      const [row] = await pools[1]!<{ created_at: Date; fresh_until: Date }[]>`
        select created_at, fresh_until from cache.entries where organization_id = ${org}`;
      const dbNow = await databaseNow(pools[1]!);
      assert.ok(Math.abs(row!.created_at.getTime() - dbNow) < 5_000, "generated now (database)");
      assert.ok(row!.fresh_until.getTime() - dbNow <= 31_000, "fresh for 30 s at most (±1 s)");

      // A right clock reads it as fresh for at most 30 s (not 629 s, not already expired).
      const seen = await read(right, { by: "skewed" }, () => assert.fail("must not recompute"));
      assert.equal(seen.status, "HIT");
      assert.ok(
        seen.freshForSeconds <= 30 && seen.freshForSeconds >= 25,
        `${seen.freshForSeconds}`,
      );

      // And the other way round: the skewed isolate serves the right clock's entry as fresh.
      await read(right, { by: "right" }, () => ({ rows: 2 }));
      const theirs = await read(skewed, { by: "right" }, () => assert.fail("must not recompute"));
      assert.equal(theirs.status, "HIT");
      assert.ok(theirs.freshForSeconds <= 30 && theirs.freshForSeconds >= 25);
    } finally {
      await Promise.all(stacks.map((stack) => stack.idle()));
      await pools[0]!`delete from cache.entries where organization_id = ${org}`;
      await Promise.all(pools.map((sql) => sql.end()));
    }
  });
}

Deno.test("a skewed orchestrator enqueues and claims nightly jobs on the database's clock", async () => {
  await withOrganizations([{}], async ([organization], sql) => {
    const clock = new DatabaseClock({ sql, local: skewedBy(TEN_MINUTES) });
    await clock.sync();
    await runTick({ sql, settings: testSettings(), clock });
    const [job] = await sql<{ enqueued_at: Date; finished_at: Date | null }[]>`
      select enqueued_at, finished_at from nightly.organization_runs
       where organization_id = ${organization!.id}`;
    const dbNow = await databaseNow(sql);
    assert.ok(Math.abs(job!.enqueued_at.getTime() - dbNow) < 10_000, "enqueued now (database)");
  });
});

Deno.test("DatabaseClock: offset measured from the database, resynchronized in real time", async () => {
  const sql = connectAsServiceRole(1);
  try {
    const clock = new DatabaseClock({ sql, local: skewedBy(-TEN_MINUTES) });
    assert.equal(clock.synchronized, false);
    const offset = await clock.sync();
    assert.ok(Math.abs(offset - TEN_MINUTES) < 2_000, `offset ${offset}`);
    assert.ok(Math.abs(clock.now() - (await databaseNow(sql))) < 2_000);
    assert.equal(clock.synchronized, true);
  } finally {
    await sql.end();
  }
});
