/**
 * supabase/seed.sql loads cleanly into a migrated database and gives the
 * documented demo: users with each role, one of them in two organizations,
 * deterministic invoices and rebuilt nightly analytics. Applied inside a
 * transaction that is rolled back, so the test database stays empty.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import type { TransactionSql } from "postgres";
import { z } from "zod";
import { connectAsSuperuser } from "../support/stack.ts";
import { isPostgresError } from "./support/postgres_errors.ts";
import { rolledBack } from "./support/rolled_back.ts";

const SEED_FILE = fileURLToPath(new URL("../../supabase/seed.sql", import.meta.url));
const NORDIC_BISTRO = "0a000000-0000-4000-8000-000000000001";
const HARBOR_DELI = "0a000000-0000-4000-8000-000000000002";
const COPPER_CANTEEN = "0a000000-0000-4000-8000-000000000003";
const USERS = {
  olivia: "d0000000-0000-4000-8000-000000000001",
  adam: "d0000000-0000-4000-8000-000000000002",
  mia: "d0000000-0000-4000-8000-000000000003",
  sam: "d0000000-0000-4000-8000-000000000004",
  hugo: "d0000000-0000-4000-8000-000000000005",
  nora: "d0000000-0000-4000-8000-000000000006",
};

async function loadSeed(tx: TransactionSql): Promise<void> {
  await tx.unsafe(Deno.readTextFileSync(SEED_FILE)).simple();
}

/** Runs `work` as a signed-in demo user inside the seeding transaction, then switches back. */
async function asDemoUser<T>(
  tx: TransactionSql,
  userId: string,
  work: () => Promise<T>,
): Promise<T> {
  await tx`select set_config('request.jwt.claims', ${
    JSON.stringify({ sub: userId, role: "authenticated" })
  }, true)`;
  await tx`set local role authenticated`;
  try {
    return await work();
  } finally {
    await tx`reset role`;
  }
}

Deno.test("seed.sql loads the documented demo data", async () => {
  const sql = connectAsSuperuser();
  try {
    const observed = await rolledBack(sql, async (tx) => {
      await loadSeed(tx);
      const memberships = await tx<{ user_id: string; organization_id: string; role: string }[]>`
        select user_id::text, organization_id::text, role::text
        from public.organization_members
        where user_id in ${tx(Object.values(USERS))}
        order by user_id, organization_id`;
      const invoices = await tx<{ organization_id: string; n: number }[]>`
        select o.id::text as organization_id, count(i.id)::int as n
        from public.organizations as o
        left join public.invoices as i on i.organization_id = o.id
        where o.id in (${NORDIC_BISTRO}, ${HARBOR_DELI}, ${COPPER_CANTEEN})
        group by o.id order by o.id`;
      const freshness = await tx<{ needs_rebuild: boolean; rebuilt: boolean }[]>`
        select needs_rebuild, last_rebuilt_at is not null as rebuilt
        from analytics.organization_freshness
        where organization_id in (${NORDIC_BISTRO}, ${HARBOR_DELI}, ${COPPER_CANTEEN})`;
      const miaAlerts = await asDemoUser(
        tx,
        USERS.mia,
        async () =>
          (await tx<{ document: { rows: { product_name: string; change_percent: number }[] } }[]>`
          select analytics.dataset_json('price-alerts', ${NORDIC_BISTRO}) as document`)[0]!
            .document.rows,
      );
      const miaDashboard = await asDemoUser(
        tx,
        USERS.mia,
        async () =>
          (await tx<{ document: { rows: unknown[] } }[]>`
          select analytics.dataset_json('dashboard-metrics', ${NORDIC_BISTRO}) as document`)[0]!
            .document.rows,
      );
      const noraError = await asDemoUser(tx, USERS.nora, async () => {
        await tx`savepoint nora`;
        try {
          await tx`select analytics.dataset_json('dashboard-metrics', ${NORDIC_BISTRO})`;
          return null;
        } catch (error) {
          await tx`rollback to savepoint nora`;
          return isPostgresError(error) ? error.code : String(error);
        }
      });
      const [lines] = await tx<{ digest: string; n: number }[]>`
        select md5(string_agg(format('%s %s %s %s %s', l.invoice_id, l.line_number, l.product_id, l.quantity, l.unit_price),
                              ',' order by l.invoice_id, l.line_number)) as digest,
               count(*)::int as n
        from public.invoice_lines as l
        where l.organization_id in (${NORDIC_BISTRO}, ${HARBOR_DELI})`;
      return { memberships, invoices, freshness, miaAlerts, miaDashboard, noraError, lines };
    });

    assert.deepEqual(observed.memberships.map((m) => [m.user_id, m.organization_id, m.role]), [
      [USERS.olivia, NORDIC_BISTRO, "owner"],
      [USERS.olivia, COPPER_CANTEEN, "owner"],
      [USERS.adam, NORDIC_BISTRO, "admin"],
      [USERS.mia, NORDIC_BISTRO, "member"],
      [USERS.sam, NORDIC_BISTRO, "member"],
      [USERS.sam, HARBOR_DELI, "admin"],
      [USERS.hugo, HARBOR_DELI, "owner"],
    ]);
    assert.deepEqual(observed.invoices.map((row) => row.n), [161, 60, 0]);
    assert.deepEqual(
      observed.freshness.map((row) => [row.rebuilt, row.needs_rebuild]),
      [[true, false], [true, false], [true, false]],
    );
    assert.equal(observed.miaAlerts[0]?.product_name, "Salmon fillet");
    assert.ok(observed.miaAlerts[0]!.change_percent > 15);
    assert.equal(observed.miaDashboard.length, 1);
    assert.equal(observed.noraError, "42501");
    assert.ok(observed.lines!.n > 500);

    const again = await rolledBack(sql, async (tx) => {
      await loadSeed(tx);
      const [row] = await tx<{ digest: string }[]>`
        select md5(string_agg(format('%s %s %s %s %s', l.invoice_id, l.line_number, l.product_id, l.quantity, l.unit_price),
                              ',' order by l.invoice_id, l.line_number)) as digest
        from public.invoice_lines as l
        where l.organization_id in (${NORDIC_BISTRO}, ${HARBOR_DELI})`;
      return row!.digest;
    });
    assert.equal(again, observed.lines!.digest, "the seed is deterministic");
  } finally {
    await sql.end();
  }
});

Deno.test("demo user ids are accepted by `deno task jwt`", () => {
  for (const id of Object.values(USERS)) assert.ok(z.uuid().safeParse(id).success, id);
});
