/**
 * The `cache` schema's SQL API against the real database, through PostgresCacheStore
 * on a service_role connection (inspection queries as the superuser).
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { CacheStoreError, InvalidCacheInputError } from "../../shared/cache/errors.ts";
import { PostgresCacheStore } from "../../shared/cache/postgres_store.ts";
import { datasetTag, organizationTag } from "../../shared/cache/tags.ts";
import { connectAsSuperuser } from "../support/stack.ts";
import { connectAsServiceRole, newOrganizationId, seedEntry } from "./support.ts";

const T0 = Date.parse("2026-03-01T12:00:00Z");

async function withStore(
  work: (store: PostgresCacheStore, admin: ReturnType<typeof connectAsSuperuser>) => Promise<void>,
): Promise<void> {
  const sql = connectAsServiceRole();
  const admin = connectAsSuperuser();
  try {
    await work(new PostgresCacheStore(sql), admin);
  } finally {
    await Promise.all([sql.end(), admin.end()]);
  }
}

Deno.test("cache.read reports fresh, then stale, then expired as time passes", () =>
  withStore(async (store) => {
    const org = newOrganizationId();
    const entry = await seedEntry(store, { organizationId: org, now: T0, body: '{"v":1}' });
    const fresh = await store.read(entry.key, org, T0 + 29_999);
    assert.equal(fresh?.state, "fresh");
    assert.ok(fresh?.state === "fresh");
    assert.equal(fresh.entry.body, '{"v":1}');
    assert.equal(fresh.entry.etag, entry.etag);
    assert.deepEqual(fresh.entry.tagVersions, entry.tagVersions);
    assert.equal(fresh.entry.freshUntil, T0 + 30_000);
    const stale = await store.read(entry.key, org, T0 + 30_000);
    assert.ok(stale?.state === "stale");
    assert.equal(stale.entry.body, '{"v":1}');
    assert.equal(stale.tagsExpired, false);
    assert.deepEqual(await store.read(entry.key, org, T0 + 300_000), { state: "expired" });
    assert.equal(await store.read(entry.key.replace("price", "other"), org, T0), undefined);
  }));

Deno.test("cache.read answers only the organization named in the call", () =>
  withStore(async (store) => {
    const org = newOrganizationId();
    const entry = await seedEntry(store, { organizationId: org, now: T0 });
    assert.equal(await store.read(entry.key, newOrganizationId(), T0), undefined);
  }));

Deno.test("cache.read never writes", () =>
  withStore(async (store, admin) => {
    const org = newOrganizationId();
    const entry = await seedEntry(store, { organizationId: org, now: T0 });
    const before =
      await admin`select xmin::text, hit_count from cache.entries where key = ${entry.key}`;
    for (let index = 0; index < 25; index++) await store.read(entry.key, org, T0 + index);
    const after =
      await admin`select xmin::text, hit_count from cache.entries where key = ${entry.key}`;
    assert.deepEqual(after, before);
    assert.equal(after[0]?.hit_count, "0");
  }));

Deno.test("cache.invalidate_tags: expire leaves entries servable stale, purge never servable", () =>
  withStore(async (store) => {
    const org = newOrganizationId();
    const prices = await seedEntry(store, { organizationId: org, now: T0 });
    const suppliers = await seedEntry(store, {
      organizationId: org,
      dataset: "supplier-data",
      now: T0,
    });

    const expired = await store.invalidateTags([datasetTag(org, "price-alerts")], "expire");
    assert.deepEqual(expired, [{
      tag: datasetTag(org, "price-alerts"),
      version: 1,
      purgedVersion: 0,
    }]);
    const afterExpire = await store.read(prices.key, org, T0 + 1);
    assert.ok(afterExpire?.state === "stale");
    assert.equal(afterExpire.tagsExpired, true);
    assert.equal(afterExpire.entry.body, prices.body);
    assert.equal((await store.read(suppliers.key, org, T0 + 1))?.state, "fresh");

    const purged = await store.invalidateTags([organizationTag(org)], "purge");
    assert.deepEqual(purged, [{ tag: organizationTag(org), version: 1, purgedVersion: 1 }]);
    assert.deepEqual(await store.read(prices.key, org, T0 + 2), { state: "purged" });
    assert.deepEqual(await store.read(suppliers.key, org, T0 + 2), { state: "purged" });

    // Written after the purge: current again. A later expire does not revive the purge.
    const rewritten = await seedEntry(store, { organizationId: org, now: T0 + 3, body: '{"v":2}' });
    assert.equal((await store.read(rewritten.key, org, T0 + 4))?.state, "fresh");
    await store.invalidateTags([organizationTag(org)], "expire");
    assert.equal((await store.read(rewritten.key, org, T0 + 5))?.state, "stale");
    assert.equal(
      (await store.invalidateTags([organizationTag(org)], "expire"))[0]?.purgedVersion,
      1,
      "expire keeps the purge marker",
    );
  }));

Deno.test("cache.purge outranks time: a purged entry is never servable, even while fresh by time", () =>
  withStore(async (store, admin) => {
    const org = newOrganizationId();
    const entry = await seedEntry(store, {
      organizationId: org,
      now: T0,
      staleMs: 3_600_000,
      retentionMs: 7_200_000,
    });
    await store.invalidateTags([datasetTag(org, "price-alerts")], "purge");
    const [row] = await admin`
      select body, etag, status from cache.read(${entry.key}, ${org}::uuid, ${new Date(T0 + 1)})`;
    assert.deepEqual({ ...row }, { body: null, etag: null, status: "purged" });
  }));

Deno.test("an entry computed while its tag was bumped is written under the old version", () =>
  withStore(async (store) => {
    const org = newOrganizationId();
    const key = `${org}:price-alerts:`;
    const tags = [organizationTag(org), datasetTag(org, "price-alerts")];
    const lease = await store.acquireLease(key, "h1", tags, 30_000, T0);
    assert.ok(lease.acquired);
    assert.deepEqual(lease.tagVersions, { [tags[0]!]: 0, [tags[1]!]: 0 });
    await store.invalidateTags([tags[1]!], "purge"); // commits while "computing"
    await store.write({
      key,
      organizationId: org,
      dataset: "price-alerts",
      body: "{}",
      etag: '"e"',
      tagVersions: lease.tagVersions,
      generatedAt: T0,
      freshUntil: T0 + 30_000,
      expiresAt: T0 + 60_000,
    }, "h1");
    assert.deepEqual(await store.read(key, org, T0 + 1), { state: "purged" });
  }));

Deno.test("cache.acquire_lease admits one holder until released or expired", () =>
  withStore(async (store) => {
    const org = newOrganizationId();
    const key = `${org}:price-alerts:x=1`;
    const tags = [organizationTag(org)];
    const attempts = await Promise.all(
      Array.from(
        { length: 20 },
        (_, index) => store.acquireLease(key, `h${index}`, tags, 5_000, T0),
      ),
    );
    assert.equal(attempts.filter((lease) => lease.acquired).length, 1);
    const winner = `h${attempts.findIndex((lease) => lease.acquired)}`;
    assert.equal(await store.releaseLease(key, "someone-else"), false);
    assert.equal((await store.acquireLease(key, "late", tags, 5_000, T0 + 4_999)).acquired, false);
    assert.equal(
      (await store.acquireLease(key, "after-expiry", tags, 5_000, T0 + 5_000)).acquired,
      true,
    );
    assert.equal(await store.releaseLease(key, winner), false, "an expired holder lost its lease");
    assert.equal(await store.releaseLease(key, "after-expiry"), true);
    assert.equal((await store.acquireLease(key, "next", tags, 5_000, T0)).acquired, true);
  }));

Deno.test("cache.acquire_lease won over a fresh entry gives the lease back and returns the entry", () =>
  withStore(async (store, admin) => {
    const org = newOrganizationId();
    const written = await seedEntry(store, { organizationId: org, now: T0, staleMs: 1_000 });
    const tags = [organizationTag(org)];
    // Fresh: the entry instead of the lease, and no lease left behind.
    const fresh = await store.acquireLease(written.key, "late", tags, 5_000, T0 + 999);
    assert.deepEqual(fresh, { acquired: false, entry: written });
    const [leases] =
      await admin`select count(*)::int as n from cache.leases where key = ${written.key}`;
    assert.equal(leases!.n, 0);
    // Stale (past fresh_until) or purged: the lease, to compute again.
    const stale = await store.acquireLease(written.key, "h-stale", tags, 5_000, T0 + 1_000);
    assert.equal(stale.acquired, true);
    assert.equal(await store.releaseLease(written.key, "h-stale"), true);
    await store.invalidateTags([organizationTag(org)], "purge");
    const purged = await store.acquireLease(written.key, "h-purged", tags, 5_000, T0 + 1);
    assert.deepEqual(purged, { acquired: true, tagVersions: { [tags[0]!]: 1 } });
    // Held by another: neither lease nor entry.
    assert.deepEqual(await store.acquireLease(written.key, "other", tags, 5_000, T0 + 1), {
      acquired: false,
    });
  }));

Deno.test("PostgresCacheStore.read (cache.entry_states by key) answers as cache.read at any time and tag state", () =>
  withStore(async (store, admin) => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 400_000 }),
        fc.constantFrom("none", "expire", "purge", "other-dataset"),
        fc.boolean(),
        async (offset, invalidation, upperCaseOrganization) => {
          const org = newOrganizationId();
          const entry = await seedEntry(store, {
            organizationId: org,
            now: T0,
            staleMs: 30_000,
            retentionMs: 300_000,
          });
          if (invalidation === "expire" || invalidation === "purge") {
            await store.invalidateTags([datasetTag(org, "price-alerts")], invalidation);
          } else if (invalidation === "other-dataset") {
            await store.invalidateTags([datasetTag(org, "supplier-data")], "purge");
          }
          const at = T0 + offset;
          const [sqlRead] = await admin<
            { status: string; body: string | null; tags_expired: boolean }[]
          >`select status, body, tags_expired
            from cache.read(${entry.key}, ${org}::uuid, ${new Date(at)})`;
          const caller = upperCaseOrganization ? org.toUpperCase() : org;
          const read = await store.read(entry.key, caller, at);
          assert.equal(read?.state, sqlRead!.status);
          if (read?.state === "fresh" || read?.state === "stale") {
            assert.equal(read.entry.body, sqlRead!.body);
            assert.equal(read.tagsExpired, sqlRead!.tags_expired);
            assert.deepEqual(read.entry, entry);
          }
          // Another organization never reads it, whatever the key.
          assert.equal(await store.read(entry.key, newOrganizationId(), at), undefined);
        },
      ),
      { numRuns: 40 },
    );
  }));

Deno.test("cache.read_or_lease: a fresh entry as cache.read answers it, no lease, nothing written", () =>
  withStore(async (store, admin) => {
    const org = newOrganizationId();
    const entry = await seedEntry(store, { organizationId: org, now: T0, staleMs: 1_000 });
    const tags = [organizationTag(org)];
    const before = await admin`select xmin::text from cache.entries where key = ${entry.key}`;
    for (const at of [T0, T0 + 999]) {
      const result = await store.readOrLease(entry.key, org, at, {
        holder: "h",
        tags,
        ttlMs: 5_000,
      });
      assert.deepEqual(result, { read: await store.read(entry.key, org, at) });
    }
    const after = await admin`select xmin::text from cache.entries where key = ${entry.key}`;
    assert.deepEqual(after, before);
    const [leases] =
      await admin`select count(*)::int as n from cache.leases where key = ${entry.key}`;
    assert.equal(leases!.n, 0);
    // Another organization's key is refused: no read, and no lease on it.
    const other = await store
      .readOrLease(entry.key, newOrganizationId(), T0, { holder: "o", tags, ttlMs: 5_000 })
      .catch((e) => e);
    assert.ok(other instanceof InvalidCacheInputError, String(other));
  }));

Deno.test("cache.read_or_lease: a miss, stale, expired or purged read takes the lease once", () =>
  withStore(async (store, admin) => {
    const org = newOrganizationId();
    const tags = [organizationTag(org), datasetTag(org, "price-alerts")];
    const lease = (holder: string) => ({ holder, tags, ttlMs: 5_000 });
    // A miss: the lease with the current tag versions; a second reader waits.
    const missKey = `${org}:price-alerts:x=miss`;
    const attempts = await Promise.all(
      Array.from({ length: 10 }, (_, i) => store.readOrLease(missKey, org, T0, lease(`m${i}`))),
    );
    assert.equal(attempts.filter((a) => a.lease?.acquired).length, 1);
    for (const attempt of attempts) assert.equal(attempt.read, undefined);
    assert.deepEqual(attempts.find((a) => a.lease?.acquired)?.lease, {
      acquired: true,
      tagVersions: { [tags[0]!]: 0, [tags[1]!]: 0 },
    });
    // Past that lease's expiry, the next read takes it over and says whose it was.
    const winner = `m${attempts.findIndex((a) => a.lease?.acquired)}`;
    assert.deepEqual((await store.readOrLease(missKey, org, T0 + 7_000, lease("late"))).lease, {
      acquired: true,
      tagVersions: { [tags[0]!]: 0, [tags[1]!]: 0 },
      takeover: { previousHolder: winner, previousExpiresAt: T0 + 5_000 },
    });
    // Stale by time: the stale entry to serve and the lease to refresh it.
    const entry = await seedEntry(store, { organizationId: org, now: T0, staleMs: 1_000 });
    const stale = await store.readOrLease(entry.key, org, T0 + 1_000, lease("s"));
    assert.deepEqual(stale, {
      read: await store.read(entry.key, org, T0 + 1_000),
      lease: { acquired: true, tagVersions: entry.tagVersions },
    });
    const held = await store.readOrLease(entry.key, org, T0 + 1_001, lease("s2"));
    assert.equal(held.read?.state, "stale");
    assert.deepEqual(held.lease, { acquired: false });
    assert.equal(await store.releaseLease(entry.key, "s"), true);
    // Expired by time, then purged by tag: not servable, and the lease.
    const expired = await store.readOrLease(entry.key, org, T0 + 300_000, lease("e"));
    assert.deepEqual(expired.read, { state: "expired" });
    assert.equal(expired.lease?.acquired, true);
    assert.equal(await store.releaseLease(entry.key, "e"), true);
    await store.invalidateTags([organizationTag(org)], "purge");
    const purged = await store.readOrLease(entry.key, org, T0 + 1, lease("p"));
    assert.deepEqual(purged, {
      read: { state: "purged" },
      lease: { acquired: true, tagVersions: { [tags[0]!]: 1, [tags[1]!]: 0 } },
    });
    const [row] = await admin<{ holder: string }[]>`
      select holder from cache.leases where key = ${entry.key}`;
    assert.equal(row?.holder, "p");
  }));

Deno.test("cache.read_or_lease rejects a missing holder or a bad ttl as invalid input", () =>
  withStore(async (store) => {
    const org = newOrganizationId();
    for (const ttlMs of [0, 3_600_001]) {
      const error = await store
        .readOrLease(`${org}:price-alerts:`, org, T0, { holder: "h", tags: [], ttlMs })
        .catch((e) => e);
      assert.ok(error instanceof InvalidCacheInputError, String(error));
    }
  }));

Deno.test("cache.write releases its lease and never replaces a newer entry", () =>
  withStore(async (store, admin) => {
    const org = newOrganizationId();
    const newer = await seedEntry(store, { organizationId: org, now: T0 + 10, body: '"newer"' });
    assert.equal(
      (await admin`select count(*)::int as n from cache.leases where key = ${newer.key}`)[0]?.n,
      0,
    );
    const older = {
      ...newer,
      body: '"older"',
      generatedAt: T0,
      freshUntil: T0 + 1,
      expiresAt: T0 + 2,
    };
    assert.equal(await store.write(older), false);
    const read = await store.read(newer.key, org, T0 + 11);
    assert.ok(read?.state === "fresh");
    assert.equal(read.entry.body, '"newer"');
  }));

Deno.test("cache.entries refuses a key that does not embed its organization and dataset", () =>
  withStore(async (store) => {
    const org = newOrganizationId();
    const entry = await seedEntry(store, { organizationId: org, now: T0 });
    const error = await store.write({ ...entry, organizationId: newOrganizationId() }).catch((e) =>
      e
    );
    assert.ok(error instanceof CacheStoreError);
    assert.match(String((error.cause as Error).message), /entries_key_matches_owner/);
    const untagged = await store.write({ ...entry, tagVersions: {} }).catch((e) => e);
    assert.match(String((untagged.cause as Error).message), /entries_tagged_with_organization/);
  }));

Deno.test("cache.invalidate_tags rejects a bad mode or bad tags as invalid input", () =>
  withStore(async (store) => {
    for (
      const [tags, mode, message] of [
        [["x"], "delete", /Invalid invalidation mode: expected expire or purge: received 'delete'/],
        [[""], "expire", /Invalid tags/],
        [["x".repeat(257)], "purge", /Invalid tags/],
      ] as const
    ) {
      const error = await store.invalidateTags(tags, mode as "expire").catch((e) => e);
      assert.ok(error instanceof InvalidCacheInputError, String(error));
      assert.match(error.message, message);
    }
  }));

Deno.test("cache.tag_changes returns every change after the watermark, also from transactions in flight", () =>
  withStore(async (store, admin) => {
    const org = newOrganizationId();
    const before = datasetTag(org, "before");
    const during = datasetTag(org, "during");
    const after = datasetTag(org, "after");
    await store.invalidateTags([before], "expire");
    const baseline = await store.tagChanges(undefined);
    assert.deepEqual(baseline.changes, []);

    // A transaction that bumps `during` is open while the next sync runs, and commits after it.
    const reserved = await admin.reserve();
    try {
      await reserved`begin`;
      await reserved`select * from cache.invalidate_tags(${[during]}, 'purge')`;
      const whileOpen = await store.tagChanges(baseline.watermark);
      assert.equal(whileOpen.changes.some((change) => change.tag === during), false);
      await reserved`commit`;
      await store.invalidateTags([after], "expire");
      const next = await store.tagChanges(whileOpen.watermark);
      const tags = next.changes.map((change) => change.tag);
      assert.ok(
        tags.includes(during),
        "a change committed after a sync that ran while it was open",
      );
      assert.ok(tags.includes(after));
      assert.ok(!tags.includes(before), "changes before the baseline are not returned");
      assert.deepEqual(next.changes.find((change) => change.tag === during), {
        tag: during,
        version: 1,
        purgedVersion: 1,
      });
    } finally {
      reserved.release();
    }
  }));

/** Row count and physical row versions (xmin) of an organization's entries. */
async function rowVersions(admin: ReturnType<typeof connectAsSuperuser>, org: string) {
  const [row] = await admin`
    select count(*)::int as rows, array_agg(distinct xmin::text order by xmin::text) as xmins
    from cache.entries where organization_id = ${org}::uuid`;
  return { ...row };
}

