/**
 * The SQL dataset registry (`analytics.datasets`) agrees with the TypeScript one
 * (shared/datasets/registry.ts): names in order, sources, tiers, parameters,
 * source tables and user scoping. And a new nightly dataset really is one
 * migration's worth of SQL: a table, a compute function and a registry row are
 * enough for the nightly list, the rebuild, the write triggers and serving to
 * pick it up (done here in a rolled-back transaction, as the migration would).
 */
import assert from "node:assert/strict";
import { DATASET_NAMES, DATASETS, datasetsBySource } from "../../shared/datasets/registry.ts";
import { connectAsSuperuser } from "../support/stack.ts";
import { asActor } from "../support/as_role.ts";
import { rolledBack } from "./support/rolled_back.ts";
import { createTwoTenants, dropTwoTenants } from "./support/tenants.ts";

interface RegistryRow {
  name: string;
  source: string;
  freshness_tier: string;
  retention_tier: string;
  parameters: string[];
  source_tables: string[];
  user_scoped: boolean;
}

Deno.test("analytics.datasets agrees with the TypeScript registry", async () => {
  const sql = connectAsSuperuser(1);
  try {
    const rows = await sql<RegistryRow[]>`
      select name, source, freshness_tier, retention_tier, parameters, source_tables, user_scoped
      from analytics.datasets order by position`;
    assert.deepEqual(
      rows.map((row) => ({ ...row })),
      DATASET_NAMES.map((name) => ({
        name,
        source: DATASETS[name].source,
        freshness_tier: DATASETS[name].freshness,
        retention_tier: DATASETS[name].retention,
        parameters: Object.keys(DATASETS[name].parameters).sort(),
        source_tables: [...DATASETS[name].sourceTables],
        user_scoped: DATASETS[name].userScoped,
      })),
    );
    const [nightly] = await sql<{ names: string[] }[]>`select nightly.dataset_names() as names`;
    assert.deepEqual(nightly!.names, [...datasetsBySource("nightly")]);
  } finally {
    await sql.end();
  }
});

Deno.test("a registration with a missing piece fails when it is written", async (t) => {
  const sql = connectAsSuperuser(1);
  const cases: Array<[string, string, RegExp]> = [
    [
      "an unknown source table",
      `insert into analytics.datasets (name, position, source, freshness_tier, retention_tier,
         source_tables, description)
       values ('x-live', 1000, 'live', 'STABLE', 'LONG', '{no_such_table}', 'x')`,
      /source tables must be public tables with organization_id: no_such_table/,
    ],
    [
      "per-user state without user scoping",
      `insert into analytics.datasets (name, position, source, freshness_tier, retention_tier,
         source_tables, description)
       values ('x-live', 1000, 'live', 'STABLE', 'LONG', '{invoices,user_preferences}', 'x')`,
      /datasets_per_user_state_is_user_scoped/,
    ],
    [
      "a missing compute function",
      `insert into analytics.datasets (name, position, source, freshness_tier, retention_tier,
         source_tables, snapshot_table, compute_function, row_order, description)
       values ('x-nightly', 1000, 'nightly', 'NIGHTLY_REFRESH', 'NIGHTLY_CACHE', '{invoices}',
         'analytics.dashboard_metrics', 'analytics.compute_nothing', '{currency}', 'x')`,
      /analytics.compute_nothing must be a function \(uuid, date\) returning setof/,
    ],
    [
      "a compute function of another table",
      `insert into analytics.datasets (name, position, source, freshness_tier, retention_tier,
         source_tables, snapshot_table, compute_function, row_order, description)
       values ('x-nightly', 1000, 'nightly', 'NIGHTLY_REFRESH', 'NIGHTLY_CACHE', '{invoices}',
         'analytics.dashboard_metrics', 'analytics.compute_product_metrics', '{currency}', 'x')`,
      /must be a function \(uuid, date\) returning setof analytics.dashboard_metrics/,
    ],
    [
      "a row order naming a missing column",
      `insert into analytics.datasets (name, position, source, freshness_tier, retention_tier,
         source_tables, snapshot_table, compute_function, row_order, description)
       values ('x-nightly', 1000, 'nightly', 'NIGHTLY_REFRESH', 'NIGHTLY_CACHE', '{invoices}',
         'analytics.dashboard_metrics', 'analytics.compute_dashboard_metrics', '{colour}', 'x')`,
      /has no column colour/,
    ],
    [
      "a nightly dataset without a snapshot table",
      `insert into analytics.datasets (name, position, source, freshness_tier, retention_tier,
         source_tables, description)
       values ('x-nightly', 1000, 'nightly', 'NIGHTLY_REFRESH', 'NIGHTLY_CACHE', '{invoices}', 'x')`,
      /datasets_nightly_has_snapshot/,
    ],
  ];
  try {
    for (const [label, statement, message] of cases) {
      await t.step(label, async () => {
        await assert.rejects(rolledBack(sql, (tx) => tx.unsafe(statement)), message);
      });
    }
    await t.step("nobody but the owner writes the registry", async () => {
      for (const actor of [{ role: "service_role" as const }, { role: "anon" as const }]) {
        await assert.rejects(
          asActor(sql, actor, (tx) => tx`delete from analytics.datasets`),
          (error: { code?: string }) => error.code === "42501",
        );
      }
    });
  } finally {
    await sql.end();
  }
});

