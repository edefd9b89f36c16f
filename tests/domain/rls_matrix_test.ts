/**
 * The tenant-security matrix: for every table of the procurement domain and
 * every actor (anon, member of A, member of B, admin of A, owner of A, a member
 * removed from A, service_role), what they can read, insert, update and delete
 * of organization A's rows — run as the real API roles with JWT claims, each
 * cell in its own rolled-back transaction.
 *
 * Outcomes: a number is the count of A's rows read / updated / deleted;
 * OK = the insert succeeded; RLS = refused by a row-level security policy;
 * DENIED = refused by privileges (the role may not touch the table at all).
 */
import assert from "node:assert/strict";
import type { TransactionSql } from "postgres";
import { type Actor, asActor } from "../support/as_role.ts";
import { connectAsSuperuser } from "../support/stack.ts";
import { ACTOR_NAMES, actorFor, type ActorName } from "./support/actors.ts";
import { isPostgresError } from "./support/postgres_errors.ts";
import { createTwoTenants, dropTwoTenants, type TwoTenants } from "./support/tenants.ts";

const OK = "ok";
const RLS = "rls";
const DENIED = "denied";
type Outcome = number | typeof OK | typeof RLS | typeof DENIED;
/** [read, insert, update, delete] */
type Row = readonly [Outcome, Outcome, Outcome, Outcome];

interface TableCase {
  readonly table: string;
  readonly read: (tx: TransactionSql, t: TwoTenants) => Promise<number>;
  readonly insert: (tx: TransactionSql, t: TwoTenants) => Promise<number>;
  readonly update: (tx: TransactionSql, t: TwoTenants) => Promise<number>;
  readonly delete: (tx: TransactionSql, t: TwoTenants) => Promise<number>;
  readonly expected: Readonly<Record<ActorName, Row>>;
}

const count = async (rows: Promise<{ n: number }[]>) => (await rows)[0]!.n;

/** Members read, admins and owners write, nobody else sees anything. */
function adminWritable(rows: number, deletable: number): Record<ActorName, Row> {
  return {
    anon: [DENIED, DENIED, DENIED, DENIED],
    memberOfA: [rows, RLS, 0, 0],
    memberOfB: [0, RLS, 0, 0],
    adminOfA: [rows, OK, rows, deletable],
    ownerOfA: [rows, OK, rows, deletable],
    removedFromA: [0, RLS, 0, 0],
    serviceRole: [rows, OK, rows, deletable],
  };
}

/** Nightly dataset tables: members read, only service_role writes. */
function readOnlyForMembers(rows: number): Record<ActorName, Row> {
  return {
    anon: [DENIED, DENIED, DENIED, DENIED],
    memberOfA: [rows, DENIED, DENIED, DENIED],
    memberOfB: [0, DENIED, DENIED, DENIED],
    adminOfA: [rows, DENIED, DENIED, DENIED],
    ownerOfA: [rows, DENIED, DENIED, DENIED],
    removedFromA: [0, DENIED, DENIED, DENIED],
    serviceRole: [rows, OK, rows, rows],
  };
}

/** A dataset table's operations; the insert copies A's rows to B (B was never rebuilt). */
function datasetCase(table: string): TableCase {
  return {
    table,
    read: (tx, t) =>
      count(
        tx.unsafe(`select count(*)::int as n from ${table} where organization_id = $1`, [t.orgA]),
      ),
    insert: async (tx, t) =>
      (await tx.unsafe(
        `insert into ${table}
         select (jsonb_populate_record(null::${table}, to_jsonb(r) || jsonb_build_object('organization_id', $2::uuid))).*
         from ${table} as r where r.organization_id = $1`,
        [t.orgA, t.orgB],
      )).count,
    update: async (tx, t) =>
      (await tx.unsafe(
        `update ${table} set organization_id = organization_id where organization_id = $1`,
        [t.orgA],
      )).count,
    delete: async (tx, t) =>
      (await tx.unsafe(`delete from ${table} where organization_id = $1`, [t.orgA])).count,
    expected: readOnlyForMembers(1),
  };
}

