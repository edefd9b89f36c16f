/**
 * A revalidating read (`revalidate: true`, HTTP `Cache-Control: no-cache`, sent by
 * the client after an invalidation notice) sees every invalidation committed before
 * it: it never trusts a tag sync that started before it, whatever the clock says.
 *
 * The datasets function's clock is a `DatabaseClock`, whose offset is measured again
 * every minute; a measurement taken on a cold connection is too high by half the
 * connection set-up (observed 40–100 ms under load), so the next one steps the clock
 * back. Judging "did this sync start after my request?" by that clock credited a sync
 * from before the invalidation, and the refetch after a notice was answered with the
 * old body from L1 (tests/client/invalidation_listener_test.ts, 1 run in 3 of the full
 * suite, where function processes live past their first resync).
 */
import assert from "node:assert/strict";
import { CacheStack } from "../../shared/cache/cache_stack.ts";
import type { CacheStore, TagChanges } from "../../shared/cache/l2_store.ts";
import { L1Cache } from "../../shared/cache/l1_cache.ts";
import { PostgresCacheStore } from "../../shared/cache/postgres_store.ts";
import { datasetTag } from "../../shared/cache/tags.ts";
import type { Clock } from "../../shared/util/clock.ts";
import { connectAsServiceRole, newOrganizationId, seedEntry, testConfig } from "./support.ts";

const T0 = Date.parse("2026-06-01T00:00:00Z");

/** A clock that can also step back, as a `DatabaseClock` does when its offset is measured again. */
class SteppingClock implements Clock {
  constructor(public ms: number) {}
  now(): number {
    return this.ms;
  }
}

Deno.test("a revalidating read sees an invalidation committed before it after the clock stepped back", async () => {
  const sql = connectAsServiceRole();
  try {
    const store = new PostgresCacheStore(sql);
    const clock = new SteppingClock(T0);
    const cache = new CacheStack({ store, config: testConfig(), clock });
    const org = newOrganizationId();
    let phone = "old";
    const read = (revalidate: boolean) =>
      cache.get({
        organizationId: org,
        dataset: "supplier-data",
        compute: () => Promise.resolve({ phone }),
        revalidate,
      });

    clock.ms = T0 + 100;
    const first = await read(false);
    assert.deepEqual([first.status, JSON.parse(first.body)], ["MISS", { phone: "old" }]);

    // A base-table write commits elsewhere (another connection, as the trigger does).
    const other = connectAsServiceRole(1);
    try {
      phone = "new";
      await new PostgresCacheStore(other).invalidateTags(
        [datasetTag(org, "supplier-data")],
        "expire",
      );
    } finally {
      await other.end();
    }
    // The clock's offset is measured again, 40 ms lower: the tag sync of the first read
    // now seems to have started after this one.
    clock.ms = T0 + 60;
    const refetch = await read(true);
    assert.deepEqual([refetch.status, JSON.parse(refetch.body)], ["MISS", { phone: "new" }]);
  } finally {
    await sql.end();
  }
});

Deno.test("L1Cache.syncNow does not join a tag sync that was in flight before it was called", async () => {
  const sql = connectAsServiceRole();
  try {
    const postgresStore = new PostgresCacheStore(sql);
    // The real store; the first sync's answer is held until the test releases it, so
    // its snapshot is taken before the invalidation commits and it completes after.
    let hold: Promise<void> | undefined;
    let release = () => {};
    let queried = () => {};
    const inFlight = new Promise<void>((resolve) => (queried = resolve));
    const store: Pick<CacheStore, "tagChanges"> = {
      async tagChanges(watermark) {
        const changes = await postgresStore.tagChanges(watermark);
        if (hold) {
          const held = hold;
          hold = undefined;
          queried();
          await held;
        }
        return changes;
      },
    };
    const clock = new SteppingClock(T0);
    const l1 = new L1Cache({ store, clock, revalidateIntervalMs: 1_000 });
    const org = newOrganizationId();
    const entry = await seedEntry(postgresStore, {
      organizationId: org,
      dataset: "supplier-data",
      now: T0,
    });
    l1.set(entry, (await l1.get(entry.key)).epoch);
    assert.equal((await l1.get(entry.key)).hit?.state, "fresh");

    // A sync starts (the bound passed) and reads the tag changes before the write commits.
    hold = new Promise<void>((resolve) => (release = resolve));
    clock.ms = T0 + 1_001;
    const staleSync = l1.get(entry.key);
    await inFlight;
    await postgresStore.invalidateTags([datasetTag(org, "supplier-data")], "expire");
    // A revalidating read arrives in the same millisecond, while that sync is in flight.
    const revalidated = l1.syncNow();
    release();
    await staleSync;
    await revalidated;
    assert.equal((await l1.get(entry.key)).hit?.state, "stale");
  } finally {
    await sql.end();
  }
});

/** The real store, whose tag sync can be made to fail (the database stays reachable). */
class FailingSyncStore extends PostgresCacheStore {
  failTagChanges = false;
  override tagChanges(watermark: string | undefined): Promise<TagChanges> {
    if (this.failTagChanges) return Promise.reject(new Error("tag sync failed"));
    return super.tagChanges(watermark);
  }
}

Deno.test("a revalidating read whose tag sync fails does not answer from L1", async () => {
  const sql = connectAsServiceRole();
  try {
    const store = new FailingSyncStore(sql);
    const clock = new SteppingClock(T0);
    const cache = new CacheStack({ store, config: testConfig(), clock });
    const org = newOrganizationId();
    let phone = "old";
    const read = (revalidate: boolean) =>
      cache.get({
        organizationId: org,
        dataset: "supplier-data",
        compute: () => Promise.resolve({ phone }),
        revalidate,
      });
    assert.equal((await read(false)).status, "MISS");
    clock.ms = T0 + 10;
    assert.equal((await read(false)).status, "HIT", "in L1, within the bound");

    phone = "new";
    await store.invalidateTags([datasetTag(org, "supplier-data")], "expire");
    store.failTagChanges = true;
    clock.ms = T0 + 20;
    const refetch = await read(true);
    assert.deepEqual([refetch.status, refetch.source, JSON.parse(refetch.body)], [
      "MISS",
      "compute",
      { phone: "new" },
    ]);
  } finally {
    await sql.end();
  }
});
