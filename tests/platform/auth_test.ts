/**
 * Contract of the emulated auth schema: auth.uid/role/jwt follow request.jwt.claims per
 * transaction. Pinned to supabase/auth `migrations/20220224000811_update_auth_functions.up.sql`
 * (the request.jwt.claim.* / request.jwt.claims fallbacks) and supabase/postgres
 * `migrations/db/init-scripts/00000000000000-initial-schema.sql` (the API roles); owners and
 * grants are pinned in supabase/tests/database/00001_hosted_roles_test.sql.
 */
import assert from "node:assert/strict";
import { asActor } from "../support/as_role.ts";
import { signaturesOf } from "../support/signatures.ts";
import { connectAsPostgres } from "../support/stack.ts";

Deno.test("auth helpers have Supabase's signatures", async () => {
  const sql = connectAsPostgres();
  try {
    assert.deepEqual(await signaturesOf(sql, "auth", "uid"), [{ arguments: "", result: "uuid" }]);
    assert.deepEqual(await signaturesOf(sql, "auth", "role"), [{ arguments: "", result: "text" }]);
    assert.deepEqual(await signaturesOf(sql, "auth", "jwt"), [{ arguments: "", result: "jsonb" }]);
  } finally {
    await sql.end();
  }
});

Deno.test("auth.uid() follows the claims of the current transaction", async (t) => {
  const sql = connectAsPostgres();
  const first = crypto.randomUUID();
  const second = crypto.randomUUID();
  try {
    await t.step("each transaction sees its own sub", async () => {
      const uids = await Promise.all(
        [first, second].map((userId) =>
          asActor(sql, { role: "authenticated", userId }, async (tx) => {
            const [row] = await tx<{ uid: string; role: string; email: string }[]>`
            select auth.uid() as uid, auth.role() as role, auth.jwt() ->> 'email' as email`;
            return row!;
          })
        ),
      );
      assert.deepEqual(uids.map((row) => row.uid), [first, second]);
      assert.deepEqual(uids.map((row) => row.role), ["authenticated", "authenticated"]);
    });
    await t.step("claims do not outlive their transaction", async () => {
      await asActor(sql, { role: "authenticated", userId: first }, async () => {});
      const [row] = await sql<{ uid: string | null; jwt: unknown }[]>`
        select auth.uid() as uid, auth.jwt() as jwt`;
      assert.equal(row!.uid, null);
      assert.equal(row!.jwt, null);
    });
    await t.step("anon has a role and no uid", async () => {
      const row = await asActor(sql, { role: "anon" }, async (tx) => {
        const [r] = await tx<{ uid: string | null; role: string }[]>`
          select auth.uid() as uid, auth.role() as role`;
        return r!;
      });
      assert.deepEqual(row, { uid: null, role: "anon" });
    });
  } finally {
    await sql.end();
  }
});

Deno.test("API roles exist as on Supabase", async () => {
  const sql = connectAsPostgres();
  try {
    const roles = await sql<{ rolname: string; rolcanlogin: boolean; rolbypassrls: boolean }[]>`
      select rolname, rolcanlogin, rolbypassrls from pg_roles
       where rolname in ('anon', 'authenticated', 'service_role') order by rolname`;
    assert.deepEqual(roles.map((r) => ({ ...r })), [
      { rolname: "anon", rolcanlogin: false, rolbypassrls: false },
      { rolname: "authenticated", rolcanlogin: false, rolbypassrls: false },
      { rolname: "service_role", rolcanlogin: false, rolbypassrls: true },
    ]);
  } finally {
    await sql.end();
  }
});
