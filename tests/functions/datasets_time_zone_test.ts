/**
 * An organization's time zone decides the default date windows of the live
 * datasets over invoices (`price-alerts`, `supplier-data`, `location-data` end
 * their window "today in the organization's time zone",
 * `private.organization_local_date`), so changing `organizations.time_zone`
 * expires them, like any write to a table they read: both registries declare
 * `organizations` as their source, and only a time-zone change counts (a
 * renamed organization expires nothing). Through the real write triggers as the
 * real roles, and end to end through the gateway.
 */
import assert from "node:assert/strict";
import type { Sql } from "postgres";
import { DATASET_NAMES, DATASETS, datasetsReading } from "../../shared/datasets/registry.ts";
import { invalidationNotice } from "../../shared/invalidation/invalidation_notice.ts";
import { asActor } from "../support/as_role.ts";
import { connectAsPlatformAdmin, connectAsSuperuser } from "../support/stack.ts";
import { TEST_INTERVALS } from "../support/test_function_env.ts";
import { readDataset, tokenFor, withTwoTenants } from "./datasets_support.ts";

/** The live datasets whose default window ends today in the organization's time zone. */
const WINDOWED = ["location-data", "price-alerts", "supplier-data"];

async function datasetTagVersions(sql: Sql, organizationId: string): Promise<Map<string, string>> {
  const prefix = `org:${organizationId}:dataset:`;
  const rows = await sql<{ tag: string; version: string }[]>`
    select tag, version::text from cache.tag_versions where tag like ${prefix + "%"}`;
  return new Map(rows.map((row) => [row.tag.slice(prefix.length), row.version]));
}

function bumped(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...after.keys()].filter((name) => after.get(name) !== before.get(name)).sort();
}

async function clearNotices(organizationId: string): Promise<void> {
  const admin = connectAsPlatformAdmin();
  try {
    await admin`delete from realtime.messages where topic = ${`cache-invalidation:${organizationId}`}`;
  } finally {
    await admin.end();
  }
}

Deno.test("both registries declare organizations as a source of the windowed live datasets", () => {
  assert.deepEqual([...datasetsReading("organizations")].sort(), WINDOWED);
  for (const name of DATASET_NAMES) {
    assert.equal(
      (DATASETS[name].sourceTables as readonly string[]).includes("organizations"),
      WINDOWED.includes(name),
      name,
    );
  }
  // The SQL half is compared with this one by tests/domain/dataset_registry_sql_test.ts.
});

Deno.test("a time-zone change expires the windowed live datasets with one notice; a rename does not", async () => {
  await withTwoTenants(async (t) => {
    const sql = connectAsSuperuser(1);
    try {
      await clearNotices(t.orgA);
      const before = await datasetTagVersions(sql, t.orgA);
      const [state] = await sql<{ last_changed_at: Date | null }[]>`
        select last_changed_at from analytics.organization_state where organization_id = ${t.orgA}`;

      // A rename and an update leaving the zone as it is: nothing the datasets read.
      await asActor(sql, { role: "authenticated", userId: t.adminA }, async (tx) => {
        await tx`update public.organizations set name = 'Tenant A, renamed' where id = ${t.orgA}`;
        await tx`update public.organizations set time_zone = time_zone where id = ${t.orgA}`;
      });
      assert.deepEqual(bumped(before, await datasetTagVersions(sql, t.orgA)), []);

      await asActor(
        sql,
        { role: "authenticated", userId: t.adminA },
        (tx) =>
          tx`update public.organizations set time_zone = 'Pacific/Kiritimati' where id = ${t.orgA}`,
      );
      assert.deepEqual(bumped(before, await datasetTagVersions(sql, t.orgA)), WINDOWED);

      const messages = await sql<{ payload: unknown }[]>`
        select payload from realtime.messages
        where topic = ${`cache-invalidation:${t.orgA}`}`;
      assert.equal(messages.length, 1, "one notice, for the time-zone change only");
      const notice = invalidationNotice.parse(messages[0]!.payload);
      assert.equal(notice.cause, "write");
      assert.equal(notice.action, "expire");
      assert.deepEqual(notice.datasets, WINDOWED);
      assert.deepEqual(notice.details, { table: "organizations", operation: "update" });

      // Nightly snapshots are computed for a date the nightly run passes: not marked dirty.
      const [stateAfter] = await sql<{ last_changed_at: Date | null }[]>`
        select last_changed_at from analytics.organization_state where organization_id = ${t.orgA}`;
      assert.deepEqual(stateAfter, state);
      // B untouched.
      const [other] = await sql<{ count: number }[]>`
        select count(*)::int as count from realtime.messages
        where topic = ${`cache-invalidation:${t.orgB}`} and payload ->> 'cause' = 'write'
          and payload -> 'details' ->> 'table' = 'organizations'`;
      assert.equal(other!.count, 0);
    } finally {
      await sql.end();
    }
  });
});

Deno.test("datasets: after a time-zone change the next read of a windowed dataset is not served as fresh", async () => {
  await withTwoTenants(async (t) => {
    const sql = connectAsSuperuser(1);
    try {
      const token = await tokenFor(t.memberA);
      const query = `organization_id=${t.orgA}`;
      for (const dataset of ["location-data", "user-preferences"]) {
        const first = await readDataset(token, dataset, query);
        assert.equal(first.response.status, 200, first.text);
        const again = await readDataset(token, dataset, query);
        assert.equal(again.response.headers.get("x-cache"), "HIT", dataset);
      }

      await asActor(
        sql,
        { role: "authenticated", userId: t.ownerA },
        (tx) =>
          tx`update public.organizations set time_zone = 'America/Chicago' where id = ${t.orgA}`,
      );
      // Other clients' writes reach an isolate's L1 within CACHE_L1_REVALIDATE_INTERVAL.
      await new Promise((resolve) => setTimeout(resolve, TEST_INTERVALS.l1RevalidateMs + 100));

      const windowed = await readDataset(token, "location-data", query);
      assert.equal(windowed.response.status, 200, windowed.text);
      assert.notEqual(windowed.response.headers.get("x-cache"), "HIT", "expired by the zone");
      // user-preferences has no date window: the zone does not touch it.
      const unwindowed = await readDataset(token, "user-preferences", query);
      assert.equal(unwindowed.response.headers.get("x-cache"), "HIT");
    } finally {
      await sql.end();
    }
  });
});
