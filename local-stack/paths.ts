import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** Absolute path of the repository root. */
export const repoRoot: string = fileURLToPath(new URL("../", import.meta.url)).replace(/\/$/, "");

/** Git-ignored folder holding every runtime artifact of the local stack (clusters, logs, reports). */
export const runtimeRoot: string = join(repoRoot, ".nightshift");

/** Folder of the platform bootstrap SQL applied to every new cluster. */
export const bootstrapDir: string = join(repoRoot, "local-stack", "bootstrap");

/** Folder of the emulated extensions installed into PostgreSQL's share directory. */
export const emulatedExtensionsDir: string = join(repoRoot, "local-stack", "extensions");

/** The Supabase project folder (config.toml, migrations, functions). */
export const supabaseDir: string = join(repoRoot, "supabase");
