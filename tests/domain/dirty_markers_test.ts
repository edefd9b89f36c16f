/**
 * Dirty markers: statement-level triggers stamp
 * analytics.organization_state.last_changed_at once per statement and
 * organization, for the tables the nightly datasets read, and a write that
 * races a rebuild is never lost.
 */
import assert from "node:assert/strict";
import type { Sql } from "postgres";
import { EntityKind, generatedId } from "../../tools/generator/ids.ts";
import { asActor } from "../support/as_role.ts";
import { connectAsSuperuser } from "../support/stack.ts";
import { dropGenerated, GENERATED_END_DATE, generateForTest } from "./support/generated.ts";

const SEED = 7301;
const ORGANIZATIONS = 3;
const COUNTERS = "nightshift_test_counters";

interface Freshness {
  organization_id: string;
  last_changed_at: Date | null;
  needs_rebuild: boolean;
}

async function freshness(sql: Sql, ids: readonly string[]): Promise<Map<string, Freshness>> {
  const rows = await sql<Freshness[]>`
    select organization_id::text, last_changed_at, needs_rebuild
    from analytics.organization_freshness where organization_id in ${sql(ids)}`;
  return new Map(rows.map((row) => [row.organization_id, row]));
}

async function rebuildAll(sql: Sql, ids: readonly string[]): Promise<void> {
  for (const id of ids) {
    await sql`select analytics.rebuild_organization(${id}, ${GENERATED_END_DATE})`;
  }
}

/** Which organizations a statement marked dirty (all rebuilt first). */
async function marksOf(sql: Sql, ids: readonly string[], statement: string): Promise<boolean[]> {
  await rebuildAll(sql, ids);
  await sql.unsafe(statement);
  const state = await freshness(sql, ids);
  return ids.map((id) => state.get(id)!.needs_rebuild);
}

Deno.test("dirty markers", async (t) => {
  const sql = connectAsSuperuser(3);
  const data = await generateForTest({
    seed: SEED,
    organizations: ORGANIZATIONS,
    invoicesPerOrganization: 20,
    linesPerInvoice: 3,
  });
  const ids = data.organizationIds;
  const [a, b] = ids as [string, string, string];
  const id = (kind: typeof EntityKind[keyof typeof EntityKind], index: number) =>
    `'${generatedId(kind, SEED, index)}'`;
  try {
    await t.step("a new organization needs a rebuild until its first one", async () => {
      assert.ok([...(await freshness(sql, ids)).values()].every((row) => row.needs_rebuild));
      await rebuildAll(sql, ids);
      assert.ok([...(await freshness(sql, ids)).values()].every((row) => !row.needs_rebuild));
    });

    await t.step(
      "each table the datasets read marks exactly the organizations it touched",
      async () => {
        const cases: Array<[string, boolean[]]> = [
          [`update public.products set name = name || '' where id = ${id(EntityKind.product, 0)}`, [
            true,
            false,
            false,
          ]],
          [`update public.suppliers set name = name where organization_id in ('${a}', '${b}')`, [
            true,
            true,
            false,
          ]],
          [`update public.invoices set status = status where organization_id = '${b}'`, [
            false,
            true,
            false,
          ]],
          [
            `delete from public.invoice_lines where id = ${
              id(EntityKind.invoiceLine, 3 * 20 * 3 - 1)
            }`,
            [false, false, true],
          ],
          [
            `insert into public.products (organization_id, sku, name, category) values ('${b}', 'NEW', 'New', 'Produce')`,
            [false, true, false],
          ],
          // Locations feed live datasets only; an empty statement touches nobody.
          [`update public.locations set name = name where organization_id = '${a}'`, [
            false,
            false,
            false,
          ]],
          [`update public.invoices set status = status where organization_id is null`, [
            false,
            false,
            false,
          ]],
        ];
        for (const [statement, expected] of cases) {
          assert.deepEqual(await marksOf(sql, ids, statement), expected, statement);
        }
      },
    );

    await t.step("one statement over many rows writes one state row per organization", async () => {
      await rebuildAll(sql, ids);
      // Count writes to the state table with a row trigger, for this transaction only.
      await sql.unsafe(`
        create schema if not exists ${COUNTERS};
        create or replace function ${COUNTERS}.count_state_write() returns trigger
        language plpgsql as $$
        begin
          perform set_config('nightshift_test.state_writes',
            (coalesce(nullif(current_setting('nightshift_test.state_writes', true), ''), '0')::int + 1)::text,
            true);
          return null;
        end $$;
        create trigger count_state_writes after insert or update on analytics.organization_state
          for each row execute function ${COUNTERS}.count_state_write();`);
      try {
        const writes = await sql.begin(async (tx) => {
          const lines = await tx`
            update public.invoice_lines set quantity = quantity
            where organization_id in (${a}, ${b})`;
          const [counter] = await tx<{ count: string }[]>`
            select current_setting('nightshift_test.state_writes', true) as count`;
          return { lines: lines.count, state: Number(counter!.count) };
        });
        assert.equal(writes.lines, 2 * 20 * 3);
        assert.equal(writes.state, 2);
      } finally {
        await sql.unsafe(`drop schema ${COUNTERS} cascade`);
      }
    });

    await t.step("writes through the API (as an organization admin) mark too", async () => {
      await rebuildAll(sql, ids);
      const admin = generatedId(EntityKind.user, SEED, 1);
      await asActor(
        sql,
        { role: "authenticated", userId: admin },
        (tx) =>
          tx`update public.invoices set status = 'approved' where organization_id = ${a} and status = 'pending'`,
      );
      await asActor(
        sql,
        { role: "authenticated", userId: admin },
        (tx) => tx`update public.suppliers set is_active = is_active where organization_id = ${a}`,
      );
      assert.equal((await freshness(sql, ids)).get(a)!.needs_rebuild, true);
    });

    await t.step("a write racing a rebuild leaves the organization dirty", async () => {
      await rebuildAll(sql, ids);
      const writer = connectAsSuperuser(1);
      try {
        let writeDone = false;
        let write: Promise<unknown> | undefined;
        await sql.begin(async (tx) => {
          await tx`select analytics.rebuild_organization(${a}, ${GENERATED_END_DATE})`;
          // The rebuild holds A's state row: the writer's trigger waits for it.
          write = writer`update public.invoices set status = status where organization_id = ${a}`
            .then(() => (writeDone = true));
          await new Promise((resolve) => setTimeout(resolve, 300));
          assert.equal(writeDone, false, "the writer waits for the rebuild to commit");
        });
        await write;
        assert.equal((await freshness(sql, ids)).get(a)!.needs_rebuild, true);
      } finally {
        await writer.end();
      }
    });
  } finally {
    await dropGenerated(sql, data);
    await sql.end();
  }
});
