/**
 * `cache.cleanup` of purged entries: it deletes exactly what purges made
 * unservable (recorded in cache.pending_purges by a trigger on
 * cache.tag_versions), through the tag's organization/dataset index, without
 * reading unrelated entries. Work is asserted on the transaction's table
 * statistics (rows read by sequential scans, rows fetched by index), not timed.
 */
import assert from "node:assert/strict";
import type { Sql } from "postgres";
import { connectAsSuperuser } from "../support/stack.ts";
import { newOrganizationId } from "./support.ts";

/**
 * Rows a cleanup may fetch besides twice the rows it deletes (found, then deleted by
 * key): catalogue and plan noise, far below the 3,000 unrelated entries.
 */
const SLACK = 10;

/** Before every expires_at of every test: the expired-entries pass deletes nothing. */
const LONG_AGO = new Date("2000-01-01T00:00:00Z");

async function fill(admin: Sql, org: string, dataset: string, count: number): Promise<void> {
  await admin`
    insert into cache.entries (key, organization_id, dataset, body, etag, tag_versions,
      created_at, fresh_until, expires_at)
    select ${org} || ':' || ${dataset} || ':i=' || i, ${org}::uuid, ${dataset}, '{}', '"e"',
      jsonb_build_object(
        'org:' || ${org},
        coalesce((select version from cache.tag_versions where tag = 'org:' || ${org}), 0),
        'org:' || ${org} || ':dataset:' || ${dataset},
        coalesce((select version from cache.tag_versions
                  where tag = 'org:' || ${org} || ':dataset:' || ${dataset}), 0)),
      now(), now() + interval '1 hour', now() + interval '2 hours'
    from generate_series(1, ${count}::int) as i`;
}

interface CleanupWork {
  readonly purged: number;
  /** cache.entries rows read by sequential scans and fetched through indexes. */
  readonly seqRead: number;
  readonly indexFetched: number;
  readonly deleted: number;
}

/** Runs a cleanup as service_role on a new connection and reads what it cost. */
async function cleanupWork(): Promise<CleanupWork> {
  const fresh = connectAsSuperuser(1);
  try {
    return await fresh.begin(async (tx) => {
      // Plans as a long-lived session has them after a few cleanups: generic ones.
      await tx`set local plan_cache_mode = force_generic_plan`;
      await tx`set local role service_role`;
      const [result] = await tx<{ purged_entries: string }[]>`
        select purged_entries from cache.cleanup(${LONG_AGO}, 1000000)`;
      const [stats] = await tx<{ seq: number; fetched: number; deleted: number }[]>`
        select coalesce(seq_tup_read, 0)::int as seq, coalesce(idx_tup_fetch, 0)::int as fetched,
          n_tup_del::int as deleted
        from pg_stat_xact_user_tables where schemaname = 'cache' and relname = 'entries'`;
      return {
        purged: Number(result!.purged_entries),
        seqRead: stats?.seq ?? 0,
        indexFetched: stats?.fetched ?? 0,
        deleted: stats?.deleted ?? 0,
      };
    });
  } finally {
    await fresh.end();
  }
}

async function pending(admin: Sql, tag: string): Promise<number | undefined> {
  const [row] = await admin<{ purged_version: string }[]>`
    select purged_version from cache.pending_purges where tag = ${tag}`;
  return row ? Number(row.purged_version) : undefined;
}

