/**
 * Membership rules beyond the RLS matrix: who may grant which role, what a
 * removed member keeps, what the API roles may never do (TRUNCATE, call
 * internals), and Supabase linter rules on every function of the domain.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { asActor } from "../support/as_role.ts";
import { connectAsSuperuser } from "../support/stack.ts";
import { postgresErrorOf } from "./support/postgres_errors.ts";
import { createTwoTenants, dropTwoTenants } from "./support/tenants.ts";

type Sql = ReturnType<typeof connectAsSuperuser>;

/** Runs a statement as a user in a rolled-back transaction; returns rows affected. */
function asUser(sql: Sql, userId: string, statement: string, params: string[] = []) {
  return asActor(
    sql,
    { role: "authenticated", userId },
    async (tx) => (await tx.unsafe(statement, params)).count,
    { rollback: true },
  );
}

Deno.test("organization roles: only owners grant or touch the owner role", async (t) => {
  const sql = connectAsSuperuser();
  const f = await createTwoTenants(sql);
  const members = "public.organization_members";
  try {
    await t.step("an admin cannot add an owner", async () => {
      const error = await postgresErrorOf(() =>
        asUser(sql, f.adminA, `insert into ${members} values ($1, $2, 'owner')`, [
          f.orgA,
          f.outsider,
        ])
      );
      assert.equal(error.code, "42501");
      assert.match(error.message, /row-level security/);
    });

    await t.step("an admin cannot promote themselves to owner", async () => {
      const error = await postgresErrorOf(() =>
        asUser(sql, f.adminA, `update ${members} set role = 'owner' where user_id = $1`, [f.adminA])
      );
      assert.match(error.message, /row-level security/);
    });

    await t.step("an admin cannot demote or remove the owner", async () => {
      const demote = `update ${members} set role = 'member' where user_id = $1`;
      assert.equal(await asUser(sql, f.adminA, demote, [f.ownerA]), 0);
      assert.equal(
        await asUser(sql, f.adminA, `delete from ${members} where user_id = $1`, [f.ownerA]),
        0,
      );
    });

    await t.step("an admin can promote a member to admin", async () => {
      const promote = `update ${members} set role = 'admin' where user_id = $1`;
      assert.equal(await asUser(sql, f.adminA, promote, [f.memberA]), 1);
    });

    await t.step("an owner can make an admin an owner", async () => {
      const promote = `update ${members} set role = 'owner' where user_id = $1`;
      assert.equal(await asUser(sql, f.ownerA, promote, [f.adminA]), 1);
    });

    await t.step("a member cannot change their own role", async () => {
      const promote = `update ${members} set role = 'admin' where user_id = $1`;
      assert.equal(await asUser(sql, f.memberA, promote, [f.memberA]), 0);
    });

    await t.step("an admin of A cannot add themselves to B", async () => {
      const error = await postgresErrorOf(() =>
        asUser(sql, f.adminA, `insert into ${members} values ($1, $2, 'member')`, [
          f.orgB,
          f.adminA,
        ])
      );
      assert.match(error.message, /row-level security/);
    });
  } finally {
    await dropTwoTenants(sql, f);
    await sql.end();
  }
});

Deno.test("removing a membership revokes access at once and drops the user's preferences", async () => {
  const sql = connectAsSuperuser();
  const f = await createTwoTenants(sql);
  const visibleSuppliers = () =>
    asActor(
      sql,
      { role: "authenticated", userId: f.memberA },
      async (tx) =>
        (await tx<{ n: number }[]>`
        select count(*)::int as n from public.suppliers where organization_id = ${f.orgA}`)[0]!.n,
    );
  try {
    assert.equal(await visibleSuppliers(), 2);
    await sql`delete from public.organization_members where user_id = ${f.memberA}`;
    assert.equal(await visibleSuppliers(), 0);
    const [preferences] = await sql<{ n: number }[]>`
      select count(*)::int as n from public.user_preferences where user_id = ${f.memberA}`;
    assert.equal(preferences!.n, 0);
  } finally {
    await dropTwoTenants(sql, f);
    await sql.end();
  }
});

Deno.test("private.current_user_organization_ids reveals only the caller's memberships", async () => {
  const sql = connectAsSuperuser();
  const f = await createTwoTenants(sql);
  const ids = (userId: string, minimumRole: string) =>
    asActor(sql, { role: "authenticated", userId }, async (tx) =>
      (await tx<{ id: string }[]>`
        select id from private.current_user_organization_ids(${minimumRole}::public.organization_role) as id`)
        .map((row) => row.id));
  try {
    assert.deepEqual(await ids(f.memberA, "member"), [f.orgA]);
    assert.deepEqual(await ids(f.memberA, "admin"), []);
    assert.deepEqual(await ids(f.adminA, "admin"), [f.orgA]);
    assert.deepEqual(await ids(f.adminA, "owner"), []);
    assert.deepEqual(await ids(f.memberB, "member"), [f.orgB]);
    assert.deepEqual(await ids(f.removedA, "member"), []);
  } finally {
    await dropTwoTenants(sql, f);
    await sql.end();
  }
});