const CASES: readonly TableCase[] = [
  {
    table: "public.organizations",
    read: (tx, t) =>
      count(tx`select count(*)::int as n from public.organizations where id = ${t.orgA}`),
    insert: async (tx) =>
      (await tx`insert into public.organizations (name) values ('New org')`).count,
    update: async (tx, t) =>
      (await tx`update public.organizations set name = name where id = ${t.orgA}`).count,
    delete: async (tx, t) =>
      (await tx`delete from public.organizations where id = ${t.orgA}`).count,
    expected: {
      anon: [DENIED, DENIED, DENIED, DENIED],
      memberOfA: [1, RLS, 0, 0],
      memberOfB: [0, RLS, 0, 0],
      adminOfA: [1, RLS, 1, 0],
      ownerOfA: [1, RLS, 1, 1],
      removedFromA: [0, RLS, 0, 0],
      serviceRole: [1, OK, 1, 1],
    },
  },
  {
    table: "public.organization_members",
    read: (tx, t) =>
      count(
        tx`select count(*)::int as n from public.organization_members where organization_id = ${t.orgA}`,
      ),
    insert: async (tx, t) =>
      (await tx`
        insert into public.organization_members (organization_id, user_id, role)
        values (${t.orgA}, ${t.outsider}, 'member')`).count,
    update: async (tx, t) =>
      (await tx`
        update public.organization_members set role = role where organization_id = ${t.orgA}`)
        .count,
    delete: async (tx, t) =>
      (await tx`delete from public.organization_members where organization_id = ${t.orgA}`).count,
    // A has an owner, an admin and a member; admins may not touch the owner's row.
    expected: {
      anon: [DENIED, DENIED, DENIED, DENIED],
      memberOfA: [3, RLS, 0, 0],
      memberOfB: [0, RLS, 0, 0],
      adminOfA: [3, OK, 2, 2],
      ownerOfA: [3, OK, 3, 3],
      removedFromA: [0, RLS, 0, 0],
      serviceRole: [3, OK, 3, 3],
    },
  },
  {
    table: "public.suppliers",
    read: (tx, t) =>
      count(tx`select count(*)::int as n from public.suppliers where organization_id = ${t.orgA}`),
    insert: async (tx, t) =>
      (await tx`insert into public.suppliers (organization_id, name) values (${t.orgA}, 'New')`)
        .count,
    update: async (tx, t) =>
      (await tx`update public.suppliers set name = name where organization_id = ${t.orgA}`).count,
    delete: async (tx, t) =>
      (await tx`delete from public.suppliers where id = ${t.spareSupplierA}`).count,
    expected: adminWritable(2, 1),
  },
  {
    table: "public.locations",
    read: (tx, t) =>
      count(tx`select count(*)::int as n from public.locations where organization_id = ${t.orgA}`),
    insert: async (tx, t) =>
      (await tx`
        insert into public.locations (organization_id, code, name) values (${t.orgA}, 'N', 'New')`)
        .count,
    update: async (tx, t) =>
      (await tx`update public.locations set name = name where organization_id = ${t.orgA}`).count,
    delete: async (tx, t) =>
      (await tx`delete from public.locations where id = ${t.spareLocationA}`).count,
    expected: adminWritable(2, 1),
  },
  {
    table: "public.products",
    read: (tx, t) =>
      count(tx`select count(*)::int as n from public.products where organization_id = ${t.orgA}`),
    insert: async (tx, t) =>
      (await tx`
        insert into public.products (organization_id, sku, name, category)
        values (${t.orgA}, 'N-1', 'New', 'Produce')`).count,
    update: async (tx, t) =>
      (await tx`update public.products set name = name where organization_id = ${t.orgA}`).count,
    delete: async (tx, t) =>
      (await tx`delete from public.products where id = ${t.spareProductA}`).count,
    expected: adminWritable(2, 1),
  },
  {
    table: "public.invoices",
    read: (tx, t) =>
      count(tx`select count(*)::int as n from public.invoices where organization_id = ${t.orgA}`),
    insert: async (tx, t) =>
      (await tx`
        insert into public.invoices
          (organization_id, supplier_id, location_id, invoice_number, invoice_date, currency)
        values (${t.orgA}, ${t.usedSupplierA}, ${t.usedLocationA}, 'A-0002', '2026-11-01', 'EUR')`)
        .count,
    update: async (tx, t) =>
      (await tx`update public.invoices set status = status where organization_id = ${t.orgA}`)
        .count,
    delete: async (tx, t) => (await tx`delete from public.invoices where id = ${t.invoiceA}`).count,
    expected: adminWritable(1, 1),
  },
  {
    table: "public.invoice_lines",
    read: (tx, t) =>
      count(
        tx`select count(*)::int as n from public.invoice_lines where organization_id = ${t.orgA}`,
      ),
    insert: async (tx, t) =>
      (await tx`
        insert into public.invoice_lines
          (organization_id, invoice_id, line_number, product_id, quantity, unit_price)
        values (${t.orgA}, ${t.invoiceA}, 2, ${t.usedProductA}, 1, 1)`).count,
    update: async (tx, t) =>
      (await tx`
        update public.invoice_lines set quantity = quantity where organization_id = ${t.orgA}`)
        .count,
    delete: async (tx, t) =>
      (await tx`delete from public.invoice_lines where id = ${t.lineA}`).count,
    expected: adminWritable(1, 1),
  },
  {
    table: "public.user_preferences",
    read: (tx, t) =>
      count(
        tx`select count(*)::int as n from public.user_preferences where organization_id = ${t.orgA}`,
      ),
    // Everyone tries to save preferences for A's admin: only the admin may.
    insert: async (tx, t) =>
      (await tx`
        insert into public.user_preferences (organization_id, user_id) values (${t.orgA}, ${t.adminA})`)
        .count,
    update: async (tx, t) =>
      (await tx`
        update public.user_preferences set settings = settings where organization_id = ${t.orgA}`)
        .count,
    delete: async (tx, t) =>
      (await tx`delete from public.user_preferences where organization_id = ${t.orgA}`).count,
    // Only A's member has saved preferences; each user sees and changes only their own.
    expected: {
      anon: [DENIED, DENIED, DENIED, DENIED],
      memberOfA: [1, RLS, 1, 1],
      memberOfB: [0, RLS, 0, 0],
      adminOfA: [0, OK, 0, 0],
      ownerOfA: [0, RLS, 0, 0],
      removedFromA: [0, RLS, 0, 0],
      serviceRole: [1, OK, 1, 1],
    },
  },
  {
    table: "public.currencies",
    read: (tx) => count(tx`select count(*)::int as n from public.currencies where code = 'EUR'`),
    insert: async (tx) =>
      (await tx`insert into public.currencies (code, name) values ('XTS', 'Testing code')`).count,
    update: async (tx) =>
      (await tx`update public.currencies set name = name where code = 'EUR'`).count,
    delete: async (tx) => (await tx`delete from public.currencies where code = 'ISK'`).count,
    expected: {
      anon: [1, DENIED, DENIED, DENIED],
      memberOfA: [1, DENIED, DENIED, DENIED],
      memberOfB: [1, DENIED, DENIED, DENIED],
      adminOfA: [1, DENIED, DENIED, DENIED],
      ownerOfA: [1, DENIED, DENIED, DENIED],
      removedFromA: [1, DENIED, DENIED, DENIED],
      serviceRole: [1, OK, 1, 1],
    },
  },
  datasetCase("analytics.organization_state"),
  datasetCase("analytics.dashboard_metrics"),
  datasetCase("analytics.product_metrics"),
  datasetCase("analytics.cogs_analysis"),
  datasetCase("analytics.supplier_metrics"),
  datasetCase("analytics.invoice_analytics"),
  {
    // The dataset registry: readable by signed-in users and the service role (serving reads
    // it as the caller), written only by migrations (its owner).
    table: "analytics.datasets",
    read: (tx) =>
      count(tx`select count(*)::int as n from analytics.datasets where name = 'price-alerts'`),
    insert: async (tx) =>
      (await tx`
        insert into analytics.datasets
          (name, position, source, freshness_tier, retention_tier, source_tables, description)
        values ('x-test', 1000, 'live', 'STABLE', 'LONG', '{invoices}', 'x')`).count,
    update: async (tx) =>
      (await tx`update analytics.datasets set description = description
                where name = 'price-alerts'`).count,
    delete: async (tx) =>
      (await tx`delete from analytics.datasets where name = 'price-alerts'`).count,
    expected: {
      anon: [DENIED, DENIED, DENIED, DENIED],
      memberOfA: [1, DENIED, DENIED, DENIED],
      memberOfB: [1, DENIED, DENIED, DENIED],
      adminOfA: [1, DENIED, DENIED, DENIED],
      ownerOfA: [1, DENIED, DENIED, DENIED],
      removedFromA: [1, DENIED, DENIED, DENIED],
      serviceRole: [1, DENIED, DENIED, DENIED],
    },
  },
];

