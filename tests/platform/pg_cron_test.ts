/** pg_cron is preloaded and schedules jobs idempotently by name, as migrations will rely on. */
import assert from "node:assert/strict";
import { connectAsSuperuser } from "../support/stack.ts";

Deno.test("pg_cron schedules a named job once and unschedules it", async () => {
  const sql = connectAsSuperuser(1);
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
