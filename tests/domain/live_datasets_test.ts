/**
 * Live datasets (price-alerts, supplier-data, location-data, user-preferences)
 * run as the signed-in member, with RLS applying, and agree with
 * recomputations from raw rows for every filter they accept.
 */
import assert from "node:assert/strict";
import type { TransactionSql } from "postgres";
import { EntityKind, generatedId } from "../../tools/generator/ids.ts";
import { asActor } from "../support/as_role.ts";
import { connectAsSuperuser } from "../support/stack.ts";
import { dropGenerated, GENERATED_END_DATE, generateForTest } from "./support/generated.ts";
import { postgresErrorOf } from "./support/postgres_errors.ts";
import { loadRawOrganization, type TextRow } from "./support/recompute/mod.ts";
import {
  type PriceAlertParameters,
  recomputePriceAlerts,
} from "./support/recompute/price_alerts.ts";
import { locationActivity, supplierActivity } from "./support/recompute/reference_data.ts";

const SEED = 7401;
const PRICE_ALERT_COLUMNS = [
  "product_id",
  "sku",
  "product_name",
  "category",
  "supplier_id",
  "supplier_name",
  "currency",
  "latest_invoice_id",
  "latest_invoice_date",
  "latest_unit_price",
  "reference_unit_price",
  "change_percent",
  "purchase_count",
];

/** Rows of a set-returning call, every listed column as text, in the function's order. */
async function textRows(
  tx: TransactionSql,
  call: string,
  columns: readonly string[],
  params: unknown[],
): Promise<TextRow[]> {
  const list = columns.map((name) => `"${name}"::text as "${name}"`).join(", ");
  return [...await tx.unsafe<TextRow[]>(`select ${list} from ${call}`, params as never[])];
}

