/**
 * L1Cache against the real database: bounded tag snapshot, start-over, sync failure.
 */
import assert from "node:assert/strict";
import { FakeClock } from "../../shared/cache/clock.ts";
import { L1Cache } from "../../shared/cache/l1_cache.ts";
import { PostgresCacheStore } from "../../shared/cache/postgres_store.ts";
import { datasetTag } from "../../shared/cache/tags.ts";
import { connectAsServiceRole, newOrganizationId, seedEntry } from "./support.ts";

const T0 = Date.parse("2026-06-01T00:00:00Z");

Deno.test("L1Cache refuses entries read before its first sync or before a start-over", async () => {
  const sql = connectAsServiceRole();
  try {
    const store = new PostgresCacheStore(sql);
    const clock = new FakeClock(T0);
    const l1 = new L1Cache({ store, clock, revalidateIntervalMs: 1_000, maxTrackedTags: 2 });
    const org = newOrganizationId();
    const entry = await seedEntry(store, { organizationId: org, now: T0 });

    assert.equal(l1.set(entry, 0), false, "epoch 0: nothing synced yet");
    const first = await l1.get(entry.key);
    assert.equal(first.hit, undefined);
    assert.equal(first.epoch, 1);
    assert.equal(l1.set(entry, first.epoch), true);
    assert.equal((await l1.get(entry.key)).hit?.state, "fresh");

    // More changed tags than the snapshot tracks: it starts over and L1 is emptied.
    await store.invalidateTags(["a", "b", "c"].map((name) => datasetTag(org, name)), "expire");
    clock.advance(1_001);
    const after = await l1.get(entry.key);
    assert.equal(after.hit, undefined);
    assert.equal(after.epoch, 2);
    assert.equal(l1.size, 0);
    assert.equal(l1.set(entry, first.epoch), false, "read under the old epoch");
    assert.equal(l1.set(entry, after.epoch), true);
  } finally {
    await sql.end();
  }
});

Deno.test("L1Cache serves nothing once its snapshot is past the bound and cannot be synced", async () => {
  const sql = connectAsServiceRole();
  const store = new PostgresCacheStore(sql);
  const clock = new FakeClock(T0);
  const l1 = new L1Cache({ store, clock, revalidateIntervalMs: 1_000 });
  const entry = await seedEntry(store, { organizationId: newOrganizationId(), now: T0 });
  const { epoch } = await l1.get(entry.key);
  l1.set(entry, epoch);
  await sql.end();
  clock.advance(1_000);
  assert.equal((await l1.get(entry.key)).hit?.state, "fresh", "within the bound: no query needed");
  clock.advance(1);
  await assert.rejects(l1.get(entry.key));
});

Deno.test("L1Cache answers stale by time and by an expired tag, and drops purged and expired entries", async () => {
  const sql = connectAsServiceRole();
  try {
    const store = new PostgresCacheStore(sql);
    const clock = new FakeClock(T0);
    const l1 = new L1Cache({ store, clock, revalidateIntervalMs: 0 });
    const org = newOrganizationId();
    const entry = await seedEntry(store, { organizationId: org, now: T0 });
    const { epoch } = await l1.get(entry.key);
    l1.set(entry, epoch);
    clock.advance(30_000);
    assert.equal((await l1.get(entry.key)).hit?.state, "stale");
    clock.advance(270_000);
    assert.equal((await l1.get(entry.key)).hit, undefined, "past expiresAt");
    assert.equal(l1.size, 0);

    const again = await seedEntry(store, { organizationId: org, now: clock.now() });
    l1.set(again, (await l1.get(again.key)).epoch);
    await store.invalidateTags([datasetTag(org, "price-alerts")], "expire");
    clock.advance(1);
    assert.equal((await l1.get(again.key)).hit?.state, "stale");
    await store.invalidateTags([datasetTag(org, "price-alerts")], "purge");
    clock.advance(1);
    assert.equal((await l1.get(again.key)).hit, undefined);
  } finally {
    await sql.end();
  }
});
