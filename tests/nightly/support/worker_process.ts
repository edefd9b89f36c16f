/**
 * A nightly worker in a process of its own, for the test that kills one
 * mid-job: `deno run -A worker_process.ts <db url> <now ISO> <worker name>`.
 * Runs one tick with one lane and a one-minute visibility timeout.
 */
import postgres from "postgres";
import { runTick } from "../../../shared/nightly/invocation.ts";
import { testSettings } from "./organizations.ts";

const [dbUrl, nowIso, worker] = Deno.args;
if (!dbUrl || !nowIso || !worker) {
  console.error("usage: worker_process.ts <db url> <now ISO> <worker name>");
  Deno.exit(2);
}
const sql = postgres(dbUrl, {
  max: 2,
  onnotice: () => {},
  connection: { application_name: worker },
});
await runTick({
  sql,
  settings: testSettings({ NIGHTLY_CONCURRENCY: 1, NIGHTLY_VISIBILITY_TIMEOUT: 60_000 }),
  clock: { now: () => Date.parse(nowIso) },
  worker,
});
await sql.end();
