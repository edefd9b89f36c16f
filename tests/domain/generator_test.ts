/**
 * The data generator: deterministic (equal options give equal bytes, whatever
 * the chunking or parallelism), seeded (different seeds never collide),
 * proportional, and valid (it writes through every constraint and trigger).
 */
import assert from "node:assert/strict";
import type { Sql } from "postgres";
import { generateProcurementData, SeedAlreadyLoadedError } from "../../tools/generator/generate.ts";
import { EntityKind, generatedId } from "../../tools/generator/ids.ts";
import {
  InvalidGeneratorOptionsError,
  parseGeneratorArgs,
  resolveGeneratorOptions,
} from "../../tools/generator/options.ts";
import { catalogSize } from "../../tools/generator/proportions.ts";
import { connectAsSuperuser, testStack } from "../support/stack.ts";
import { dropGenerated, type GeneratedData, generateForTest } from "./support/generated.ts";

const TABLES = [
  "public.organization_members",
  "public.suppliers",
  "public.locations",
  "public.products",
  "public.invoices",
  "public.invoice_lines",
] as const;

/** md5 of every generated row, table by table, in a fixed order. */
async function digest(sql: Sql, data: GeneratedData): Promise<Record<string, string>> {
  const ids = data.organizationIds;
  const result: Record<string, string> = {};
  const [organizations] = await sql<{ md5: string }[]>`
    select md5(string_agg(o::text, '|' order by o.id)) as md5
    from public.organizations as o where o.id in ${sql(ids)}`;
  result["public.organizations"] = organizations!.md5;
  const [users] = await sql<{ md5: string }[]>`
    select md5(string_agg(format('%s %s %s', u.id, u.email, u.created_at), '|' order by u.id)) as md5
    from auth.users as u
    join public.organization_members as m on m.user_id = u.id
    where m.organization_id in ${sql(ids)}`;
  result["auth.users"] = users!.md5;
  for (const table of TABLES) {
    const [row] = await sql.unsafe<{ md5: string }[]>(
      `select md5(string_agg(t::text, '|' order by t::text)) as md5
       from ${table} as t where t.organization_id = any($1::uuid[])`,
      [ids as never],
    );
    result[table] = row!.md5;
  }
  return result;
}

async function countOf(sql: Sql, table: string, ids: readonly string[]): Promise<number> {
  const [row] = await sql.unsafe<{ n: number }[]>(
    `select count(*)::int as n from ${table} where organization_id = any($1::uuid[])`,
    [ids as never],
  );
  return row!.n;
}

