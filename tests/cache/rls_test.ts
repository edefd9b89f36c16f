/**
 * Who may touch the cache: service_role (and the postgres owner). anon gets
 * nothing, not even the schema. authenticated gets the schema and, for the admin
 * dashboard's reads (cache_admin.entries / invalidation_audit,
 * 20261201040000_cache_admin_read_functions.sql), SELECT on the audit, the tag
 * versions and cache.entries without body and etag, each under an RLS policy for
 * owners and admins of the rows' organization (tests/cache/cache_admin_reads_test.ts);
 * no other table, no write, no function.
 */
import assert from "node:assert/strict";
import type { TransactionSql } from "postgres";
import { type Actor, asActor } from "../support/as_role.ts";
import { connectAsSuperuser } from "../support/stack.ts";
import { newOrganizationId } from "./support.ts";

const TABLES = ["entries", "tag_versions", "leases", "counters", "pending_purges"] as const;
/** Tables the service side may only read and append to (an audit is never rewritten). */
const APPEND_ONLY_TABLES = ["invalidation_audit"] as const;
/** Counters the service side reads and advances but never deletes (seq must never go back). */
const COUNTER_TABLES = ["invalidation_sequences"] as const;
/** What authenticated may run as is, under RLS (a user administering nothing reads no row); `select *` of entries and tag_versions names columns not granted. */
const READABLE_UNDER_RLS = new Set(["select cache.invalidation_audit"]);
/** Tables with a policy for owners and admins besides the service role's. */
const ADMIN_READ_TABLES = new Set(["entries", "tag_versions", "invalidation_audit"]);
const org = newOrganizationId();
const key = `${org}:price-alerts:`;

/** One statement per table and per function of the SQL API. */
const STATEMENTS: Record<string, (tx: TransactionSql) => Promise<unknown>> = {
  ...Object.fromEntries(TABLES.flatMap((table) => [
    [`select cache.${table}`, (tx: TransactionSql) => tx.unsafe(`select * from cache.${table}`)],
    [`delete cache.${table}`, (tx: TransactionSql) => tx.unsafe(`delete from cache.${table}`)],
  ])),
  "insert cache.tag_versions": (tx) => tx`insert into cache.tag_versions (tag) values ('x')`,
  "select cache.invalidation_audit": (tx) => tx`select * from cache.invalidation_audit`,
  "insert cache.invalidation_audit": (tx) =>
    tx`insert into cache.invalidation_audit (organization_id, actor_role, mode, bumped)
       values (${org}::uuid, 'service_role', 'expire', '{}')`,
  "select cache.invalidation_sequences": (tx) => tx`select * from cache.invalidation_sequences`,
  "cache.lock_invalidations": (tx) => tx`select cache.lock_invalidations(${[org]}::uuid[])`,
  "cache.invalidate": (tx) =>
    tx`select cache.invalidate(${org}::uuid, '{price-alerts}', null, 'expire', 'admin')`,
  "cache.read": (tx) => tx`select * from cache.read(${key}, ${org}::uuid)`,
  "cache.write": (tx) =>
    tx`select cache.write(${key}, ${org}::uuid, 'price-alerts', '{}', '"e"',
      ${tx.json({ [`org:${org}`]: 0 })}, now(), now(), now())`,
  "cache.acquire_lease": (tx) => tx`select * from cache.acquire_lease(${key}, 'h', '{}', 1000)`,
  "select cache.entry_states": (tx) => tx`select * from cache.entry_states`,
  "cache.read_or_lease": (tx) =>
    tx`select * from cache.read_or_lease(${key}, ${org}::uuid, now(), 'h', '{}', 1000)`,
  "cache.release_lease": (tx) => tx`select cache.release_lease(${key}, 'h')`,
  "cache.invalidate_tags": (tx) =>
    tx`select * from cache.invalidate_tags(${[`org:${org}`]}, 'purge')`,
  "cache.invalidate_datasets": (tx) =>
    tx`select * from cache.invalidate_datasets(${org}::uuid, '{price-alerts}', 'purge')`,
  "cache.tag_changes": (tx) => tx`select cache.tag_changes()`,
  "cache.record_hits": (tx) => tx`select cache.record_hits('[]', '[]')`,
  "cache.cleanup": (tx) => tx`select * from cache.cleanup()`,
  // A trigger function: exercised through the purge that fires it.
  "cache.record_purge": (tx) =>
    tx`select * from cache.invalidate_tags(${[`org:${org}:tag:record-purge`]}, 'purge')`,
  "cache.delete_purged_entries": (tx) =>
    tx`select cache.delete_purged_entries(${`org:${org}`}, 1, 10)`,
  "cache.tag_names": (tx) => tx`select cache.tag_names('{"b": 1, "a": 2}')`,
  "cache.dataset_tag": (tx) => tx`select cache.dataset_tag(${org}::uuid, 'price-alerts')`,
  "cache.organization_tag": (tx) => tx`select cache.organization_tag(${org}::uuid)`,
};