Deno.test("a new nightly dataset is a table, a compute function and a registry row", async () => {
  const sql = connectAsSuperuser(1);
  const tenants = await createTwoTenants(sql);
  try {
    await rolledBack(sql, async (tx) => {
      // What the walkthrough in ARCHITECTURE.md ("Adding a nightly dataset") has one write.
      await tx`
        create table analytics.location_spend (
          organization_id uuid not null references public.organizations (id) on delete cascade,
          location_id uuid not null,
          currency char(3) not null,
          as_of_date date not null,
          spend numeric(20, 2) not null,
          primary key (organization_id, location_id, currency)
        )`;
      await tx`alter table analytics.location_spend enable row level security`;
      await tx`grant select on analytics.location_spend to authenticated`;
      await tx`grant all on analytics.location_spend to service_role`;
      await tx`
        create policy "Organization members can read location spend"
          on analytics.location_spend for select to authenticated
          using (organization_id in (select private.current_user_organization_ids('member')))`;
      await tx`
        create function analytics.compute_location_spend(target_organization_id uuid, as_of date)
        returns setof analytics.location_spend
        language sql stable set search_path = ''
        as $$
          select target_organization_id, line.location_id, line.currency, as_of,
                 sum(line.line_total)
          from private.booked_invoice_lines(
            target_organization_id, private.reporting_window_start(as_of), as_of) as line
          group by line.location_id, line.currency
        $$`;
      await tx`
        insert into analytics.datasets (name, position, source, freshness_tier, retention_tier,
          source_tables, snapshot_table, compute_function, row_order, description)
        values ('location-spend', 55, 'nightly', 'NIGHTLY_REFRESH', 'NIGHTLY_CACHE',
          '{invoices,invoice_lines,locations}', 'analytics.location_spend',
          'analytics.compute_location_spend', '{location_id,currency}',
          'Booked spend per location and currency over twelve months.')`;

      const [names] = await tx<{ names: string[] }[]>`select nightly.dataset_names() as names`;
      assert.deepEqual(names!.names, [...datasetsBySource("nightly"), "location-spend"]);

      const [rebuild] = await tx<{ result: { rows: Record<string, number> } }[]>`
        select analytics.rebuild_organization(${tenants.orgA}, ${tenants.asOf}) as result`;
      assert.equal(rebuild!.result.rows["location-spend"], 1);

      // Served to a member, under RLS, in registered row order.
      await tx`select set_config('request.jwt.claims', ${
        JSON.stringify({ sub: tenants.memberA, role: "authenticated" })
      }, true)`;
      await tx`set local role authenticated`;
      const [served] = await tx<{ document: { rows: unknown[] } }[]>`
        select analytics.dataset_json('location-spend', ${tenants.orgA}) as document`;
      await tx`reset role`;
      const document = served!.document;
      assert.deepEqual(document.rows, [{
        location_id: tenants.usedLocationA,
        currency: "EUR",
        as_of_date: tenants.asOf,
        spend: 20,
      }]);

      // locations became a source of a nightly dataset: writes to it now mark the organization dirty.
      const [before] = await tx<{ last_changed_at: Date | null }[]>`
        select last_changed_at from analytics.organization_state where organization_id = ${tenants.orgA}`;
      await tx`update public.locations set name = 'Renamed' where id = ${tenants.spareLocationA}`;
      const [after] = await tx<{ last_changed_at: Date | null }[]>`
        select last_changed_at from analytics.organization_state where organization_id = ${tenants.orgA}`;
      assert.ok(after!.last_changed_at! > (before!.last_changed_at ?? new Date(0)));
    });
  } finally {
    await dropTwoTenants(sql, tenants);
    await sql.end();
  }
});