Deno.test("cache.invalidate_tags costs one tag row, whatever the number of entries", () =>
  withStore(async (_store, admin) => {
    const small = newOrganizationId();
    const large = newOrganizationId();
    for (const [org, count] of [[small, 10], [large, 20_000]] as const) {
      await admin`
        insert into cache.entries (key, organization_id, dataset, body, etag, tag_versions,
          created_at, fresh_until, expires_at)
        select ${org} || ':price-alerts:i=' || i, ${org}::uuid, 'price-alerts', '{}', '"e"',
          jsonb_build_object('org:' || ${org}, 0, 'org:' || ${org} || ':dataset:price-alerts', 0),
          ${new Date(T0)}, ${new Date(T0 + 30_000)}, ${new Date(T0 + 300_000)}
        from generate_series(1, ${count}) as i`;
    }
    const costs = [];
    try {
      for (const org of [small, large]) {
        const versionsBefore = await rowVersions(admin, org);
        // A new connection (PostgreSQL 15 reports a backend's unflushed statistics of
        // earlier transactions as its own): invalidate as service_role, then read this
        // transaction's table statistics before committing.
        const fresh = connectAsSuperuser(1);
        try {
          costs.push(
            await fresh.begin(async (tx) => {
              await tx`set local role service_role`;
              await tx`select * from cache.invalidate_tags(${[organizationTag(org)]}, 'purge')`;
              const rows = await tx<{ relname: string; written: number }[]>`
                select relname, (n_tup_ins + n_tup_upd + n_tup_del)::int as written
                from pg_stat_xact_user_tables where schemaname = 'cache' order by relname`;
              return Object.fromEntries(rows.map((row) => [row.relname, row.written]));
            }),
          );
        } finally {
          await fresh.end();
        }
        assert.deepEqual(await rowVersions(admin, org), versionsBefore, "no entry row rewritten");
        const [status] = await admin`
          select status from cache.read(${org + ":price-alerts:i=1"}, ${org}::uuid, ${new Date(
          T0,
        )})`;
        assert.equal(status?.status, "purged");
      }
      assert.deepEqual(costs[0], {
        counters: 0,
        entries: 0,
        invalidation_audit: 0,
        invalidation_sequences: 0,
        leases: 0,
        // A purge is recorded for the cleanup: one row per tag too.
        pending_purges: 1,
        tag_versions: 1,
      });
      assert.deepEqual(costs[1], costs[0]);
    } finally {
      await admin`delete from cache.entries where organization_id in (${small}::uuid, ${large}::uuid)`;
    }
  }));

