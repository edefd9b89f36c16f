import type { Sql } from "postgres";
import { join } from "node:path";
import { bootstrapDir } from "../paths.ts";

/** Sorted `.sql` files of a folder, as absolute paths. */
export function sqlFilesIn(dir: string): string[] {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  return entries
    .filter((entry) => entry.isFile && entry.name.endsWith(".sql"))
    .map((entry) => join(dir, entry.name))
    .sort();
}

/**
 * Loads the platform objects Supabase provides before any migration
 * (roles, auth, Vault, Realtime). Idempotent; runs on every new cluster.
 */
export async function applyPlatformBootstrap(sql: Sql): Promise<void> {
  for (const file of sqlFilesIn(bootstrapDir)) {
    await sql.unsafe(Deno.readTextFileSync(file)).simple();
  }
}
