/**
 * The fresh L1 hit's short path: `L1Cache.peek` answers without a query only within
 * the staleness bound and sees invalidations applied since the entry's last check;
 * `CacheStack.get` reads the clock once for such a hit and counts it on the entry's
 * own `EntryHits`, which a flush merges by key with counts recorded by target.
 */
import assert from "node:assert/strict";
import { EntryHits, HitRecorder } from "../../shared/cache/hit_recorder.ts";
import type { HitBatch } from "../../shared/cache/l2_store.ts";
import { L1Cache } from "../../shared/cache/l1_cache.ts";
import { PostgresCacheStore } from "../../shared/cache/postgres_store.ts";
import { organizationTag } from "../../shared/cache/tags.ts";
import { FakeClock } from "../../shared/util/clock.ts";
import {
  connectAsServiceRole,
  countingCompute,
  createStack,
  newOrganizationId,
  seedEntry,
} from "./support.ts";

const T0 = Date.parse("2026-06-01T00:00:00Z");

Deno.test("L1Cache.peek answers within the bound only, and sees a purge applied after the entry's last check", async () => {
  const sql = connectAsServiceRole();
  try {
    const store = new PostgresCacheStore(sql);
    const clock = new FakeClock(T0);
    const l1 = new L1Cache({ store, clock, revalidateIntervalMs: 1_000 });
    const org = newOrganizationId();
    const entry = await seedEntry(store, { organizationId: org, now: T0 });

    assert.equal(l1.peek(entry.key, clock.now()), undefined, "never synced: call get");
    const { epoch } = await l1.get(entry.key);
    assert.equal(l1.peek(entry.key, clock.now())?.hit, undefined, "synced, key not held");
    l1.set(entry, epoch);
    const first = l1.peek(entry.key, clock.now())?.hit;
    assert.equal(first?.state, "fresh");
    assert.equal(l1.peek(entry.key, clock.now())?.hit?.hits, first?.hits, "one count per entry");

    clock.advance(1_001);
    assert.equal(l1.peek(entry.key, clock.now()), undefined, "past the bound: call get");
    assert.equal((await l1.get(entry.key)).hit?.state, "fresh");

    // The entry's tag check was cached at the last lookup; this isolate's own purge
    // must still drop it at the next peek.
    const changes = await store.invalidateTags([organizationTag(org)], "purge");
    l1.applyTagChanges(changes);
    const dropped = l1.peek(entry.key, clock.now());
    assert.deepEqual([dropped?.hit, dropped?.dropped], [undefined, true]);
    assert.equal(l1.size, 0);
  } finally {
    await sql.end();
  }
});

Deno.test("a fresh L1 hit reads the clock once and is counted like any hit", async () => {
  const sql = connectAsServiceRole();
  const clock = new FakeClock(T0);
  let reads = 0;
  const countingClock = { now: () => (reads++, clock.now()) };
  const stack = createStack(sql, clock, { clock: countingClock });
  try {
    const org = newOrganizationId();
    const { compute } = countingCompute();
    const read = () => stack.get({ organizationId: org, dataset: "supplier-metrics", compute });
    assert.equal((await read()).status, "MISS");
    assert.equal((await read()).status, "HIT");
    reads = 0;
    const hit = await read();
    assert.deepEqual([hit.status, hit.source, reads], ["HIT", "l1", 1]);

    await stack.hits.flush();
    const [row] = await sql<{ hits: number; misses: number }[]>`
      select sum(hits)::int as hits, sum(misses)::int as misses
        from cache.counters where organization_id = ${org}`;
    assert.deepEqual({ ...row }, { hits: 2, misses: 1 });
  } finally {
    await stack.idle();
    await sql.end();
  }
});

Deno.test("HitRecorder merges an entry's own count with counts recorded by target, and starts over after a flush", async () => {
  const batches: HitBatch[] = [];
  const recorder = new HitRecorder({
    store: { recordHits: (batch) => Promise.resolve(void batches.push(batch)) },
    clock: new FakeClock(T0),
    flushIntervalMs: 60_000,
  });
  const target = { key: "o:d:", organizationId: "o", dataset: "d" };
  const own = new EntryHits(target.key, target.organizationId, target.dataset);
  recorder.recordHit(own, T0 + 5, 0);
  recorder.recordHit(own, T0 + 3, 0);
  recorder.record("stale", target, 7);
  await recorder.flush();
  recorder.recordHit(own, T0 + 9, 0);
  await recorder.flush();

  assert.deepEqual(batches.map((batch) => batch.entries), [
    [{ key: "o:d:", hits: 3, lastHitAt: T0 + 5 }],
    [{ key: "o:d:", hits: 1, lastHitAt: T0 + 9 }],
  ]);
  assert.deepEqual(
    batches.map((batch) => batch.counters.map(({ hits, staleHits }) => ({ hits, staleHits }))),
    [[{ hits: 2, staleHits: 1 }], [{ hits: 1, staleHits: 0 }]],
  );
  assert.equal(batches[0]!.counters[0]!.latencyMs?.hit?.[0], 2, "both hits in the first bucket");
  assert.equal(recorder.pendingKeys, 0);
});
