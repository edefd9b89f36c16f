import { dirname, join } from "node:path";
import { isRoot, runCommand } from "../run_command.ts";
import { clusterRoot } from "./cluster_location.ts";
import { buildOverlayInstallation } from "./overlay.ts";
import { removeStaleOverlays } from "./overlay_cleanup.ts";

/** Where Debian's PostgreSQL 15 keeps its programs and files. */
export interface PostgresInstallation {
  readonly binDir: string;
  readonly shareDir: string;
  readonly libDir: string;
}

const DEBIAN_PG15: PostgresInstallation = {
  binDir: "/usr/lib/postgresql/15/bin",
  shareDir: "/usr/share/postgresql/15",
  libDir: "/usr/lib/postgresql/15/lib",
};

const REQUIRED_PACKAGES = [
  "postgresql-15",
  "postgresql-15-cron",
  "postgresql-15-pgtap",
  "postgresql-15-plpgsql-check",
  "libtap-parser-sourcehandler-pgtap-perl",
];

/** Thrown when PostgreSQL 15 with pg_cron is missing and cannot be installed here. */
export class PostgresUnavailableError extends Error {
  override name = "PostgresUnavailableError";
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function missingPieces(pg: PostgresInstallation): string[] {
  const checks: Array<[string, string]> = [
    ["postgresql-15", join(pg.binDir, "postgres")],
    ["postgresql-15-cron", join(pg.libDir, "pg_cron.so")],
    ["postgresql-15-pgtap", join(pg.shareDir, "extension", "pgtap.control")],
    ["postgresql-15-plpgsql-check", join(pg.shareDir, "extension", "plpgsql_check.control")],
    ["libtap-parser-sourcehandler-pgtap-perl", "/usr/bin/pg_prove"],
  ];
  return checks.filter(([, path]) => !exists(path)).map(([pkg]) => pkg);
}

async function aptInstall(packages: string[]): Promise<void> {
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  const prefix = isRoot() ? [] : ["sudo", "-n"];
  const [program, ...rest] = [...prefix, "apt-get"];
  try {
    console.log(`Installing ${packages.join(", ")} from Debian (apt-get)...`);
    await runCommand(program!, [...rest, "update", "-qq"], { env });
    await runCommand(program!, [
      ...rest,
      "install",
      "-y",
      "-qq",
      "--no-install-recommends",
      ...packages,
    ], {
      env,
    });
  } catch (error) {
    throw new PostgresUnavailableError(
      `Cannot install PostgreSQL: ${packages.join(", ")} are missing and apt-get failed. ` +
        `Install them yourself (as root: apt-get install ${
          REQUIRED_PACKAGES.join(" ")
        }) and retry.`,
      { cause: error },
    );
  }
}

/**
 * Makes sure PostgreSQL 15, pg_cron, pgTAP, plpgsql_check and pg_prove are
 * installed (from Debian when missing) and returns the stack's private
 * installation over them (see `buildOverlayInstallation`).
 */
export async function ensurePostgresInstalled(): Promise<PostgresInstallation> {
  const missing = missingPieces(DEBIAN_PG15);
  if (missing.length > 0) await aptInstall(missing);
  const stillMissing = missingPieces(DEBIAN_PG15);
  if (stillMissing.length > 0) {
    throw new PostgresUnavailableError(
      `PostgreSQL is incomplete: missing ${stillMissing.join(", ")}`,
    );
  }
  const root = clusterRoot();
  const installation = await buildOverlayInstallation(DEBIAN_PG15, root);
  const current = dirname(dirname(dirname(dirname(installation.binDir)))); // <root>/pg-<hash>
  for (const dir of removeStaleOverlays({ root, current })) {
    console.log(`Removed a PostgreSQL copy no stack uses any more: ${dir}`);
  }
  return installation;
}
