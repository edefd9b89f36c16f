import type { Sql } from "postgres";
import { basename, join } from "node:path";
import { repoRoot, supabaseDir } from "./paths.ts";
import { runCommand } from "./run_command.ts";
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

/** The pinned Supabase CLI (toolchain/package.json), installed by `./nightshift`. */
export const supabaseCli: string = join(repoRoot, "toolchain", "node_modules", ".bin", "supabase");

/** `dbUrl` with `sslmode=disable` (the CLI tries TLS first; local clusters have none). */
export function cliDbUrl(dbUrl: string): string {
  const url = new URL(dbUrl);
  url.searchParams.set("sslmode", "disable");
  return url.toString();
}

/**
 * Runs the real Supabase CLI on a project (a folder holding `supabase/`, the
 * repository by default) and returns its output; throws `CommandFailedError` when it fails.
 */
export async function runSupabaseCli(
  args: readonly string[],
  projectDir: string = repoRoot,
): Promise<string> {
  return await runCommand(supabaseCli, [...args, "--workdir", projectDir], {
    env: { SUPABASE_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1" },
  });
}

async function appliedVersions(sql: Sql): Promise<Set<string>> {
  const [history] = await sql`select to_regclass('supabase_migrations.schema_migrations') as oid`;
  if (!history?.oid) return new Set();
  return new Set(
    (await sql<{ version: string }[]>`select version from supabase_migrations.schema_migrations`)
      .map((row) => row.version),
  );
}

/**
 * Applies the pending migrations with the real Supabase CLI
 * (`supabase migration up --db-url <dbUrl>`), connected as `dbUrl`'s user
 * (`postgres`, as `supabase db push` on hosted). The CLI keeps the history in
 * `supabase_migrations.schema_migrations`. `sql` reads that history; returns
 * the versions applied now. `projectDir` holds `supabase/migrations`.
 */
export async function applyMigrations(
  sql: Sql,
  dbUrl: string,
  projectDir: string = repoRoot,
): Promise<string[]> {
  listMigrations(join(projectDir, "supabase", "migrations")); // the CLI skips misnamed files silently
  const before = await appliedVersions(sql);
  try {
    await runSupabaseCli(
      ["migration", "up", "--db-url", cliDbUrl(dbUrl), "--include-all"],
      projectDir,
    );
  } catch (error) {
    throw new MigrationError(describeCliFailure((error as Error).message), { cause: error });
  }
  const after = await appliedVersions(sql);
  return [...after].filter((version) => !before.has(version)).sort();
}

/** `Migration <file> failed: <error>` from the CLI's output, or the whole output. */
function describeCliFailure(output: string): string {
  const file = [...output.matchAll(/Applying migration (\S+\.sql)\.\.\./g)].at(-1)?.[1];
  const error = /^ERROR: .*$/m.exec(output)?.[0];
  if (file && error) return `Migration ${file} failed: ${error}`;
  return `Migrations failed (supabase migration up): ${output}`;
}

/**
 * A migration's text without whitespace and semicolons: the CLI records a file
 * as its statements without their terminators, so only this part compares.
 */
function sqlFingerprint(text: string): string {
  return text.replace(/[\s;]+/g, "");
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
      .map((row) => [row.version, row.statements?.join("\n") ?? null]),
  );
  return listMigrations(dir).filter((migration) => {
    const text = recorded.get(migration.version);
    return text !== undefined && text !== null &&
      sqlFingerprint(text) !== sqlFingerprint(Deno.readTextFileSync(migration.path));
  });
}