Deno.test("cache.record_hits adds batched counts per entry and per organization, dataset and hour", () =>
  withStore(async (store, admin) => {
    const org = newOrganizationId();
    const entry = await seedEntry(store, { organizationId: org, now: T0 });
    const batch = {
      entries: [{ key: entry.key, hits: 7, lastHitAt: T0 + 5_000 }],
      counters: [{
        organizationId: org,
        dataset: "price-alerts",
        hits: 5,
        staleHits: 2,
        misses: 1,
      }],
    };
    await store.recordHits(batch, T0 + 6_000);
    await store.recordHits(batch, T0 + 7_000);
    const [row] =
      await admin`select hit_count::int, last_hit_at from cache.entries where key = ${entry.key}`;
    assert.equal(row?.hit_count, 14);
    assert.equal((row?.last_hit_at as Date).getTime(), T0 + 5_000);
    const counters = await admin`
      select bucket_start, hits::int, stale_hits::int, misses::int from cache.counters
      where organization_id = ${org}::uuid`;
    assert.deepEqual(counters.map((counter) => ({ ...counter })), [{
      bucket_start: new Date("2026-03-01T12:00:00Z"),
      hits: 10,
      stale_hits: 4,
      misses: 2,
    }]);
    const error = await store.recordHits(
      { entries: [{ key: entry.key, hits: -1, lastHitAt: T0 }], counters: [] },
      T0,
    ).catch((e) => e);
    assert.ok(error instanceof InvalidCacheInputError);
  }));

