/**
 * analytics.rebuild_organization replaces one organization's datasets and
 * nothing else, atomically: other organizations' rows are never rewritten, a
 * failure at any point keeps the previous rows, and readers are never blocked
 * nor shown a half-built organization.
 */
import assert from "node:assert/strict";
import type { Sql } from "postgres";
import { EntityKind, generatedId } from "../../tools/generator/ids.ts";
import { connectAsSuperuser } from "../support/stack.ts";
import { dropGenerated, GENERATED_END_DATE, generateForTest } from "./support/generated.ts";
import { postgresErrorOf } from "./support/postgres_errors.ts";
import { analyticsSnapshot } from "./support/snapshots.ts";

const SEED = 7201;
const FAULTS = "nightshift_test_faults";

/** Adds a booked invoice dated yesterday, so A's next rebuild changes every dataset. */
async function addInvoice(sql: Sql, organizationIndex: number): Promise<void> {
  const organization = generatedId(EntityKind.organization, SEED, organizationIndex);
  const invoice = crypto.randomUUID();
  // 20 invoices per organization give 2 suppliers, 1 location and 5 products each.
  await sql`
    insert into public.invoices
      (id, organization_id, supplier_id, location_id, invoice_number, invoice_date, status, currency)
    values (${invoice}, ${organization}, ${
    generatedId(EntityKind.supplier, SEED, organizationIndex * 2)
  },
            ${generatedId(EntityKind.location, SEED, organizationIndex)}, ${`NEW-${invoice}`},
            ${GENERATED_END_DATE}::date - 1, 'paid', 'NOK')`;
  await sql`
    insert into public.invoice_lines
      (organization_id, invoice_id, line_number, product_id, quantity, unit_price)
    values (${organization}, ${invoice}, 1, ${
    generatedId(EntityKind.product, SEED, organizationIndex * 5)
  }, 3, 4.5)`;
}

/** Installs a trigger raising on inserts of organization A into a dataset table. */
async function failInsertsInto(sql: Sql, table: string, organizationId: string): Promise<void> {
  await sql.unsafe(`
    create schema if not exists ${FAULTS};
    create or replace function ${FAULTS}.fail() returns trigger language plpgsql as $$
    begin
      raise exception 'Injected failure while rebuilding %', tg_table_name;
    end $$;
    create trigger injected_failure before insert on ${table}
      for each row when (new.organization_id = '${organizationId}')
      execute function ${FAULTS}.fail();`);
}

