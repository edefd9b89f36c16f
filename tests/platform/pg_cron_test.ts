/**
 * pg_cron (Debian postgresql-15-cron, citusdata/pg_cron 1.4) is preloaded and `postgres`
 * schedules jobs idempotently by name, as migrations rely on; the grants follow supabase/postgres
 * `ansible/files/postgresql_extension_custom_scripts/pg_cron/after-create.sql` (see
 * local-stack/bootstrap/02_event_triggers.sql for the one difference pg_cron 1.4 forces).
 */
import assert from "node:assert/strict";
import { connectAsPostgres } from "../support/stack.ts";

Deno.test("pg_cron schedules a named job once and unschedules it", async () => {
  const sql = connectAsPostgres(1);
  const name = `test-job-${crypto.randomUUID()}`;
  try {
    await sql`select cron.schedule(${name}, '*/5 * * * *', 'select 1')`;
    await sql`select cron.schedule(${name}, '*/10 * * * *', 'select 2')`;
    const jobs = await sql<{ schedule: string; command: string }[]>`
      select schedule, command from cron.job where jobname = ${name}`;
    assert.deepEqual(jobs.map((j) => ({ ...j })), [{
      schedule: "*/10 * * * *",
      command: "select 2",
    }]);
    await sql`select cron.unschedule(${name})`;
    const [left] = await sql<{ count: number }[]>`
      select count(*)::int as count from cron.job where jobname = ${name}`;
    assert.equal(left!.count, 0);
  } finally {
    await sql`select cron.unschedule(jobid) from cron.job where jobname = ${name}`;
    await sql.end();
  }
});
