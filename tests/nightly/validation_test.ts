/**
 * What a rebuild must pass before it commits (nightly.validate_rebuild), and
 * how it is compared with the previous snapshot (key figures, significant
 * changes). Each corruption is what a bug in a compute function would leave.
 */
import assert from "node:assert/strict";
import type { TransactionSql } from "postgres";
import { rolledBack } from "../domain/support/rolled_back.ts";
import { connectAsSuperuser } from "../support/stack.ts";
import {
  addInvoice,
  createOrganizations,
  type NightlyOrganization,
} from "./support/organizations.ts";

const AS_OF = "2026-06-15";

async function rebuilt(tx: TransactionSql): Promise<NightlyOrganization> {
  const [organization] = await createOrganizations(tx, [{
    invoiceDates: ["2026-06-10", "2026-05-02", "2025-12-24"],
  }]);
  await tx`select analytics.rebuild_organization(${organization!.id}, ${AS_OF})`;
  return organization!;
}

function validate(tx: TransactionSql, organization: NightlyOrganization) {
  return tx`select nightly.validate_rebuild(${organization.id}, ${AS_OF})`;
}

Deno.test("nightly.validate_rebuild accepts a correct rebuild and refuses corrupted ones", async (t) => {
  const sql = connectAsSuperuser(1);
  const corruptions: Array<[string, string, RegExp]> = [
    [
      "a product's spend no longer reconciles with the invoice lines",
      "update analytics.product_metrics set spend_total = spend_total + 1 where organization_id = $1",
      /do not reconcile with the base tables: booked EUR: base tables have spend 60\.00/,
    ],
    [
      "an invoice count that does not match the invoices",
      "update analytics.invoice_analytics set invoice_count = invoice_count + 1 where organization_id = $1",
      /do not reconcile with the base tables: EUR: base tables have 3 invoices/,
    ],
    [
      "a negative dashboard figure",
      "update analytics.dashboard_metrics set spend_last_30_days = -1 where organization_id = $1",
      /negative or NaN figures: dashboard-metrics/,
    ],
    [
      "a NaN percentage",
      "update analytics.supplier_metrics set price_variance_percent = 'NaN' where organization_id = $1",
      /negative or NaN figures: supplier-metrics/,
    ],
    [
      "a share above 100 %",
      "update analytics.cogs_analysis set share_of_total_percent = 101 where organization_id = $1",
      /negative or NaN figures: cogs-analysis/,
    ],
    [
      "missing dashboard rows",
      "delete from analytics.dashboard_metrics where organization_id = $1",
      /implausible row counts: dashboard-metrics has 0 rows for 1 currencies/,
    ],
    [
      "more COGS rows than booked lines",
      `insert into analytics.cogs_analysis
         select organization_id, month, category || ' copy ' || n, currency, line_count, 0, 0, 0
           from analytics.cogs_analysis, generate_series(1, 3) as n
          where organization_id = $1`,
      /implausible row counts: cogs-analysis has \d+ rows in 1 currencies for 3 booked lines/,
    ],
  ];
  try {
    await t.step("a fresh rebuild passes", async () => {
      await rolledBack(sql, async (tx) => {
        await validate(tx, await rebuilt(tx));
      });
    });
    await t.step("an organization without invoices passes with empty datasets", async () => {
      await rolledBack(sql, async (tx) => {
        const [empty] = await createOrganizations(tx, [{ invoiceDates: [] }]);
        await tx`select analytics.rebuild_organization(${empty!.id}, ${AS_OF})`;
        await validate(tx, empty!);
      });
    });
    for (const [name, statement, expected] of corruptions) {
      await t.step(`refused: ${name}`, async () => {
        await rolledBack(sql, async (tx) => {
          const organization = await rebuilt(tx);
          const changed = await tx.unsafe(statement, [organization.id]);
          assert.ok(changed.count > 0, "the corruption touched rows");
          await assert.rejects(
            validate(tx, organization),
            (error: Error & { code?: string }) => {
              assert.equal(error.code, "22000");
              assert.match(error.message, expected);
              return true;
            },
          );
        });
      });
    }
  } finally {
    await sql.end();
  }
});

Deno.test("nightly.key_figures and significant_changes compare snapshots", async (t) => {
  const sql = connectAsSuperuser(1);
  try {
    await t.step("a new invoice moves the key figures it feeds", async () => {
      await rolledBack(sql, async (tx) => {
        const organization = await rebuilt(tx);
        const [before] = await tx<{ figures: Record<string, Record<string, number>> }[]>`
          select nightly.key_figures(${organization.id}) as figures`;
        assert.deepEqual(before!.figures, {
          EUR: {
            booked_spend_12_months: 60,
            booked_invoices_12_months: 3,
            products_purchased: 1,
            spend_last_30_days: 20,
            active_suppliers_last_90_days: 1,
          },
        });
        await addInvoice(tx, organization, "2026-06-14", 1, 2); // +2.00: +3.3 % of 60, +10 % of 20
        await tx`select analytics.rebuild_organization(${organization.id}, ${AS_OF})`;
        const [after] = await tx<{ changes: unknown }[]>`
          select nightly.significant_changes(${tx.json(before!.figures)},
                                             nightly.key_figures(${organization.id}), 5) as changes`;
        assert.deepEqual(after!.changes, [
          {
            currency: "EUR",
            figure: "booked_invoices_12_months",
            previous: 3,
            current: 4,
            change_percent: 33.3,
          },
          {
            currency: "EUR",
            figure: "spend_last_30_days",
            previous: 20,
            current: 22,
            change_percent: 10.0,
          },
        ]);
      });
    });

    await t.step("the threshold, new currencies, and no previous snapshot", async () => {
      const cases: Array<[unknown, unknown, number, unknown]> = [
        [{ EUR: { a: 100 } }, { EUR: { a: 104.99 } }, 5, []],
        [{ EUR: { a: 100 } }, { EUR: { a: 95 } }, 5, [
          { currency: "EUR", figure: "a", previous: 100, current: 95, change_percent: -5.0 },
        ]],
        [{ EUR: { a: 0 } }, { EUR: { a: 0 }, SEK: { a: 7 } }, 5, [
          { currency: "SEK", figure: "a", previous: 0, current: 7, change_percent: null },
        ]],
        [null, { EUR: { a: 7 } }, 5, []],
      ];
      for (const [previous, current, threshold, expected] of cases) {
        const [row] = await sql<{ changes: unknown }[]>`
          select nightly.significant_changes(${
          previous === null ? null : sql.json(previous as never)
        },
                                             ${
          sql.json(current as never)
        }, ${threshold}) as changes`;
        assert.deepEqual(row!.changes, expected, JSON.stringify({ previous, current }));
      }
    });
  } finally {
    await sql.end();
  }
});
