/**
 * Contract of the emulated Vault, pinned to supabase/vault `sql/supabase_vault--0.3.0.sql`
 * (create_secret / update_secret / decrypted_secrets) and to the grants of supabase/postgres
 * `ansible/files/postgresql_extension_custom_scripts/supabase_vault/after-create.sql`:
 * postgres and service_role read and write secrets; anon and authenticated cannot.
 */
import assert from "node:assert/strict";
import { asActor } from "../support/as_role.ts";
import { signaturesOf } from "../support/signatures.ts";
import { connectAsPostgres } from "../support/stack.ts";

Deno.test("vault.create_secret has Supabase's signature", async () => {
  const sql = connectAsPostgres();
  try {
    assert.deepEqual(await signaturesOf(sql, "vault", "create_secret"), [{
      arguments:
        "new_secret text, new_name text DEFAULT NULL::text, new_description text DEFAULT ''::text, new_key_id uuid DEFAULT NULL::uuid",
      result: "uuid",
    }]);
  } finally {
    await sql.end();
  }
});

Deno.test("vault secrets are readable decrypted by name, and only by privileged roles", async () => {
  const sql = connectAsPostgres();
  const name = `test_secret_${crypto.randomUUID()}`;
  try {
    const [created] = await sql<{ id: string }[]>`
      select vault.create_secret('s3cret', ${name}, 'for a test') as id`;
    await sql`select vault.update_secret(${created!.id}, new_secret := 's3cret-2')`;
    const [row] = await sql<{ decrypted_secret: string; description: string }[]>`
      select decrypted_secret, description from vault.decrypted_secrets where name = ${name}`;
    assert.deepEqual({ ...row }, { decrypted_secret: "s3cret-2", description: "for a test" });
    const asService = await asActor(
      sql,
      { role: "service_role" },
      (tx) => tx`select decrypted_secret from vault.decrypted_secrets where name = ${name}`,
    );
    assert.equal(asService.length, 1);
    for (
      const actor of [{ role: "anon" }, {
        role: "authenticated",
        userId: crypto.randomUUID(),
      }] as const
    ) {
      await assert.rejects(
        asActor(sql, actor, (tx) => tx`select * from vault.decrypted_secrets`),
        /permission denied/,
      );
    }
    await assert.rejects(
      sql`select vault.create_secret('again', ${name})`,
      /duplicate key/,
    );
  } finally {
    await sql`delete from vault.secrets where name = ${name}`;
    await sql.end();
  }
});
