import { join, relative } from "node:path";
import { sqlFilesIn } from "./postgres/bootstrap.ts";
import { repoRoot } from "./paths.ts";

/** Folder of the pgTAP tests, where `supabase test db` looks for them. */
export const databaseTestsDir: string = join(repoRoot, "supabase", "tests", "database");

/** Outcome of one pgTAP file: its assertions, and the failures' TAP lines. */
export interface TapFileResult {
  readonly file: string;
  readonly passed: number;
  readonly failed: number;
  readonly failures: readonly string[];
}

/**
 * Counts a TAP stream: `ok`/`not ok` lines are assertions (`# SKIP` and
 * `# TODO` ones count as passed); a plan the run did not meet, or no plan,
 * counts as one more failure, so a file that died half-way never passes.
 */
export function summarizeTap(file: string, tap: string, exitedCleanly: boolean): TapFileResult {
  let passed = 0;
  let failed = 0;
  const failures: string[] = [];
  let planned: number | undefined;
  for (const line of tap.split("\n")) {
    const plan = /^1\.\.(\d+)/.exec(line);
    if (plan) planned = Number(plan[1]);
    else if (/^ok \d+/.test(line)) passed++;
    else if (/^not ok \d+/.test(line)) {
      if (/#\s*(TODO|SKIP)\b/i.test(line)) passed++;
      else {
        failed++;
        failures.push(line);
      }
    }
  }
  if (planned === undefined || planned !== passed + failed || (!exitedCleanly && failed === 0)) {
    failed++;
    failures.push(`${file}: planned ${planned ?? "nothing"}, ran ${passed + failed - 1}`);
  }
  return { file, passed, failed, failures };
}

/**
 * Runs each pgTAP file of `files` with `pg_prove` (Debian
 * libtap-parser-sourcehandler-pgtap-perl) as `postgres` on `dbUrl`, as
 * `supabase test db` does, printing the TAP, and returns each file's counts.
 * pgTAP itself is created (a privileged extension) in `extensions` first.
 */
export async function runPgTap(dbUrl: string, files: readonly string[]): Promise<TapFileResult[]> {
  const url = new URL(dbUrl);
  const env = {
    PGHOST: url.hostname,
    PGPORT: url.port,
    PGUSER: decodeURIComponent(url.username),
    PGPASSWORD: decodeURIComponent(url.password),
    PGDATABASE: url.pathname.slice(1),
  };
  const psql = new Deno.Command("psql", {
    args: [
      "-v",
      "ON_ERROR_STOP=1",
      "-qc",
      "create extension if not exists pgtap with schema extensions",
    ],
    env,
    stdout: "piped",
    stderr: "piped",
  });
  const created = await psql.output();
  if (!created.success) {
    throw new Error(`Cannot create pgtap: ${new TextDecoder().decode(created.stderr)}`);
  }
  const results: TapFileResult[] = [];
  for (const file of files) {
    const output = await new Deno.Command("pg_prove", {
      args: ["--verbose", "--failures", relative(repoRoot, file)],
      env,
      cwd: repoRoot,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const tap = new TextDecoder().decode(output.stdout);
    const errors = new TextDecoder().decode(output.stderr);
    console.log(tap.trimEnd());
    if (errors.trim()) console.error(errors.trimEnd());
    results.push(summarizeTap(relative(repoRoot, file), tap, output.success));
  }
  return results;
}

/** The pgTAP files to run for `deno test`-style arguments (none: all of them). */
export function pgTapFilesFor(args: readonly string[]): string[] {
  const all = sqlFilesIn(databaseTestsDir);
  if (args.length === 0) return all;
  return all.filter((file) =>
    args.some((arg) =>
      file === join(repoRoot, arg) || file.startsWith(join(repoRoot, arg) + "/") ||
      join(repoRoot, arg) === databaseTestsDir.replace(/\/$/, "")
    )
  );
}
