/**
 * CI gates with the real Supabase CLI (supabase@2.117.0, toolchain/package.json)
 * against the stack under test, connected as `postgres` as on hosted:
 * `supabase db advisors` (Supabase's splinter lints) has no WARN or ERROR, and
 * `supabase db lint` (plpgsql_check) has no warning.
 */
import assert from "node:assert/strict";
import { cliDbUrl, runSupabaseCli } from "../../local-stack/migrations.ts";
import { testStack } from "../support/stack.ts";

interface AdvisorIssue {
  readonly name: string;
  readonly level: "INFO" | "WARN" | "ERROR";
  readonly detail: string;
}

Deno.test("supabase db advisors reports no WARN or ERROR", async () => {
  const output = await runSupabaseCli([
    "db",
    "advisors",
    "--db-url",
    cliDbUrl(testStack.dbUrl),
    "--level",
    "info",
    "--output",
    "json",
  ]);
  const jsonStart = output.indexOf("[");
  const issues: AdvisorIssue[] = jsonStart < 0 ? [] : JSON.parse(output.slice(jsonStart));
  const blocking = issues.filter((issue) => issue.level !== "INFO");
  assert.deepEqual(blocking.map((issue) => `${issue.level} ${issue.name}: ${issue.detail}`), []);
  console.log(`advisors: ${issues.length} INFO, 0 WARN, 0 ERROR`);
});

Deno.test("supabase db lint reports no warning", async () => {
  const output = await runSupabaseCli([
    "db",
    "lint",
    "--db-url",
    cliDbUrl(testStack.dbUrl),
    "--level",
    "warning",
    "--fail-on",
    "warning",
  ]);
  assert.doesNotMatch(output, /"level"/, output);
});
