/**
 * Each nightly dataset, as stored by analytics.rebuild_organization, equals an
 * independent recomputation written in TypeScript from the raw rows (exact
 * rational arithmetic, rounding half away from zero like Postgres), on
 * generated organizations, one with hand-made edge cases, one with a single
 * invoice and one without any, at two as-of dates.
 */
import assert from "node:assert/strict";
import type { Sql } from "postgres";
import { EntityKind, generatedId } from "../../tools/generator/ids.ts";
import { connectAsSuperuser } from "../support/stack.ts";
import { dropGenerated, GENERATED_END_DATE, generateForTest } from "./support/generated.ts";
import {
  canonicalOrder,
  expectedLineTotal,
  loadDatasetRows,
  loadRawOrganization,
  NIGHTLY_DATASETS,
} from "./support/recompute/mod.ts";

const SEEDS = { many: 7101, single: 7102, empty: 7103 } as const;
const AS_OF_DATES = [GENERATED_END_DATE, "2026-06-15"] as const;

/**
 * Adds invoices in a currency the generator never uses (CHF) on every window
 * boundary of an as-of date of GENERATED_END_DATE, a booked invoice without
 * lines, and a product only ever bought for free.
 */
async function addEdgeCases(sql: Sql, seed: number): Promise<void> {
  const organization = generatedId(EntityKind.organization, seed, 0);
  const supplier = generatedId(EntityKind.supplier, seed, 0);
  const location = generatedId(EntityKind.location, seed, 0);
  const product = generatedId(EntityKind.product, seed, 0);
  const freebie = crypto.randomUUID();
  const daysBefore = [-1, 0, 29, 30, 59, 60, 89, 90, 179, 180, 354, 355];
  await sql.begin(async (tx) => {
    await tx`
      insert into public.products (id, organization_id, sku, name, category, unit)
      values (${freebie}, ${organization}, 'EDGE-FREE', 'Free sample', 'Samples', 'each')`;
    for (const [index, days] of daysBefore.entries()) {
      const invoice = crypto.randomUUID();
      await tx`
        insert into public.invoices
          (id, organization_id, supplier_id, location_id, invoice_number, invoice_date, status, currency)
        values (${invoice}, ${organization}, ${supplier}, ${location}, ${`EDGE-${index}`},
                ${GENERATED_END_DATE}::date - ${days}::integer, 'paid', 'CHF')`;
      await tx`
        insert into public.invoice_lines
          (organization_id, invoice_id, line_number, product_id, quantity, unit_price)
        values (${organization}, ${invoice}, 1, ${product}, 1.5, ${100 + days}),
               (${organization}, ${invoice}, 2, ${freebie}, 2, 0)`;
    }
    await tx`
      insert into public.invoices
        (organization_id, supplier_id, location_id, invoice_number, invoice_date, status, currency)
      values (${organization}, ${supplier}, ${location}, 'EDGE-EMPTY', ${GENERATED_END_DATE}::date - 3,
              'approved', 'CHF')`;
  });
}

Deno.test("nightly datasets equal an independent recomputation from raw rows", async (t) => {
  const sql = connectAsSuperuser();
  const many = await generateForTest({
    seed: SEEDS.many,
    organizations: 4,
    invoicesPerOrganization: 80,
    linesPerInvoice: 5,
  });
  const single = await generateForTest({
    seed: SEEDS.single,
    organizations: 1,
    invoicesPerOrganization: 1,
    linesPerInvoice: 3,
  });
  const empty = await generateForTest({ seed: SEEDS.empty, organizations: 1 });
  const [singleId] = single.organizationIds;
  const [emptyId] = empty.organizationIds;
  try {
    await addEdgeCases(sql, SEEDS.many);
    // The one invoice is booked and recent, so every dataset has exactly its data.
    await sql`
      update public.invoices
      set status = 'paid', invoice_date = ${GENERATED_END_DATE}::date - 3, due_date = null
      where organization_id = ${singleId!}`;

    const organizations = [
      ...many.organizationIds.map((id, index) => ({
        label: index === 0 ? "generated with edge cases" : `generated #${index + 1}`,
        id,
      })),
      { label: "single invoice", id: singleId! },
      { label: "no invoices", id: emptyId! },
    ];
    const rowCounts = new Map<string, number[]>();
    for (const asOf of AS_OF_DATES) {
      for (const organization of organizations) {
        await t.step(`${organization.label}, as of ${asOf}`, async () => {
          await sql`select analytics.rebuild_organization(${organization.id}, ${asOf})`;
          const raw = await loadRawOrganization(sql, organization.id);
          for (const line of raw.lines) assert.equal(line.line_total, expectedLineTotal(line));
          const counts: number[] = [];
          for (const dataset of NIGHTLY_DATASETS) {
            const stored = await loadDatasetRows(sql, dataset.table, organization.id);
            const recomputed = dataset.recompute(raw, asOf);
            assert.deepEqual(canonicalOrder(stored), canonicalOrder(recomputed), dataset.name);
            counts.push(stored.length);
          }
          rowCounts.set(`${organization.label}, as of ${asOf}`, counts);
        });
      }
    }

    await t.step("the comparisons above were about real data", () => {
      const at = (label: string) => rowCounts.get(`${label}, as of ${GENERATED_END_DATE}`)!;
      // dashboard, products, cogs, suppliers, invoice analytics
      assert.ok(at("generated with edge cases").every((count) => count > 1));
      assert.ok(at("generated #2").every((count) => count > 1));
      assert.equal(at("single invoice")[0], 1);
      assert.equal(at("single invoice")[3], 1);
      assert.equal(at("single invoice")[4], 1);
      assert.ok(at("single invoice")[1]! >= 1 && at("single invoice")[1]! <= 3);
      assert.deepEqual(at("no invoices"), [0, 0, 0, 0, 0]);
      // The single invoice is dated after the earlier as-of date: nothing to report then.
      assert.deepEqual(rowCounts.get("single invoice, as of 2026-06-15"), [0, 0, 0, 0, 0]);
    });
  } finally {
    for (const data of [many, single, empty]) await dropGenerated(sql, data);
    await sql.end();
  }
});
