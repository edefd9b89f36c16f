/**
 * `cache-admin/maintenance/history` end to end: the log of an organization's
 * actions with daily totals over a window of UTC days, scoped like every route.
 */
import assert from "node:assert/strict";
import { connectAsSuperuser } from "../support/stack.ts";
import { adminGet, adminPost, forgetOrganizations, seedEntries } from "./cache_admin_support.ts";
import { serviceRoleKey, tokenFor, withTwoTenants } from "./datasets_support.ts";

const utcDate = (daysAgo: number) =>
  new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);

Deno.test("maintenance history lists an organization's actions with daily totals", async (t) => {
  await withTwoTenants(async (tenants) => {
    const sql = connectAsSuperuser(1);
    const owner = await tokenFor(tenants.ownerA);
    const orgA = tenants.orgA;
    try {
      await seedEntries(sql, [
        {
          organizationId: orgA,
          dataset: "price-alerts",
          params: { n: 1 },
          ageMs: 7_200_000,
          retentionMs: 3_600_000,
        },
        {
          organizationId: orgA,
          dataset: "price-alerts",
          params: { n: 2 },
          ageMs: 7_200_000,
          retentionMs: 3_600_000,
        },
        {
          organizationId: orgA,
          dataset: "supplier-data",
          params: { n: 3 },
          ageMs: 7_200_000,
          retentionMs: 86_400_000,
        },
      ]);
      const first = await adminPost(owner, "maintenance", {
        action: "cleanup_expired",
        organization_id: orgA,
      });
      const second = await adminPost(await tokenFor(tenants.adminA), "maintenance", {
        action: "selective_clear",
        organization_id: orgA,
        key_prefixes: [`${orgA}:supplier-data:`],
      });
      assert.equal(first.body.deleted_entries, 2);
      assert.equal(second.body.deleted_entries, 1);
      // Older rows, as if logged days ago: 3 days (in the window) and 10 days (outside).
      for (const [daysAgo, deleted] of [[3, 40], [10, 500]] as const) {
        await sql`
          insert into cache_admin.maintenance_log (organization_id, actor_role, action,
            deleted_entries, duration_ms, started_at)
          values (${orgA}, 'service_role', 'cleanup_unused', ${deleted}, 7,
            now() - ${daysAgo} * interval '1 day')`;
      }
      // B's action is not A's history.
      await adminPost(serviceRoleKey, "maintenance", {
        action: "optimize",
        organization_id: tenants.orgB,
      });

      await t.step(
        "the owner sees A's actions, newest first, and totals for each of 7 days",
        async () => {
          const { response, body } = await adminGet(
            owner,
            `maintenance/history?organization_id=${orgA}&days=7`,
          );
          assert.equal(response.status, 200, JSON.stringify(body));
          assert.equal(body.total, 3);
          assert.equal(body.truncated, false);
          assert.deepEqual(
            body.entries.map((
              e: Record<string, unknown>,
            ) => [e.action, e.actor_role, e.actor_user_id, e.deleted_entries]),
            [
              ["selective_clear", "admin", tenants.adminA, 1],
              ["cleanup_expired", "owner", tenants.ownerA, 2],
              ["cleanup_unused", "service_role", null, 40],
            ],
          );
          assert.deepEqual(body.entries[0].criteria, { key_prefixes: [`${orgA}:supplier-data:`] });
          assert.deepEqual(body.entries[1].details, { expired: 2, purged: 0 });
          assert.equal(body.daily.length, 7);
          assert.deepEqual(
            body.daily.map((d: { date: string }) => d.date),
            [6, 5, 4, 3, 2, 1, 0].map(utcDate),
          );
          const today = body.daily.at(-1);
          assert.deepEqual(
            { ...today, duration_ms: undefined },
            {
              date: utcDate(0),
              actions: 2,
              deleted_entries: 3,
              duration_ms: undefined,
              by_action: { cleanup_expired: 1, selective_clear: 1 },
            },
          );
          assert.equal(
            today.duration_ms,
            body.entries[0].duration_ms + body.entries[1].duration_ms,
          );
          assert.deepEqual(body.daily.at(-4), {
            date: utcDate(3),
            actions: 1,
            deleted_entries: 40,
            duration_ms: 7,
            by_action: { cleanup_unused: 1 },
          });
          assert.deepEqual(body.daily[0], {
            date: utcDate(6),
            actions: 0,
            deleted_entries: 0,
            duration_ms: 0,
            by_action: {},
          });
        },
      );
      await t.step("days=1 is today only; days=14 reaches the 10-day-old row", async () => {
        const today = await adminGet(owner, `maintenance/history?organization_id=${orgA}&days=1`);
        assert.equal(today.body.total, 2);
        assert.equal(today.body.daily.length, 1);
        const fortnight = await adminGet(
          owner,
          `maintenance/history?organization_id=${orgA}&days=14`,
        );
        assert.equal(fortnight.body.total, 4);
      });
      await t.step("limit=1 lists one row and says it is truncated", async () => {
        const { body } = await adminGet(
          owner,
          `maintenance/history?organization_id=${orgA}&limit=1`,
        );
        assert.equal(body.entries.length, 1);
        assert.equal(body.total, 3);
        assert.equal(body.truncated, true);
      });
      await t.step(
        "the service role sees B's optimize under B, and everything without a filter",
        async () => {
          const b = await adminGet(
            serviceRoleKey,
            `maintenance/history?organization_id=${tenants.orgB}`,
          );
          assert.deepEqual(b.body.entries.map((e: { action: string }) => e.action), ["optimize"]);
          const all = await adminGet(serviceRoleKey, "maintenance/history?days=1");
          const organizations = new Set(
            all.body.entries.map((e: { organization_id: string }) => e.organization_id),
          );
          assert.ok(organizations.has(orgA) && organizations.has(tenants.orgB));
        },
      );
      await t.step("bad queries and other callers are refused", async () => {
        const cases: [string | undefined, string, number][] = [
          [owner, `maintenance/history?organization_id=${orgA}&days=0`, 400],
          [owner, `maintenance/history?organization_id=${orgA}&days=91`, 400],
          [owner, `maintenance/history?organization_id=${orgA}&days=week`, 400],
          [owner, "maintenance/history", 400],
          [owner, `maintenance/history?organization_id=${tenants.orgB}`, 403],
          [await tokenFor(tenants.memberA), `maintenance/history?organization_id=${orgA}`, 403],
          [undefined, `maintenance/history?organization_id=${orgA}`, 401],
        ];
        for (const [token, path, status] of cases) {
          const { response, body } = await adminGet(token, path);
          assert.equal(response.status, status, `${path}: ${JSON.stringify(body)}`);
        }
      });
    } finally {
      await forgetOrganizations(sql, orgA, tenants.orgB);
      await sql.end();
    }
  });
});