Deno.test("cache.cleanup deletes expired and purged entries and expired leases, nothing else", () =>
  withStore(async (store, admin) => {
    const org = newOrganizationId();
    const now = Date.parse("2030-01-01T00:00:00Z"); // later than every other test's entries
    const expired = await seedEntry(store, {
      organizationId: org,
      now: now - 400_000,
      params: { e: "1" },
    });
    const purged = await seedEntry(store, { organizationId: org, dataset: "supplier-data", now });
    const kept = await seedEntry(store, { organizationId: org, params: { k: "1" }, now });
    await store.invalidateTags([datasetTag(org, "supplier-data")], "purge");
    await store.acquireLease(
      `${org}:price-alerts:lease`,
      "h",
      [organizationTag(org)],
      1_000,
      now - 5_000,
    );
    const result = await store.cleanup(now, 1_000_000);
    assert.ok(result.expiredEntries >= 1);
    assert.ok(result.purgedEntries >= 1);
    assert.ok(result.expiredLeases >= 1);
    const keys = (await admin<{ key: string }[]>`
      select key from cache.entries where organization_id = ${org}::uuid`).map((row) => row.key);
    assert.deepEqual(keys, [kept.key]);
    assert.ok(!keys.includes(expired.key) && !keys.includes(purged.key));
  }));

Deno.test("cache tag functions name tags exactly as shared/cache/tags.ts", () =>
  withStore(async (_store, admin) => {
    const org = newOrganizationId();
    const [row] = await admin`
      select cache.organization_tag(${org}::uuid) as organization,
             cache.dataset_tag(${org}::uuid, 'price-alerts') as dataset`;
    assert.deepEqual({ ...row }, {
      organization: organizationTag(org),
      dataset: datasetTag(org, "price-alerts"),
    });
    const bumped = await admin`
      select tag from cache.invalidate_datasets(${org}::uuid, array['price-alerts', 'supplier-data'], 'expire')
      order by tag`;
    assert.deepEqual(bumped.map((change) => change.tag), [
      datasetTag(org, "price-alerts"),
      datasetTag(org, "supplier-data"),
    ]);
  }));