const API_ROLES: Actor[] = [
  { role: "anon" },
  { role: "authenticated", userId: crypto.randomUUID() },
];

for (const actor of API_ROLES) {
  Deno.test(`cache schema: ${actor.role} can neither write nor call anything, nor read beyond RLS`, async (t) => {
    const sql = connectAsSuperuser();
    try {
      for (const [name, statement] of Object.entries(STATEMENTS)) {
        await t.step(name, async () => {
          const outcome = await asActor(sql, actor, statement, { rollback: true }).then(
            (rows) => ({ rows: rows as unknown[] }),
            (e: unknown) => ({ error: e }),
          );
          if (actor.role === "authenticated" && READABLE_UNDER_RLS.has(name)) {
            assert.deepEqual("rows" in outcome && outcome.rows.length, 0, "RLS: no row");
            return;
          }
          assert.ok("error" in outcome, `${actor.role} ran ${name}`);
          const error = outcome.error as { code?: string; message?: string };
          assert.equal(error.code, "42501", String(error)); // insufficient_privilege
          assert.match(
            error.message ?? "",
            actor.role === "anon"
              ? /permission denied for schema cache/
              : /permission denied for (table|view|function)/,
          );
        });
      }
    } finally {
      await sql.end();
    }
  });
}

Deno.test("cache schema: service_role can use every table and function", async (t) => {
  const sql = connectAsSuperuser();
  try {
    for (const [name, statement] of Object.entries(STATEMENTS)) {
      await t.step(name, async () => {
        await asActor(sql, { role: "service_role" }, statement, { rollback: true });
      });
    }
  } finally {
    await sql.end();
  }
});

Deno.test("cache schema: RLS on every table, search_path pinned and EXECUTE granted explicitly", async () => {
  const sql = connectAsSuperuser();
  try {
    const tables = await sql<{ relname: string; rls: boolean; policies: number }[]>`
      select c.relname, c.relrowsecurity as rls,
        (select count(*)::int from pg_policies p where p.schemaname = 'cache' and p.tablename = c.relname) as policies
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'cache' and c.relkind = 'r' order by c.relname`;
    assert.deepEqual(
      tables.map((row) => row.relname),
      [...TABLES, ...APPEND_ONLY_TABLES, ...COUNTER_TABLES].sort(),
    );
    assert.ok(
      tables.every((row) =>
        row.rls && row.policies === (ADMIN_READ_TABLES.has(row.relname) ? 2 : 1)
      ),
      JSON.stringify(tables),
    );
    // Views read with the caller's rights (RLS of the tables applies), and are listed above.
    const views = await sql<{ relname: string; options: string[] | null }[]>`
      select c.relname, c.reloptions as options
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'cache' and c.relkind = 'v' order by c.relname`;
    assert.deepEqual(
      views.map((view) => ({ ...view })),
      [{ relname: "entry_states", options: ["security_invoker=true"] }],
    );
    assert.ok(`select cache.${views[0]!.relname}` in STATEMENTS);

    const functions = await sql<{ name: string; config: string[] | null; grantees: string[] }[]>`
      select p.proname as name, p.proconfig as config,
        array(select coalesce(r.rolname, 'public') from aclexplode(p.proacl) a
              left join pg_roles r on r.oid = a.grantee
              where a.privilege_type = 'EXECUTE' order by 1) as grantees
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = 'cache' order by p.proname`;
    assert.deepEqual(
      functions.map((fn) => `cache.${fn.name}`),
      Object.keys(STATEMENTS).filter((name) => name.startsWith("cache.")).sort(),
      "every function of the schema is exercised as each role above",
    );
    for (const fn of functions) {
      assert.deepEqual(fn.config, ['search_path=""'], fn.name);
      assert.deepEqual(fn.grantees, ["postgres", "service_role"], fn.name);
    }
    const [comments] = await sql`
      select count(*)::int as missing from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = 'cache' and obj_description(p.oid, 'pg_proc') is null`;
    assert.equal(comments?.missing, 0, "every function has a comment");
  } finally {
    await sql.end();
  }
});

Deno.test("cache schema: even with USAGE granted by mistake, API roles get no table, view or function", async () => {
  const sql = connectAsSuperuser();
  const denied = Symbol("rolled back");
  try {
    await sql.begin(async (tx) => {
      await tx`grant usage on schema cache to anon, authenticated`;
      for (const role of ["anon", "authenticated"]) {
        await tx.unsafe(`set local role ${role}`);
        await tx`savepoint probe`;
        for (const [name, statement] of Object.entries(STATEMENTS)) {
          if (role === "authenticated" && READABLE_UNDER_RLS.has(name)) continue; // see above
          const error = await statement(tx).then(() => undefined, (e: unknown) => e);
          assert.equal((error as { code?: string })?.code, "42501", `${role} ran ${name}`);
          assert.match((error as Error).message, /permission denied for (table|view|function)/);
          await tx`rollback to savepoint probe`;
        }
        await tx`reset role`;
      }
      throw denied;
    }).catch((error) => {
      if (error !== denied) throw error;
    });
  } finally {
    await sql.end();
  }
});