Deno.test("live datasets", async (t) => {
  const sql = connectAsSuperuser();
  const data = await generateForTest({
    seed: SEED,
    organizations: 2,
    invoicesPerOrganization: 150,
    linesPerInvoice: 5,
  });
  const [orgA, orgB] = data.organizationIds as [string, string];
  const member = { role: "authenticated" as const, userId: generatedId(EntityKind.user, SEED, 2) };
  const memberOfB = {
    role: "authenticated" as const,
    userId: generatedId(EntityKind.user, SEED, 5),
  };
  const asMember = <T>(work: (tx: TransactionSql) => Promise<T>) =>
    asActor(sql, member, work, { rollback: true });
  try {
    const raw = await loadRawOrganization(sql, orgA);
    // 150 invoices per organization: 15 suppliers, 3 locations, 38 products each.
    const location = generatedId(EntityKind.location, SEED, 1);
    const supplier = generatedId(EntityKind.supplier, SEED, 4);

    await t.step("price-alerts equal a recomputation for every filter", async () => {
      const cases: PriceAlertParameters[] = [
        { from: "2025-11-21", to: GENERATED_END_DATE, thresholdPercent: 5, limit: 1000 },
        { from: "2025-11-21", to: GENERATED_END_DATE, thresholdPercent: 1, limit: 7 },
        { from: "2026-03-01", to: "2026-09-30", thresholdPercent: 2.5, limit: 1000 },
        {
          from: "2025-11-21",
          to: GENERATED_END_DATE,
          locationId: location,
          thresholdPercent: 3,
          limit: 1000,
        },
        {
          from: "2025-11-21",
          to: GENERATED_END_DATE,
          supplierId: supplier,
          thresholdPercent: 1,
          limit: 1000,
        },
      ];
      for (const p of cases) {
        const stored = await asMember((tx) =>
          textRows(tx, "analytics.price_alerts($1, $2, $3, $4, $5, $6, $7)", PRICE_ALERT_COLUMNS, [
            orgA,
            p.from,
            p.to,
            p.locationId ?? null,
            p.supplierId ?? null,
            p.thresholdPercent,
            p.limit,
          ])
        );
        const recomputed = recomputePriceAlerts(raw, p);
        assert.ok(recomputed.length > 0, `parameters find alerts: ${JSON.stringify(p)}`);
        assert.deepEqual(stored, recomputed, JSON.stringify(p));
      }
    });

    await t.step("price-alerts default to the member's saved threshold, else 10 %", async () => {
      const p = { from: "2025-11-21", to: GENERATED_END_DATE, limit: 1000 };
      const call = (tx: TransactionSql) =>
        textRows(tx, "analytics.price_alerts($1, $2, $3, max_rows => 1000)", [
          "sku",
          "change_percent",
        ], [
          orgA,
          p.from,
          p.to,
        ]);
      const project = (rows: TextRow[]) =>
        rows.map((row) => ({ sku: row.sku!, change_percent: row.change_percent! }));
      const byDefault = await asMember(call);
      assert.deepEqual(
        byDefault,
        project(recomputePriceAlerts(raw, { ...p, thresholdPercent: 10 })),
      );
      const saved = await asMember(async (tx) => {
        await tx`
          insert into public.user_preferences (organization_id, user_id, price_alert_threshold_percent)
          values (${orgA}, ${member.userId}, 4)`;
        return await call(tx);
      });
      assert.deepEqual(saved, project(recomputePriceAlerts(raw, { ...p, thresholdPercent: 4 })));
      assert.ok(saved.length > byDefault.length);
    });

    await t.step("supplier-data lists every supplier with its activity", async () => {
      for (const locationId of [undefined, location]) {
        const rows = await asMember((tx) =>
          textRows(
            tx,
            "analytics.supplier_data($1, $2, $3, $4)",
            ["supplier_id", "name", "invoice_count", "product_count", "last_invoice_date"],
            [orgA, "2025-11-21", GENERATED_END_DATE, locationId ?? null],
          )
        );
        const activity = supplierActivity(raw, "2025-11-21", GENERATED_END_DATE, locationId);
        const expected = [...raw.suppliers]
          .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id))
          .map((s) => {
            const a = activity.get(s.id)!;
            return {
              supplier_id: s.id,
              name: s.name,
              invoice_count: String(a.invoiceCount),
              product_count: String(a.distinct),
              last_invoice_date: a.lastInvoiceDate,
            };
          });
        assert.deepEqual(rows, expected);
      }
      const one = await asMember((tx) =>
        textRows(tx, "analytics.supplier_data($1, null, null, null, $2)", ["supplier_id"], [
          orgA,
          supplier,
        ])
      );
      assert.deepEqual(one, [{ supplier_id: supplier }]);
      const limited = await asMember((tx) =>
        textRows(tx, "analytics.supplier_data($1, max_rows => 2)", ["supplier_id"], [orgA])
      );
      assert.equal(limited.length, 2);
    });

    await t.step("location-data lists every location with its activity", async () => {
      const ids = [0, 1, 2].map((index) => generatedId(EntityKind.location, SEED, index));
      const rows = await asMember((tx) =>
        textRows(
          tx,
          "analytics.location_data($1, $2, $3)",
          ["location_id", "code", "invoice_count", "supplier_count", "last_invoice_date"],
          [orgA, "2026-01-01", "2026-10-31"],
        )
      );
      const activity = locationActivity(raw, ids, "2026-01-01", "2026-10-31");
      assert.deepEqual(
        rows,
        ids.map((id, index) => ({
          location_id: id,
          code: `LOC-0${index + 1}`,
          invoice_count: String(activity.get(id)!.invoiceCount),
          supplier_count: String(activity.get(id)!.distinct),
          last_invoice_date: activity.get(id)!.lastInvoiceDate,
        })),
      );
      assert.ok(rows.every((row) => Number(row.invoice_count) > 0));
    });

    await t.step("user-preferences: defaults, then what the member saved", async () => {
      const columns = [
        "user_id",
        "default_location_id",
        "default_location_name",
        "display_currency",
        "price_alert_threshold_percent",
        "settings",
      ];
      const read = (tx: TransactionSql) =>
        textRows(tx, "analytics.current_user_preferences($1)", columns, [orgA]);
      assert.deepEqual(await asMember(read), [{
        user_id: member.userId,
        default_location_id: null,
        default_location_name: null,
        display_currency: null,
        price_alert_threshold_percent: "10.00",
        settings: "{}",
      }]);
      const [locationName] = await sql<{ name: string }[]>`
        select name from public.locations where id = ${location}`;
      const saved = await asMember(async (tx) => {
        await tx`
          insert into public.user_preferences
            (organization_id, user_id, default_location_id, display_currency, settings)
          values (${orgA}, ${member.userId}, ${location}, 'DKK', '{"theme": "dark"}')`;
        return await read(tx);
      });
      assert.deepEqual(saved, [{
        user_id: member.userId,
        default_location_id: location,
        default_location_name: locationName!.name,
        display_currency: "DKK",
        price_alert_threshold_percent: "10.00",
        settings: '{"theme": "dark"}',
      }]);
      const asService = await asActor(sql, { role: "service_role" }, read, { rollback: true });
      assert.deepEqual(asService, []);
    });

    await t.step("a member of another organization gets insufficient_privilege", async () => {
      for (
        const call of [
          "select * from analytics.price_alerts($1)",
          "select * from analytics.supplier_data($1)",
          "select * from analytics.location_data($1)",
          "select * from analytics.current_user_preferences($1)",
        ]
      ) {
        const error = await postgresErrorOf(() =>
          asActor(sql, memberOfB, (tx) => tx.unsafe(call, [orgA]), { rollback: true })
        );
        assert.equal(error.code, "42501", call);
        assert.match(error.message, new RegExp(`Not a member of organization ${orgA}`));
      }
      const own = await asActor(
        sql,
        memberOfB,
        (tx) => tx`select count(*)::int as n from analytics.supplier_data(${orgB})`,
        { rollback: true },
      );
      assert.equal(own[0]!.n, 15);
    });

    await t.step("bad parameters are refused with invalid_parameter_value", async () => {
      for (
        const [call, message] of [
          [
            "select * from analytics.price_alerts($1, '2026-05-01', '2026-04-01')",
            /Invalid date range/,
          ],
          ["select * from analytics.price_alerts($1, max_rows => 0)", /Invalid max_rows/],
          ["select * from analytics.location_data($1, max_rows => 1001)", /Invalid max_rows/],
          [
            "select * from analytics.price_alerts($1, threshold_percent => -1)",
            /Invalid threshold/,
          ],
          // The documented domain, as the datasets function and user_preferences have it: (0, 1000].
          [
            "select * from analytics.price_alerts($1, threshold_percent => 1000.0001)",
            /Invalid threshold_percent: expected a number greater than 0 and at most 1000/,
          ],
        ] as const
      ) {
        const error = await postgresErrorOf(() => asMember((tx) => tx.unsafe(call, [orgA])));
        assert.equal(error.code, "22023", call);
        assert.match(error.message, message);
      }
    });
  } finally {
    await dropGenerated(sql, data);
    await sql.end();
  }
});
