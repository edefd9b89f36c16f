/**
 * The nightly refresh's entry points run without JIT and with an empty
 * search_path (20261130090000_nightly_rebuild_without_jit.sql): a later
 * CREATE OR REPLACE that forgets `set jit = off` makes each organization's
 * refresh pay JIT compilation again (tens of milliseconds per query).
 */
import assert from "node:assert/strict";
import { connectAsSuperuser } from "../support/stack.ts";

const ENTRY_POINTS = [
  "analytics.rebuild_organization(uuid,date)",
  "nightly.process_organization_run(bigint,uuid,timestamp with time zone,interval,integer," +
  "interval,numeric)",
  "nightly.significant_changes(jsonb,jsonb,numeric)",
  "nightly.validate_rebuild(uuid,date)",
];

Deno.test("nightly entry points: jit = off and search_path = '' on each", async () => {
  const sql = connectAsSuperuser(1);
  try {
    const rows = await sql<{ signature: string; config: string[] | null }[]>`
      select p.oid::regprocedure::text as signature, p.proconfig as config
      from pg_proc as p
      where p.oid = any(${ENTRY_POINTS}::regprocedure[])
      order by 1`;
    assert.deepEqual(rows.map((row) => row.signature), ENTRY_POINTS);
    for (const row of rows) {
      assert.deepEqual(
        [...(row.config ?? [])].sort(),
        ["jit=off", 'search_path=""'],
        row.signature,
      );
    }
  } finally {
    await sql.end();
  }
});
