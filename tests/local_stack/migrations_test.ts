/**
 * Migrations are applied by the real Supabase CLI (`supabase migration up --db-url`):
 * each new file once, atomically with its history row in
 * supabase_migrations.schema_migrations, as `postgres`.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import postgres from "postgres";
import {
  applyMigrations,
  changedMigrations,
  MigrationError,
} from "../../local-stack/migrations.ts";
import { connectAsPostgres, testStack } from "../support/stack.ts";

async function withScratchDatabase(work: (url: string) => Promise<void>): Promise<void> {
  const admin = connectAsPostgres(1);
  const name = `scratch_${crypto.randomUUID().replaceAll("-", "")}`;
  await admin.unsafe(`create database ${name}`);
  try {
    const url = new URL(testStack.dbUrl);
    url.pathname = `/${name}`;
    await work(url.toString());
  } finally {
    await admin.unsafe(`drop database ${name} with (force)`);
    await admin.end();
  }
}

Deno.test("applyMigrations applies only new migrations, in order", async (t) => {
  await withScratchDatabase(async (url) => {
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    const project = Deno.makeTempDirSync();
    const dir = join(project, "supabase", "migrations");
    Deno.mkdirSync(dir, { recursive: true });
    try {
      Deno.writeTextFileSync(join(dir, "20260101000000_first.sql"), "create table t (n int);");
      Deno.writeTextFileSync(
        join(dir, "20260102000000_second.sql"),
        "insert into t values (1); insert into t values (2);",
      );
      await t.step("a fresh database gets every migration", async () => {
        assert.deepEqual(await applyMigrations(sql, url, project), [
          "20260101000000",
          "20260102000000",
        ]);
      });
      await t.step("a second run applies nothing", async () => {
        assert.deepEqual(await applyMigrations(sql, url, project), []);
      });
      await t.step("a new file is applied alone", async () => {
        Deno.writeTextFileSync(join(dir, "20260103000000_third.sql"), "insert into t values (3);");
        assert.deepEqual(await applyMigrations(sql, url, project), ["20260103000000"]);
        const rows = await sql<{ n: number }[]>`select n from t order by n`;
        assert.deepEqual(rows.map((r) => r.n), [1, 2, 3]);
        const history = await sql<{ version: string; name: string }[]>`
          select version, name from supabase_migrations.schema_migrations order by version`;
        assert.deepEqual(history.map((r) => r.name), ["first", "second", "third"]);
      });
      await t.step(
        "an applied migration edited afterwards is reported, not reapplied",
        async () => {
          assert.deepEqual(await changedMigrations(sql, dir), []);
          Deno.writeTextFileSync(
            join(dir, "20260102000000_second.sql"),
            "insert into t values (20);",
          );
          assert.deepEqual((await changedMigrations(sql, dir)).map((m) => m.name), ["second"]);
          assert.deepEqual(await applyMigrations(sql, url, project), []);
        },
      );
      await t.step("a failing migration leaves nothing behind and is not recorded", async () => {
        Deno.writeTextFileSync(
          join(dir, "20260104000000_broken.sql"),
          "insert into t values (4); select * from missing_table;",
        );
        await assert.rejects(applyMigrations(sql, url, project), (error: unknown) => {
          assert.ok(error instanceof MigrationError);
          assert.match(error.message, /20260104000000_broken\.sql failed: .*missing_table/);
          return true;
        });
        const [row] = await sql<
          { count: number }[]
        >`select count(*)::int as count from t where n = 4`;
        assert.equal(row!.count, 0);
        const [recorded] = await sql<{ count: number }[]>`
          select count(*)::int as count from supabase_migrations.schema_migrations
           where version = '20260104000000'`;
        assert.equal(recorded!.count, 0);
      });
      await t.step("a misnamed file is refused with a clear error", async () => {
        Deno.removeSync(join(dir, "20260104000000_broken.sql"));
        Deno.writeTextFileSync(join(dir, "add_things.sql"), "select 1;");
        await assert.rejects(
          applyMigrations(sql, url, project),
          /must be <digits>_<name>\.sql: received add_things\.sql/,
        );
      });
    } finally {
      await sql.end();
      Deno.removeSync(project, { recursive: true });
    }
  });
});

Deno.test("the project's migrations are all recorded on the stack under test", async () => {
  const sql = connectAsPostgres(1);
  try {
    const rows = await sql<{ version: string }[]>`
      select version from supabase_migrations.schema_migrations order by version`;
    const files = [...Deno.readDirSync(new URL("../../supabase/migrations/", import.meta.url))]
      .map((entry) => entry.name.split("_")[0]!)
      .sort();
    assert.deepEqual(rows.map((r) => r.version), files);
  } finally {
    await sql.end();
  }
});