Deno.test("rebuild_organization", async (t) => {
  const sql = connectAsSuperuser(3);
  const data = await generateForTest({
    seed: SEED,
    organizations: 2,
    invoicesPerOrganization: 20,
    linesPerInvoice: 4,
  });
  const [orgA, orgB] = data.organizationIds as [string, string];
  const rebuild = (id: string) =>
    sql`select analytics.rebuild_organization(${id}, ${GENERATED_END_DATE}) as result`;
  try {
    await rebuild(orgA);
    await rebuild(orgB);

    await t.step("rebuilding A never rewrites B's rows", async () => {
      const before = await analyticsSnapshot(sql, orgB);
      assert.ok(before.length > 10);
      await addInvoice(sql, 0);
      const beforeA = await analyticsSnapshot(sql, orgA);
      await rebuild(orgA);
      assert.deepEqual(await analyticsSnapshot(sql, orgB), before);
      assert.notDeepEqual(await analyticsSnapshot(sql, orgA), beforeA);
    });

    await t.step("returns what it wrote", async () => {
      const [{ result }] = await rebuild(orgA) as unknown as [{ result: Record<string, unknown> }];
      const [counts] = await sql<{ n: Record<string, number> }[]>`
        select jsonb_build_object(
          'dashboard-metrics', (select count(*) from analytics.dashboard_metrics where organization_id = ${orgA}),
          'product-metrics', (select count(*) from analytics.product_metrics where organization_id = ${orgA}),
          'cogs-analysis', (select count(*) from analytics.cogs_analysis where organization_id = ${orgA}),
          'supplier-metrics', (select count(*) from analytics.supplier_metrics where organization_id = ${orgA}),
          'invoice-analytics', (select count(*) from analytics.invoice_analytics where organization_id = ${orgA})
        ) as n`;
      assert.deepEqual(result.rows, counts!.n);
      assert.equal(result.as_of_date, GENERATED_END_DATE);
      assert.equal(result.organization_id, orgA);
    });

    for (const table of ["analytics.dashboard_metrics", "analytics.supplier_metrics"]) {
      await t.step(`a failure inserting into ${table} keeps A's previous rows`, async () => {
        await addInvoice(sql, 0);
        const before = await analyticsSnapshot(sql, orgA);
        await failInsertsInto(sql, table, orgA);
        try {
          const error = await postgresErrorOf(() => rebuild(orgA));
          assert.match(error.message, /Injected failure/);
        } finally {
          await sql.unsafe(`drop trigger injected_failure on ${table}`);
        }
        assert.deepEqual(await analyticsSnapshot(sql, orgA), before);
        const [state] = await sql`
          select needs_rebuild from analytics.organization_freshness where organization_id = ${orgA}`;
        assert.equal(state!.needs_rebuild, true);
        await rebuild(orgA);
        assert.notDeepEqual(await analyticsSnapshot(sql, orgA), before);
      });
    }

    await t.step(
      "datasets that disagree on spend are refused, keeping the previous rows",
      async () => {
        await addInvoice(sql, 0);
        const before = await analyticsSnapshot(sql, orgA);
        await sql.unsafe(`
        create schema if not exists ${FAULTS};
        create or replace function ${FAULTS}.inflate() returns trigger language plpgsql as $$
        begin
          new.spend := new.spend + 0.01;
          return new;
        end $$;
        create trigger injected_disagreement before insert on analytics.cogs_analysis
          for each row when (new.organization_id = '${orgA}')
          execute function ${FAULTS}.inflate();`);
        try {
          const error = await postgresErrorOf(() => rebuild(orgA));
          assert.equal(error.code, "22000");
          assert.match(
            error.message,
            /Analytics of organization .* are inconsistent: booked [A-Z]{3} spend/,
          );
          assert.match(error.detail ?? "", /cogs-analysis/);
        } finally {
          await sql`drop trigger injected_disagreement on analytics.cogs_analysis`;
        }
        assert.deepEqual(await analyticsSnapshot(sql, orgA), before);
      },
    );

    await t.step("readers are not blocked and see the previous rows until commit", async () => {
      await addInvoice(sql, 0);
      const reader = connectAsSuperuser(1);
      const readDashboard = () =>
        reader.begin(async (tx) => {
          await tx`set local statement_timeout = '2s'`;
          return (await tx<{ spend: string }[]>`
            select spend_last_30_days::text as spend from analytics.dashboard_metrics
            where organization_id = ${orgA} and currency = 'NOK'`)[0]?.spend ?? null;
        });
      try {
        const before = await readDashboard();
        let during: string | null = null;
        await sql.begin(async (tx) => {
          await tx`select analytics.rebuild_organization(${orgA}, ${GENERATED_END_DATE})`;
          during = await readDashboard();
        });
        const after = await readDashboard();
        assert.equal(during, before);
        assert.notEqual(after, before);
      } finally {
        await reader.end();
      }
    });

    await t.step("refuses an organization that does not exist", async () => {
      const error = await postgresErrorOf(() => rebuild(crypto.randomUUID()));
      assert.equal(error.code, "P0002");
      assert.match(error.message, /Cannot rebuild analytics: organization .* does not exist/);
    });
  } finally {
    await sql.unsafe(`drop schema if exists ${FAULTS} cascade`);
    await dropGenerated(sql, data);
    await sql.end();
  }
});
