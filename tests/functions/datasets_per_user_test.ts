/**
 * Datasets whose rows depend on the caller are cached per caller, end to end
 * through the gateway: `price-alerts` takes its default threshold from the
 * caller's `user_preferences`, so two members of one organization with different
 * thresholds each get their own rows (before the fix the second was served the
 * first one's cached list). And the registry's rule behind it: a dataset reading
 * per-user state is user-scoped.
 */
import assert from "node:assert/strict";
import { DATASET_NAMES, DATASETS } from "../../shared/datasets/registry.ts";
import { connectAsSuperuser } from "../support/stack.ts";
import { readDataset, tokenFor, withTwoTenants } from "./datasets_support.ts";

Deno.test("price-alerts is cached per caller: each member gets the alerts of their own threshold", async () => {
  await withTwoTenants(async (t) => {
    const sql = connectAsSuperuser(1);
    try {
      // An earlier purchase at 9 of what A's invoice bought at 10: a move of +11.11 %.
      const earlierInvoice = crypto.randomUUID();
      await sql.begin(async (tx) => {
        await tx`
          insert into public.invoices
            (id, organization_id, supplier_id, location_id, invoice_number, invoice_date, status,
             currency)
          values (${earlierInvoice}, ${t.orgA}, ${t.usedSupplierA}, ${t.usedLocationA}, 'A-0000',
            ${t.asOf}::date - 30, 'paid', 'EUR')`;
        await tx`
          insert into public.invoice_lines
            (organization_id, invoice_id, line_number, product_id, quantity, unit_price)
          values (${t.orgA}, ${earlierInvoice}, 1, ${t.usedProductA}, 2, 9)`;
        // memberA only wants moves of 50 % and more; adminA of 5 % and more.
        await tx`
          update public.user_preferences set price_alert_threshold_percent = 50
          where organization_id = ${t.orgA} and user_id = ${t.memberA}`;
        await tx`
          insert into public.user_preferences
            (organization_id, user_id, price_alert_threshold_percent)
          values (${t.orgA}, ${t.adminA}, 5)`;
      });
    } finally {
      await sql.end();
    }
    // Explicit dates: the default window ends today, the fixture's invoices do not move.
    const query = `organization_id=${t.orgA}&from=2026-01-01&to=${t.asOf}`;
    const alertsOf = (text: string) =>
      (JSON.parse(text).data as { product_id: string; change_percent: number }[]).map((row) => [
        row.product_id,
        row.change_percent,
      ]);

    const member = await readDataset(await tokenFor(t.memberA), "price-alerts", query);
    assert.equal(member.response.status, 200, member.text);
    assert.deepEqual(alertsOf(member.text), [], "11.11 % is below the member's 50 %");

    const admin = await readDataset(await tokenFor(t.adminA), "price-alerts", query);
    assert.equal(admin.response.status, 200, admin.text);
    assert.equal(admin.response.headers.get("x-cache"), "MISS", "another member's entry");
    assert.deepEqual(alertsOf(admin.text), [[t.usedProductA, 11.11]], "above the admin's 5 %");

    // Each caller's own entry serves them again.
    const memberAgain = await readDataset(await tokenFor(t.memberA), "price-alerts", query);
    assert.equal(memberAgain.response.headers.get("x-cache"), "HIT");
    assert.deepEqual(alertsOf(memberAgain.text), []);
    const adminAgain = await readDataset(await tokenFor(t.adminA), "price-alerts", query);
    assert.equal(adminAgain.response.headers.get("x-cache"), "HIT");
    assert.deepEqual(alertsOf(adminAgain.text), [[t.usedProductA, 11.11]]);

    // An explicit threshold still gives both callers the same rows (each from their own entry).
    const explicit = `${query}&threshold_percent=5`;
    for (const user of [t.memberA, t.adminA]) {
      const read = await readDataset(await tokenFor(user), "price-alerts", explicit);
      assert.deepEqual(alertsOf(read.text), [[t.usedProductA, 11.11]]);
    }
  });
});

Deno.test("every dataset reading per-user state (user_preferences) is user-scoped", () => {
  const readers = DATASET_NAMES.filter((name) =>
    (DATASETS[name].sourceTables as readonly string[]).includes("user_preferences")
  );
  assert.deepEqual(readers, ["price-alerts", "user-preferences"]);
  for (const name of readers) assert.equal(DATASETS[name].userScoped, true, name);
});
