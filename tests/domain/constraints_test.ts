/**
 * Bad data is refused by the database itself, whoever writes it, with errors
 * that name the broken rule. Each case runs as superuser (constraints bind
 * every role) in a rolled-back transaction on the two-tenant fixture.
 */
import assert from "node:assert/strict";
import type { TransactionSql } from "postgres";
import { connectAsSuperuser } from "../support/stack.ts";
import { type PostgresError, postgresErrorOf } from "./support/postgres_errors.ts";
import { rolledBack } from "./support/rolled_back.ts";
import { createTwoTenants, dropTwoTenants, type TwoTenants } from "./support/tenants.ts";

interface Violation {
  readonly code: string;
  readonly constraint: string;
  readonly message: RegExp;
}

/** Runs `statement` in a rolled-back transaction and checks the error it raises. */
async function assertRefused(
  sql: ReturnType<typeof connectAsSuperuser>,
  statement: (tx: TransactionSql) => Promise<unknown>,
  expected: Violation,
): Promise<PostgresError> {
  const error = await postgresErrorOf(() => rolledBack(sql, statement));
  assert.equal(error.code, expected.code, error.message);
  assert.equal(error.constraint_name, expected.constraint);
  assert.match(error.message, expected.message);
  return error;
}

const CHECK = "23514";
const FOREIGN_KEY = "23503";