const OPERATIONS = ["read", "insert", "update", "delete"] as const;

/** Runs one cell and classifies what happened. */
async function outcomeOf(
  sql: ReturnType<typeof connectAsSuperuser>,
  actor: Actor,
  run: (tx: TransactionSql) => Promise<number>,
  operation: typeof OPERATIONS[number],
): Promise<Outcome> {
  try {
    const affected = await asActor(sql, actor, run, { rollback: true });
    if (operation === "insert") {
      assert.equal(affected, 1, "an accepted insert inserts exactly one row");
      return OK;
    }
    return affected;
  } catch (error) {
    if (!isPostgresError(error) || error.code !== "42501") throw error;
    return error.message.includes("row-level security") ? RLS : DENIED;
  }
}

Deno.test("RLS matrix: who can read, insert, update and delete organization A's rows", async (t) => {
  const sql = connectAsSuperuser();
  const tenants = await createTwoTenants(sql);
  try {
    for (const tableCase of CASES) {
      await t.step(tableCase.table, async (t) => {
        for (const actorName of ACTOR_NAMES) {
          await t.step(actorName, async () => {
            const actor = actorFor(actorName, tenants);
            const observed = [] as Outcome[];
            for (const operation of OPERATIONS) {
              observed.push(
                await outcomeOf(
                  sql,
                  actor,
                  (tx) => tableCase[operation](tx, tenants),
                  operation,
                ),
              );
            }
            assert.deepEqual(
              observed,
              [...tableCase.expected[actorName]],
              `${actorName} on ${tableCase.table}: [read, insert, update, delete]`,
            );
          });
        }
      });
    }
  } finally {
    await dropTwoTenants(sql, tenants);
    await sql.end();
  }
});

Deno.test("RLS matrix covers every domain table, and every public table has RLS on", async () => {
  const sql = connectAsSuperuser();
  try {
    const tables = await sql<{ name: string; rls: boolean }[]>`
      select n.nspname || '.' || c.relname as name, c.relrowsecurity as rls
      from pg_catalog.pg_class as c
      join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p') and n.nspname in ('public', 'analytics')
      order by 1`;
    for (const table of tables) assert.ok(table.rls, `RLS must be enabled on ${table.name}`);
    const domainTables = tables.map((table) => table.name).filter((name) =>
      name.startsWith("analytics.") || CASES.some((tableCase) => tableCase.table === name)
    );
    assert.deepEqual(domainTables, CASES.map((tableCase) => tableCase.table).sort());
  } finally {
    await sql.end();
  }
});