Deno.test("generator", async (t) => {
  const sql = connectAsSuperuser();
  const shape = { organizations: 5, invoicesPerOrganization: 30, linesPerInvoice: 4 };
  let first = await generateForTest({ seed: 7501, ...shape, workers: 1 });
  const other = await generateForTest({ seed: 7502, ...shape, workers: 2 });
  try {
    await t.step("equal options give equal data, whatever the parallelism", async () => {
      const before = await digest(sql, first);
      await dropGenerated(sql, first);
      first = await generateForTest({ seed: 7501, ...shape, workers: 3 });
      assert.deepEqual(await digest(sql, first), before);
    });

    await t.step("different seeds give different data with disjoint ids", async () => {
      const a = await digest(sql, first);
      const b = await digest(sql, other);
      for (const table of Object.keys(a)) assert.notEqual(a[table], b[table], table);
      const shared = first.organizationIds.filter((id) => other.organizationIds.includes(id));
      assert.deepEqual(shared, []);
    });

    await t.step("the catalog is in proportion and every row is where the ids say", async () => {
      const ids = first.organizationIds;
      const catalog = catalogSize(shape.invoicesPerOrganization);
      assert.deepEqual(catalog, { suppliers: 3, locations: 1, products: 8 });
      assert.equal(await countOf(sql, "public.organization_members", ids), 5 * 3);
      assert.equal(await countOf(sql, "public.suppliers", ids), 5 * catalog.suppliers);
      assert.equal(await countOf(sql, "public.locations", ids), 5 * catalog.locations);
      assert.equal(await countOf(sql, "public.products", ids), 5 * catalog.products);
      assert.equal(await countOf(sql, "public.invoices", ids), 5 * 30);
      assert.equal(await countOf(sql, "public.invoice_lines", ids), 5 * 30 * 4);
      const lastLine = generatedId(EntityKind.invoiceLine, 7501, 5 * 30 * 4 - 1);
      const [line] = await sql`
        select organization_id::text, line_number from public.invoice_lines where id = ${lastLine}`;
      assert.deepEqual({ ...line }, { organization_id: ids[4], line_number: 4 });
    });

    await t.step("the data is varied and plausible", async () => {
      const ids = first.organizationIds;
      const [stats] = await sql`
        select
          count(distinct i.status)::int as statuses,
          count(distinct i.currency)::int as currencies,
          min(i.invoice_date)::text as first_date,
          max(i.invoice_date)::text as last_date,
          bool_and(per_org.currencies <= 2) as at_most_two_currencies_each
        from public.invoices as i
        join (
          select organization_id, count(distinct currency) as currencies
          from public.invoices group by organization_id
        ) as per_org using (organization_id)
        where i.organization_id in ${sql(ids)}`;
      assert.equal(stats!.statuses, 5);
      assert.ok(stats!.currencies >= 2);
      assert.equal(stats!.at_most_two_currencies_each, true);
      assert.ok(stats!.first_date >= "2025-08-28" && stats!.last_date <= "2026-11-20");
      const [roles] = await sql`
        select array_agg(distinct role::text order by role::text) as roles
        from public.organization_members where organization_id in ${sql(ids)}`;
      assert.deepEqual(roles!.roles, ["admin", "member", "owner"]);
    });

    await t.step("refuses to load a seed twice", async () => {
      await assert.rejects(
        generateProcurementData(testStack.dbUrl, first.options),
        (error: unknown) =>
          error instanceof SeedAlreadyLoadedError &&
          /seed 7501 is already loaded/.test(error.message),
      );
    });
  } finally {
    await dropGenerated(sql, first);
    await dropGenerated(sql, other);
    await sql.end();
  }
});

Deno.test("generator options", async (t) => {
  await t.step("the command line fills defaults", () => {
    const { options, dbUrl, rebuild } = parseGeneratorArgs([
      "--orgs",
      "3",
      "--invoices-per-org",
      "5",
      "--end-date",
      "2026-01-31",
    ]);
    assert.deepEqual(options, {
      organizations: 3,
      invoicesPerOrganization: 5,
      linesPerInvoice: 10,
      seed: 1,
      endDate: "2026-01-31",
      historyDays: 450,
      workers: 2,
    });
    assert.equal(dbUrl, undefined);
    assert.equal(rebuild, false);
  });

  await t.step("bad values are refused with every problem named", () => {
    assert.throws(
      () => resolveGeneratorOptions({ organizations: 0, invoicesPerOrganization: -1 }),
      (error: unknown) =>
        error instanceof InvalidGeneratorOptionsError &&
        /organizations/.test(error.message) && /invoicesPerOrganization/.test(error.message),
    );
    for (
      const args of [
        ["--orgs", "2", "--invoices-per-org", "1", "--seed=-1"],
        ["--orgs", "2", "--invoices-per-org", "1", "--seed", "-1"],
        ["--orgs", "2", "--invoices-per-org", "1", "--end-date", "2026-02-30"],
        ["--orgs", "two", "--invoices-per-org", "1"],
        ["--invoices-per-org", "1"],
      ]
    ) {
      assert.throws(() => parseGeneratorArgs(args), InvalidGeneratorOptionsError, args.join(" "));
    }
    assert.throws(
      () => parseGeneratorArgs(["--orgs", "1", "--invoices-per-org", "1", "--nope"]),
      (error: unknown) =>
        error instanceof InvalidGeneratorOptionsError && /--nope/.test(error.message),
    );
  });
});
