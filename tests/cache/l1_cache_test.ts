/**
 * L1Cache against the real database: bounded tag snapshot, start-over, sync failure.
 */
import assert from "node:assert/strict";
import { FakeClock } from "../../shared/util/clock.ts";
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

Deno.test("L1Cache is bounded by entries and by bytes (lru-cache), least recently used out first", async (t) => {
  const sql = connectAsServiceRole();
  try {
    const store = new PostgresCacheStore(sql);
    const clock = new FakeClock(T0);
    const org = newOrganizationId();
    const seed = (name: string, body = "{}") =>
      seedEntry(store, { organizationId: org, params: { n: name }, body, now: T0 });
    await t.step("beyond maxEntries the least recently used entry goes", async () => {
      const l1 = new L1Cache({ store, clock, maxEntries: 2 });
      const [a, b, c] = [await seed("a"), await seed("b"), await seed("c")];
      const { epoch } = await l1.get(a.key);
      l1.set(a, epoch);
      l1.set(b, epoch);
      await l1.get(a.key); // a is now more recent than b
      l1.set(c, epoch);
      assert.equal(l1.size, 2);
      assert.equal((await l1.get(b.key)).hit, undefined, "b was least recently used");
      assert.equal((await l1.get(a.key)).hit?.state, "fresh");
    });
    await t.step(
      "beyond maxBytes entries go, and one larger than maxBytes is refused",
      async () => {
        const body = JSON.stringify({ text: "x".repeat(600) });
        const l1 = new L1Cache({ store, clock, maxBytes: 2_048 });
        const entries = [await seed("x", body), await seed("y", body), await seed("z", body)];
        const { epoch } = await l1.get(entries[0]!.key);
        for (const entry of entries) assert.equal(l1.set(entry, epoch), true);
        assert.ok(l1.bytes <= 2_048, `bytes ${l1.bytes}`);
        assert.equal(l1.size, 2);
        const huge = await seed("huge", JSON.stringify({ text: "x".repeat(4_000) }));
        assert.equal(l1.set(huge, epoch), false);
        assert.equal(l1.size, 2, "the others stay");
      },
    );
    await t.step("bounds must be positive integers", () => {
      assert.throws(() => new L1Cache({ store, clock, maxEntries: 0 }), RangeError);
      assert.throws(() => new L1Cache({ store, clock, maxBytes: 1.5 }), RangeError);
    });
  } finally {
    await sql.end();
  }
});
