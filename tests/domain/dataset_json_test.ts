/**
 * analytics.dataset_json: the documents the datasets edge function serves.
 * Members get their organization's datasets as deterministic JSON; everyone
 * else, and every malformed request, gets a SQLSTATE the function maps to HTTP.
 */
import assert from "node:assert/strict";
import { type Actor, asActor } from "../support/as_role.ts";
import { connectAsSuperuser } from "../support/stack.ts";
import { postgresErrorOf } from "./support/postgres_errors.ts";
import { createTwoTenants, dropTwoTenants } from "./support/tenants.ts";

const NIGHTLY = [
  "dashboard-metrics",
  "product-metrics",
  "cogs-analysis",
  "supplier-metrics",
  "invoice-analytics",
] as const;
const LIVE = ["price-alerts", "supplier-data", "location-data", "user-preferences"] as const;

type Sql = ReturnType<typeof connectAsSuperuser>;

/** The document as text, exactly as the function would send it. */
function documentText(
  sql: Sql,
  actor: Actor,
  dataset: string,
  organizationId: string,
  parameters: Record<string, unknown> = {},
): Promise<string> {
  return asActor(sql, actor, async (tx) => {
    const [row] = await tx<{ body: string }[]>`
      select analytics.dataset_json(
        ${dataset}, ${organizationId}, ${tx.json(parameters as never)}
      )::text as body`;
    return row!.body;
  }, { rollback: true });
}

Deno.test("analytics.dataset_json", async (t) => {
  const sql = connectAsSuperuser();
  const f = await createTwoTenants(sql);
  const member: Actor = { role: "authenticated", userId: f.memberA };
  try {
    await t.step("serves each nightly dataset with its rebuild stamp", async () => {
      const [state] = await sql<{ rebuilt_at: string }[]>`
        select to_jsonb(last_rebuilt_at) #>> '{}' as rebuilt_at
        from analytics.organization_state where organization_id = ${f.orgA}`;
      for (const dataset of NIGHTLY) {
        const document = JSON.parse(await documentText(sql, member, dataset, f.orgA));
        assert.deepEqual(Object.keys(document).sort(), [
          "as_of_date",
          "dataset",
          "organization_id",
          "rebuilt_at",
          "rows",
        ]);
        assert.equal(document.dataset, dataset);
        assert.equal(document.organization_id, f.orgA);
        assert.equal(document.as_of_date, f.asOf);
        assert.equal(document.rebuilt_at, state!.rebuilt_at);
        assert.equal(document.rows.length, 1, dataset);
        assert.equal("organization_id" in document.rows[0], false);
      }
      const dashboard = JSON.parse(await documentText(sql, member, "dashboard-metrics", f.orgA));
      assert.equal(dashboard.rows[0].spend_last_30_days, 20);
      assert.equal(dashboard.rows[0].currency, "EUR");
    });

    await t.step("serves each live dataset", async () => {
      const window = { from: "2026-10-01", to: f.asOf };
      const documents = Object.fromEntries(
        await Promise.all(
          LIVE.map(async (dataset) => [
            dataset,
            JSON.parse(
              await documentText(
                sql,
                member,
                dataset,
                f.orgA,
                dataset === "user-preferences" ? {} : window,
              ),
            ),
          ]),
        ),
      );
      assert.deepEqual(documents["price-alerts"].rows, []);
      assert.deepEqual(
        documents["supplier-data"].rows.map((row: { name: string; invoice_count: number }) => [
          row.name,
          row.invoice_count,
        ]),
        [["Spare supplier", 0], ["Used supplier", 1]],
      );
      assert.deepEqual(
        documents["location-data"].rows.map((row: { code: string }) => row.code),
        ["A1", "A2"],
      );
      assert.equal(documents["user-preferences"].rows[0].display_currency, "EUR");
      for (const dataset of LIVE) {
        assert.deepEqual(Object.keys(documents[dataset]).sort(), [
          "dataset",
          "organization_id",
          "rows",
        ]);
      }
    });

    await t.step("equal data gives byte-equal documents", async () => {
      for (const dataset of [...NIGHTLY, "supplier-data"]) {
        const first = await documentText(sql, member, dataset, f.orgA);
        const second = await documentText(sql, member, dataset, f.orgA);
        assert.equal(first, second);
      }
    });

    await t.step("an organization never rebuilt has no rows and no stamp", async () => {
      const document = JSON.parse(
        await documentText(
          sql,
          { role: "authenticated", userId: f.memberB },
          "product-metrics",
          f.orgB,
        ),
      );
      assert.deepEqual(document.rows, []);
      assert.equal(document.as_of_date, null);
      assert.equal(document.rebuilt_at, null);
    });

    await t.step("service_role reads any organization", async () => {
      const document = JSON.parse(
        await documentText(sql, { role: "service_role" }, "cogs-analysis", f.orgA),
      );
      assert.equal(document.rows.length, 1);
    });

    await t.step("non-members get insufficient_privilege for every dataset", async () => {
      const outsiders: Actor[] = [
        { role: "authenticated", userId: f.memberB },
        { role: "authenticated", userId: f.removedA },
        { role: "authenticated", userId: f.outsider },
      ];
      for (const actor of outsiders) {
        for (const dataset of [...NIGHTLY, ...LIVE]) {
          const error = await postgresErrorOf(() => documentText(sql, actor, dataset, f.orgA));
          assert.equal(error.code, "42501", `${dataset} for ${JSON.stringify(actor)}`);
          assert.match(error.message, /Not a member of organization/);
        }
      }
      const anonymous = await postgresErrorOf(() =>
        documentText(sql, { role: "anon" }, "dashboard-metrics", f.orgA)
      );
      assert.equal(anonymous.code, "42501");
    });

    await t.step("malformed requests get invalid_parameter_value", async () => {
      const cases: Array<[string, Record<string, unknown>, RegExp]> = [
        ["sales-forecast", {}, /Unknown dataset: sales-forecast/],
        ["dashboard-metrics", { from: "2026-01-01" }, /unknown from/],
        ["price-alerts", { foo: 1, bar: 2 }, /unknown bar, foo/],
        ["location-data", { supplier_id: f.usedSupplierA }, /unknown supplier_id/],
        ["price-alerts", { from: "today" }, /from and to must be dates YYYY-MM-DD/],
        ["price-alerts", { to: "2026-02-30" }, /Invalid parameters for dataset price-alerts/],
        ["supplier-data", { location_id: "not-a-uuid" }, /invalid input syntax for type uuid/],
        ["price-alerts", { limit: 2.5 }, /Invalid parameters/],
        ["price-alerts", { limit: 0 }, /Invalid max_rows/],
        ["supplier-data", { from: "2026-05-01", to: "2026-04-01" }, /Invalid date range/],
        ["price-alerts", { threshold_percent: "lots" }, /Invalid parameters/],
      ];
      for (const [dataset, parameters, message] of cases) {
        const error = await postgresErrorOf(() =>
          documentText(sql, member, dataset, f.orgA, parameters)
        );
        assert.equal(error.code, "22023", `${dataset} ${JSON.stringify(parameters)}`);
        assert.match(error.message, message);
      }
    });
  } finally {
    await dropTwoTenants(sql, f);
    await sql.end();
  }
});