Deno.test("API roles cannot TRUNCATE domain tables (TRUNCATE bypasses RLS)", async (t) => {
  const sql = connectAsSuperuser();
  const f = await createTwoTenants(sql);
  const tables = [
    "public.organizations",
    "public.organization_members",
    "public.suppliers",
    "public.locations",
    "public.products",
    "public.invoices",
    "public.invoice_lines",
    "public.user_preferences",
    "public.currencies",
    "analytics.dashboard_metrics",
  ];
  try {
    for (const table of tables) {
      await t.step(table, async () => {
        const error = await postgresErrorOf(() =>
          asUser(sql, f.ownerA, `truncate ${table} cascade`)
        );
        assert.equal(error.code, "42501");
        assert.match(error.message, /permission denied/);
      });
    }
  } finally {
    await dropTwoTenants(sql, f);
    await sql.end();
  }
});

Deno.test("internals are not callable by API roles that do not need them", async (t) => {
  const sql = connectAsSuperuser();
  const f = await createTwoTenants(sql);
  try {
    await t.step("anon cannot call the membership helper", async () => {
      const error = await postgresErrorOf(() =>
        asActor(sql, { role: "anon" }, (tx) => tx`select private.current_user_organization_ids()`, {
          rollback: true,
        })
      );
      assert.equal(error.code, "42501");
    });
    await t.step("an owner cannot rebuild or compute analytics", async () => {
      for (
        const statement of [
          "select analytics.rebuild_organization($1)",
          "select * from analytics.compute_product_metrics($1, current_date)",
        ]
      ) {
        const error = await postgresErrorOf(() => asUser(sql, f.ownerA, statement, [f.orgA]));
        assert.equal(error.code, "42501");
        assert.match(error.message, /permission denied for function/);
      }
    });
  } finally {
    await dropTwoTenants(sql, f);
    await sql.end();
  }
});

/**
 * Functions of schemas private and analytics created by the procurement domain's
 * migrations (20261121010000..019999) and the dataset registry's (20261130010000..019999),
 * less those a later one of them drops.
 */
function domainFunctionNames(): Set<string> {
  const dir = fileURLToPath(new URL("../../supabase/migrations/", import.meta.url));
  const names = new Set<string>();
  const files = [...Deno.readDirSync(dir)].map((entry) => entry.name)
    .filter((name) => /^(2026112101|2026113001)\d{4}_.*\.sql$/.test(name)).sort();
  for (const file of files) {
    const text = Deno.readTextFileSync(`${dir}/${file}`);
    const statements =
      /(create (?:or replace )?|drop )function ((?:private|analytics)\.[a-z_]+)\(/g;
    for (const match of text.matchAll(statements)) {
      if (match[1]!.startsWith("drop")) names.delete(match[2]!);
      else names.add(match[2]!);
    }
  }
  return names;
}

Deno.test("domain functions follow the Supabase linter rules", async () => {
  const sql = connectAsSuperuser();
  const domain = domainFunctionNames();
  try {
    const functions = (await sql<
      {
        qualified_name: string;
        signature: string;
        security_definer: boolean;
        config: string[] | null;
        public_execute: boolean;
        anon_execute: boolean;
      }[]
    >`
      select
        n.nspname || '.' || p.proname as qualified_name,
        p.oid::regprocedure::text as signature,
        p.prosecdef as security_definer,
        p.proconfig as config,
        exists (
          select 1 from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) as acl
          where acl.grantee = 0
        ) as public_execute,
        has_function_privilege('anon', p.oid, 'execute') as anon_execute
      from pg_catalog.pg_proc as p
      join pg_catalog.pg_namespace as n on n.oid = p.pronamespace
      where n.nspname in ('private', 'analytics')
      order by 2`).filter((fn) => domain.has(fn.qualified_name));
    assert.equal(functions.length, domain.size, "every domain function exists once");
    assert.ok(functions.length >= 25, `expected the domain's functions, found ${functions.length}`);
    for (const fn of functions) {
      assert.ok(fn.config?.includes('search_path=""'), `${fn.signature} must set search_path = ''`);
      assert.equal(fn.public_execute, false, `${fn.signature} must not be executable by PUBLIC`);
      assert.equal(fn.anon_execute, false, `${fn.signature} must not be executable by anon`);
    }
    assert.deepEqual(
      functions.filter((fn) => fn.security_definer).map((fn) => fn.signature),
      [
        "private.current_user_organization_ids(organization_role)",
        "private.on_source_table_write()",
      ],
    );
  } finally {
    await sql.end();
  }
});