Deno.test("cache.cleanup deletes a purged dataset's entries and reads no unrelated entry", async (t) => {
  const admin = connectAsSuperuser();
  const org = newOrganizationId();
  const other = newOrganizationId();
  try {
    await fill(admin, other, "price-alerts", 3000);
    await fill(admin, org, "price-alerts", 40);
    await fill(admin, org, "supplier-data", 40);
    await admin`analyze cache.entries`;
    await cleanupWork(); // whatever earlier tests left pending

    await t.step("with nothing purged, a cleanup reads no entry", async () => {
      const work = await cleanupWork();
      assert.deepEqual({ ...work, indexFetched: 0 }, {
        purged: 0,
        seqRead: 0,
        indexFetched: 0,
        deleted: 0,
      });
      assert.ok(work.indexFetched <= SLACK, `fetched ${work.indexFetched} rows`);
    });

    await t.step("a purge deletes its dataset's entries, reading only those", async () => {
      const tag = `org:${org}:dataset:price-alerts`;
      await admin`select cache.invalidate_tags(array[${tag}], 'purge')`;
      assert.ok((await pending(admin, tag)) !== undefined, "the purge is recorded");
      const work = await cleanupWork();
      assert.equal(work.purged, 40);
      assert.equal(work.deleted, 40);
      assert.equal(work.seqRead, 0, "no sequential scan of cache.entries");
      assert.ok(work.indexFetched <= 2 * 40 + SLACK, `fetched ${work.indexFetched} rows`);
      assert.equal(await pending(admin, tag), undefined, "the purge is forgotten once done");
      const [left] = await admin<{ dataset: string; n: number }[]>`
        select count(*)::int as n from cache.entries where organization_id = ${org}::uuid`;
      assert.equal(left?.n, 40, "the other dataset's entries are kept");
    });

    await t.step(
      "an organization purge deletes every entry of that organization only",
      async () => {
        await fill(admin, org, "price-alerts", 10);
        await admin`select cache.invalidate_tags(array[${`org:${org}`}], 'purge')`;
        const work = await cleanupWork();
        assert.equal(work.purged, 50);
        assert.equal(work.seqRead, 0);
        assert.ok(work.indexFetched <= 2 * 50 + SLACK, `fetched ${work.indexFetched} rows`);
        const [counts] = await admin<{ mine: number; theirs: number }[]>`
        select count(*) filter (where organization_id = ${org}::uuid)::int as mine,
          count(*) filter (where organization_id = ${other}::uuid)::int as theirs
        from cache.entries`;
        assert.deepEqual({ ...counts }, { mine: 0, theirs: 3000 });
      },
    );

    await t.step("entries written after a purge are kept", async () => {
      const tag = `org:${org}:dataset:supplier-data`;
      await admin`select cache.invalidate_tags(array[${tag}], 'purge')`;
      await fill(admin, org, "supplier-data", 5); // under the new version
      const work = await cleanupWork();
      assert.equal(work.purged, 0);
      const [row] = await admin<{ n: number }[]>`
        select count(*)::int as n from cache.entries where organization_id = ${org}::uuid`;
      assert.equal(row?.n, 5);
    });
  } finally {
    await admin`delete from cache.entries where organization_id in (${org}::uuid, ${other}::uuid)`;
    await admin.end();
  }
});

Deno.test("only purges are recorded for the cleanup, and a purge during a cleanup is kept", async () => {
  const admin = connectAsSuperuser();
  const org = newOrganizationId();
  try {
    const tag = `org:${org}:tag:pending`;
    await admin`select cache.invalidate_tags(array[${tag}], 'expire')`;
    assert.equal(await pending(admin, tag), undefined, "an expire leaves nothing to delete");
    await admin`select cache.invalidate_tags(array[${tag}], 'purge')`;
    assert.equal(await pending(admin, tag), 2);
    await admin`select cache.invalidate_tags(array[${tag}], 'expire')`;
    assert.equal(await pending(admin, tag), 2, "an expire does not move the purge version");

    // A cleanup working on version 2 while the tag is purged again (version 4) must not
    // forget the newer purge.
    await admin.begin(async (tx) => {
      await tx`select cache.delete_purged_entries(${tag}, 2, 1000)`;
      await admin`select cache.invalidate_tags(array[${tag}], 'purge')`;
      await tx`delete from cache.pending_purges where tag = ${tag} and purged_version = 2`;
    });
    assert.equal(await pending(admin, tag), 4);
  } finally {
    await admin`delete from cache.pending_purges where tag like ${`org:${org}%`}`;
    await admin.end();
  }
});
