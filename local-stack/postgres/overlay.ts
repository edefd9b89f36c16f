import { createHash } from "node:crypto";
import { join } from "node:path";
import { emulatedExtensionsDir } from "../paths.ts";
import { isRoot, runCommand } from "../run_command.ts";
import type { PostgresInstallation } from "./install.ts";
import { PRIVILEGED_EXTENSIONS } from "./privileged_extensions.ts";

/** Programs the stack runs; they find share/ and lib/ relative to their own location. */
const PROGRAMS = ["postgres", "pg_ctl", "initdb"];

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** `trusted = true` appended to a control file that lacks it (supautils' privileged extensions). */
function trustedControl(text: string): string {
  if (/^\s*trusted\s*=\s*true/m.test(text)) return text;
  return `${
    text.replace(/^\s*trusted\s*=.*$/m, "").trimEnd()
  }\n# Nightshift local stack: a privileged extension, as supautils allows on Supabase\ntrusted = true\n`;
}

/** The files the overlay's extension folder gets in place of (or beside) the system's. */
function extensionOverrides(system: PostgresInstallation): Map<string, string> {
  const overrides = new Map<string, string>();
  const systemDir = join(system.shareDir, "extension");
  for (const entry of Deno.readDirSync(systemDir)) {
    const name = entry.name;
    if (!name.endsWith(".control")) continue;
    if (!PRIVILEGED_EXTENSIONS.has(name.slice(0, -".control".length))) continue;
    overrides.set(name, trustedControl(Deno.readTextFileSync(join(systemDir, name))));
  }
  for (const entry of Deno.readDirSync(emulatedExtensionsDir)) {
    const text = Deno.readTextFileSync(join(emulatedExtensionsDir, entry.name));
    const isPrivilegedControl = entry.name.endsWith(".control") &&
      PRIVILEGED_EXTENSIONS.has(entry.name.slice(0, -".control".length));
    overrides.set(entry.name, isPrivilegedControl ? trustedControl(text) : text);
  }
  return overrides;
}

/**
 * Builds (once per content) a private PostgreSQL installation under `root`:
 * copies of `postgres`, `pg_ctl` and `initdb` whose share/ and lib/ are links
 * to Debian's, except the extension folder, which adds the emulated platform
 * extensions (pg_net) and marks Supabase's privileged extensions `trusted`.
 *
 * PostgreSQL locates share/ and lib/ relative to its executable, so this is how
 * the stack plays supautils' `privileged_extensions` (postgres may create
 * pg_cron, pg_net, pgcrypto, pgtap…, whose objects the bootstrap superuser
 * owns) without changing files of the system's PostgreSQL, which other
 * checkouts on the machine share.
 */
export async function buildOverlayInstallation(
  system: PostgresInstallation,
  root: string,
): Promise<PostgresInstallation> {
  const overrides = extensionOverrides(system);
  const digest = createHash("sha256");
  for (const program of PROGRAMS) {
    digest.update(Deno.statSync(join(system.binDir, program)).mtime?.toISOString() ?? "");
  }
  for (const [name, text] of [...overrides].sort()) digest.update(name).update("\0").update(text);
  const systemExtensions = [...Deno.readDirSync(join(system.shareDir, "extension"))].map((e) =>
    e.name
  ).sort();
  digest.update(systemExtensions.join("\n"));
  const dir = join(root, `pg-${digest.digest("hex").slice(0, 12)}`);
  const installation: PostgresInstallation = {
    binDir: join(dir, "lib", "postgresql", "15", "bin"),
    shareDir: join(dir, "share", "postgresql", "15"),
    libDir: join(dir, "lib", "postgresql", "15", "lib"),
  };
  if (exists(join(installation.binDir, "postgres"))) {
    // Marks it as used now: the cleanup of stale overlays keeps recently used ones.
    const now = new Date();
    try {
      Deno.utimeSync(dir, now, now);
    } catch {
      // another user's overlay: its age only matters to the cleanup, which then keeps less
    }
    return installation;
  }

  const staging = `${dir}.tmp-${Deno.pid}`;
  if (exists(staging)) Deno.removeSync(staging, { recursive: true });
  const binDir = join(staging, "lib", "postgresql", "15", "bin");
  const shareDir = join(staging, "share", "postgresql", "15");
  Deno.mkdirSync(binDir, { recursive: true });
  Deno.mkdirSync(join(shareDir, "extension"), { recursive: true });
  for (const program of PROGRAMS) {
    Deno.copyFileSync(join(system.binDir, program), join(binDir, program));
  }
  Deno.symlinkSync(system.libDir, join(staging, "lib", "postgresql", "15", "lib"));
  for (const entry of Deno.readDirSync(system.shareDir)) {
    if (entry.name === "extension") continue;
    Deno.symlinkSync(join(system.shareDir, entry.name), join(shareDir, entry.name));
  }
  for (const name of systemExtensions) {
    if (overrides.has(name) || /^pg_net[-.]/.test(name)) continue;
    Deno.symlinkSync(join(system.shareDir, "extension", name), join(shareDir, "extension", name));
  }
  for (const [name, text] of overrides) {
    Deno.writeTextFileSync(join(shareDir, "extension", name), text);
  }
  if (isRoot()) await runCommand("chmod", ["-R", "a+rX", staging]);
  try {
    Deno.renameSync(staging, dir);
  } catch (error) {
    // Another stack of this checkout built the same overlay meanwhile.
    Deno.removeSync(staging, { recursive: true });
    if (!exists(join(installation.binDir, "postgres"))) throw error;
  }
  return installation;
}