Deno.test("procurement constraints refuse bad data with clear errors", async (t) => {
  const sql = connectAsSuperuser();
  const f: TwoTenants = await createTwoTenants(sql);
  const line =
    (quantity: number | string, unitPrice: number | string, productId = f.usedProductA) =>
    (tx: TransactionSql) =>
      tx`
      insert into public.invoice_lines
        (organization_id, invoice_id, line_number, product_id, quantity, unit_price)
      values (${f.orgA}, ${f.invoiceA}, 9, ${productId}, ${quantity}, ${unitPrice})`;
  const invoice = (currency: string, supplierId = f.usedSupplierA) => (tx: TransactionSql) =>
    tx`
      insert into public.invoices
        (organization_id, supplier_id, location_id, invoice_number, invoice_date, currency)
      values (${f.orgA}, ${supplierId}, ${f.usedLocationA}, 'X-1', '2026-11-01', ${currency})`;
  try {
    await t.step("a negative quantity", async () => {
      const error = await assertRefused(sql, line(-1, 5), {
        code: CHECK,
        constraint: "invoice_lines_quantity_must_be_positive",
        message: /violates check constraint "invoice_lines_quantity_must_be_positive"/,
      });
      assert.match(error.message, /invoice_lines/);
    });

    await t.step("a zero quantity", async () => {
      await assertRefused(sql, line(0, 5), {
        code: CHECK,
        constraint: "invoice_lines_quantity_must_be_positive",
        message: /quantity_must_be_positive/,
      });
    });

    await t.step("a negative unit price", async () => {
      await assertRefused(sql, line(1, -0.01), {
        code: CHECK,
        constraint: "invoice_lines_unit_price_must_not_be_negative",
        message: /unit_price_must_not_be_negative/,
      });
    });

    await t.step("an unknown currency", async () => {
      const error = await assertRefused(sql, invoice("XYZ"), {
        code: FOREIGN_KEY,
        constraint: "invoices_currency_must_be_known",
        message: /violates foreign key constraint "invoices_currency_must_be_known"/,
      });
      assert.match(error.detail ?? "", /\(currency\)=\(XYZ\) is not present in table "currencies"/);
    });

    await t.step("a lower-case currency code", async () => {
      await assertRefused(sql, invoice("eur"), {
        code: FOREIGN_KEY,
        constraint: "invoices_currency_must_be_known",
        message: /currency_must_be_known/,
      });
    });

    await t.step("a line for a product of another organization", async () => {
      const error = await assertRefused(sql, line(1, 1, f.productB), {
        code: FOREIGN_KEY,
        constraint: "invoice_lines_product_must_belong_to_organization",
        message:
          /violates foreign key constraint "invoice_lines_product_must_belong_to_organization"/,
      });
      assert.match(
        error.detail ?? "",
        new RegExp(`\\(organization_id, product_id\\)=\\(${f.orgA}, ${f.productB}\\)`),
      );
    });

    await t.step("an invoice from a supplier of another organization", async () => {
      await assertRefused(sql, invoice("EUR", f.supplierB), {
        code: FOREIGN_KEY,
        constraint: "invoices_supplier_must_belong_to_organization",
        message: /supplier_must_belong_to_organization/,
      });
    });

    await t.step("moving a line to another organization's invoice", async () => {
      await assertRefused(
        sql,
        (tx) =>
          tx`update public.invoice_lines set invoice_id = ${f.invoiceB} where id = ${f.lineA}`,
        {
          code: FOREIGN_KEY,
          constraint: "invoice_lines_invoice_must_belong_to_organization",
          message: /invoice_must_belong_to_organization/,
        },
      );
    });

    await t.step("writing a line total", async () => {
      const error = await postgresErrorOf(() =>
        rolledBack(sql, (tx) =>
          tx`
            insert into public.invoice_lines
              (organization_id, invoice_id, line_number, product_id, quantity, unit_price, line_total)
            values (${f.orgA}, ${f.invoiceA}, 9, ${f.usedProductA}, 1, 1, 999)`)
      );
      assert.equal(error.code, "428C9");
      assert.match(error.message, /line_total/);
    });

    await t.step("line totals are quantity x unit price rounded to cents", async () => {
      const totals = await rolledBack(sql, async (tx) => {
        await line(3, "0.3333")(tx);
        await tx`update public.invoice_lines set quantity = 2.5, unit_price = 1.005 where id = ${f.lineA}`;
        return await tx<{ line_total: string }[]>`
          select line_total::text from public.invoice_lines
          where invoice_id = ${f.invoiceA} order by line_number`;
      });
      assert.deepEqual(totals.map((row) => row.line_total), ["2.51", "1.00"]);
    });

    await t.step("a second membership of the same user in one organization", async () => {
      await assertRefused(
        sql,
        (tx) =>
          tx`
            insert into public.organization_members (organization_id, user_id, role)
            values (${f.orgA}, ${f.memberA}, 'admin')`,
        {
          code: "23505",
          constraint: "organization_members_pkey",
          message: /duplicate key value/,
        },
      );
    });

    await t.step("an unknown time zone", async () => {
      for (const zone of ["Mars/Olympus_Mons", "CET+3", ""]) {
        await assertRefused(
          sql,
          (tx) => tx`insert into public.organizations (name, time_zone) values ('Z', ${zone})`,
          {
            code: CHECK,
            constraint: "organizations_time_zone_must_be_known",
            message: /time_zone_must_be_known/,
          },
        );
      }
      const zones = await rolledBack(sql, (tx) =>
        tx<{ time_zone: string }[]>`
          insert into public.organizations (name, time_zone)
          values ('Default zone', default), ('Tokyo', 'Asia/Tokyo')
          returning time_zone`);
      assert.deepEqual(zones.map((row) => row.time_zone), ["Europe/Copenhagen", "Asia/Tokyo"]);
    });

    await t.step("a due date before the invoice date", async () => {
      await assertRefused(
        sql,
        (tx) => tx`update public.invoices set due_date = invoice_date - 1 where id = ${f.invoiceA}`,
        {
          code: CHECK,
          constraint: "invoices_due_date_not_before_invoice_date",
          message: /due_date_not_before_invoice_date/,
        },
      );
    });

    await t.step("deleting a product, supplier or location that an invoice uses", async () => {
      for (
        const [table, id, constraint] of [
          ["products", f.usedProductA, "invoice_lines_product_must_belong_to_organization"],
          ["suppliers", f.usedSupplierA, "invoices_supplier_must_belong_to_organization"],
          ["locations", f.usedLocationA, "invoices_location_must_belong_to_organization"],
        ] as const
      ) {
        await assertRefused(
          sql,
          (tx) => tx.unsafe(`delete from public.${table} where id = $1`, [id]),
          { code: FOREIGN_KEY, constraint, message: /is still referenced|violates foreign key/ },
        );
      }
    });

    await t.step("deleting an invoice deletes its lines", async () => {
      const remaining = await rolledBack(sql, async (tx) => {
        await tx`delete from public.invoices where id = ${f.invoiceA}`;
        return (await tx<{ n: number }[]>`
          select count(*)::int as n from public.invoice_lines where invoice_id = ${f.invoiceA}`)[0]!
          .n;
      });
      assert.equal(remaining, 0);
    });

    await t.step("deleting an organization deletes everything in it and nothing else", async () => {
      const left = await rolledBack(sql, async (tx) => {
        await tx`delete from public.organizations where id = ${f.orgA}`;
        return await tx<{ organization_id: string; n: number }[]>`
          select organization_id, count(*)::int as n from (
            select organization_id from public.organization_members
            union all select organization_id from public.suppliers
            union all select organization_id from public.locations
            union all select organization_id from public.products
            union all select organization_id from public.invoices
            union all select organization_id from public.invoice_lines
            union all select organization_id from public.user_preferences
            union all select organization_id from analytics.organization_state
            union all select organization_id from analytics.product_metrics
          ) as rows
          where organization_id in (${f.orgA}, ${f.orgB})
          group by organization_id`;
      });
      // B keeps its member, supplier, location, product, invoice and line.
      assert.deepEqual(left.map((row) => [row.organization_id, row.n]), [[f.orgB, 6]]);
    });
  } finally {
    await dropTwoTenants(sql, f);
    await sql.end();
  }
});
