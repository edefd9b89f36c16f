import type { Sql } from "postgres";
import { basename, join } from "node:path";
import { supabaseDir } from "./paths.ts";
import { sqlFilesIn } from "./postgres/bootstrap.ts";

/** Folder of the project's migrations. */
export const migrationsDir: string = join(supabaseDir, "migrations");

/** A migration file named `<version>_<name>.sql`, as the Supabase CLI expects. */
export interface MigrationFile {
  readonly version: string;
  readonly name: string;
  readonly path: string;
}

/** Thrown when a migration file is misnamed or fails to apply. */
export class MigrationError extends Error {
  override name = "MigrationError";
}

/** Lists the migrations of a folder in the order they apply. */
export function listMigrations(dir: string = migrationsDir): MigrationFile[] {
  return sqlFilesIn(dir).map((path) => {
    const match = /^(\d+)_(.+)\.sql$/.exec(basename(path));
    if (!match) {
      throw new MigrationError(
        `Migration file name must be <digits>_<name>.sql: received ${basename(path)}`,
      );
    }
    return { version: match[1]!, name: match[2]!, path };
  });
}

/**
 * Applies the migrations not yet recorded in `supabase_migrations.schema_migrations`
 * (the Supabase CLI's history table), each in its own transaction together with
 * its history row. Returns the versions applied now.
 */
export async function applyMigrations(sql: Sql, dir: string = migrationsDir): Promise<string[]> {
  await sql.unsafe(`
    create schema if not exists supabase_migrations;
    create table if not exists supabase_migrations.schema_migrations (
      version text primary key,
      statements text[],
      name text
    );
  `).simple();
  const applied = new Set(
    (await sql<{ version: string }[]>`select version from supabase_migrations.schema_migrations`)
      .map((row) => row.version),
  );
  const appliedNow: string[] = [];
  for (const migration of listMigrations(dir)) {
    if (applied.has(migration.version)) continue;
    const text = Deno.readTextFileSync(migration.path);
    try {
      await sql.begin(async (tx) => {
        await tx.unsafe(text).simple();
        await tx`
          insert into supabase_migrations.schema_migrations (version, statements, name)
          values (${migration.version}, ${[text]}, ${migration.name})`;
      });
    } catch (error) {
      throw new MigrationError(
        `Migration ${basename(migration.path)} failed: ${(error as Error).message}`,
        { cause: error },
      );
    }
    appliedNow.push(migration.version);
  }
  return appliedNow;
}

/**
 * Migrations already applied whose file has changed since (compared with the
 * text recorded in the history table): the database no longer matches them,
 * and only a reset applies the new text.
 */
export async function changedMigrations(
  sql: Sql,
  dir: string = migrationsDir,
): Promise<MigrationFile[]> {
  const recorded = new Map(
    (await sql<{ version: string; statements: string[] | null }[]>`
      select version, statements from supabase_migrations.schema_migrations`)
      .map((row) => [row.version, row.statements?.join("") ?? null]),
  );
  return listMigrations(dir).filter((migration) => {
    const text = recorded.get(migration.version);
    return text !== undefined && text !== null && text !== Deno.readTextFileSync(migration.path);
  });
}
