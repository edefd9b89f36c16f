/**
 * The whole chain on the local stack, nothing called directly: the real
 * pg_cron job fires (switched to every minute for this test, so the wait stays
 * under 90 s), pg_net posts to the function with the URL and secret from Vault,
 * and every due organization is rebuilt, logged, notified (LISTEN), broadcast
 * (realtime.messages) and announced (a webhook receiver gets the summary).
 */
import assert from "node:assert/strict";
import { invalidationNotice } from "../../shared/invalidation/invalidation_notice.ts";
import { HttpReceiver } from "../support/http_receiver.ts";
import { pollUntil } from "../support/poll.ts";
import {
  broadcastsTo,
  type JobRow,
  jobsOf,
  listenForUpdates,
  requestsMentioning,
  withOrganizations,
} from "./support/harness.ts";

Deno.test("pg_cron → pg_net → nightly-refresh: due organizations rebuilt, logged, notified, broadcast, announced", async () => {
  const receiver = new HttpReceiver();
  try {
    await withOrganizations([
      { timeZone: "Europe/Copenhagen" },
      { timeZone: "America/New_York" },
      { timeZone: "Asia/Tokyo" },
    ], async (organizations, sql) => {
      const listener = await listenForUpdates(sql);
      const [tick] = await sql<{ jobid: number; schedule: string; active: boolean }[]>`
        select jobid::int, schedule, active from cron.job where jobname = 'nightshift-nightly-tick'`;
      assert.ok(tick, "the migration registered the tick job");
      const [webhook] = await sql<{ url: string }[]>`
        select decrypted_secret as url from vault.decrypted_secrets
         where name = 'nightshift_nightly_webhook_url'`;
      const [started] = await sql<{ at: Date }[]>`select now() as at`;

      const [requests] = await sql<{ last: string }[]>`
        select coalesce(max(id), 0)::text as last from net._http_response`;
      let jobs: JobRow[];
      try {
        await sql`select nightly.configure_webhook(${receiver.url})`;
        await sql`select cron.alter_job(${tick.jobid}, schedule := '* * * * *', active := true)`;
        jobs = await pollUntil(
          "pg_cron's tick to refresh the organizations",
          async () => {
            const current = await jobsOf(sql, organizations);
            return current.length === organizations.length &&
                current.every((job) => job.status === "refreshed")
              ? current
              : undefined;
          },
          90_000,
          500,
        );
      } finally {
        await sql`
          select cron.alter_job(${tick.jobid}, schedule := ${tick.schedule}, active := ${tick.active})`;
        await sql`select nightly.configure_webhook(${webhook?.url ?? null})`;
        // A tick pg_cron started before the job was switched off must not outlive this test.
        await pollUntil(
          "the last invocation pg_cron started to answer",
          async () => {
            const [pending] = await sql<{ queued: number; started: number; answered: number }[]>`
            select (select count(*)::int from net.http_request_queue) as queued,
                   (select count(*)::int from cron.job_run_details
                     where jobid = ${tick.jobid} and start_time >= ${started!.at}) as started,
                   (select count(*)::int from net._http_response
                     where id > ${
              requests!.last
            }::bigint and content like '%"task":"tick"%') as answered`;
            return pending!.queued === 0 && pending!.answered >= pending!.started
              ? true
              : undefined;
          },
          30_000,
          250,
        );
      }

      // pg_cron ran the job, pg_net delivered the request and recorded the function's answer.
      const runs = await sql<{ status: string }[]>`
        select status from cron.job_run_details
         where jobid = ${tick.jobid} and start_time >= ${started!.at}`;
      assert.ok(runs.some((run) => run.status === "succeeded"), JSON.stringify(runs));
      const runId = jobs[0]!.run_id;
      assert.ok(jobs.every((job) => job.run_id === runId), "one run for the tick");
      const answer = await pollUntil("pg_net's record of the function's answer", async () => {
        const [row] = await sql<{ status_code: number; content: string }[]>`
          select status_code, content from net._http_response
           where content like ${`%${runId}%`}`;
        return row;
      });
      assert.equal(answer.status_code, 200);
      assert.equal(JSON.parse(answer.content).task, "tick");

      for (const organization of organizations) {
        const job = jobs.find((j) => j.organization_id === organization.id)!;
        const [due] = await sql<{ date: string }[]>`
          select nightly.due_local_date(${organization.timeZone}, ${
          started!.at
        }, '02:00')::text as date`;
        assert.equal(job.local_date, due!.date, organization.timeZone);
        const [log] = await sql<{ update_type: string }[]>`
          select update_type from public.cache_invalidation_log
           where organization_id = ${organization.id}`;
        assert.equal(log?.update_type, "nightly_refresh");
        const broadcasts = await broadcastsTo(sql, organization);
        assert.equal(broadcasts.length, 1);
        assert.equal(invalidationNotice.parse(broadcasts[0]!.payload).cause, "nightly");
      }
      await pollUntil("a nightly_update_complete notification per organization", () => {
        const notified = new Set(listener.payloads.map((payload) => payload.organization_id));
        return Promise.resolve(organizations.every((o) => notified.has(o.id)) ? true : undefined);
      });
      await listener.stop();

      const [summary] = await pollUntil("the webhook to receive the run's summary", () => {
        const found = requestsMentioning(receiver.requests, runId).filter((body) =>
          body.text.startsWith("Nightly refresh")
        );
        return Promise.resolve(found.length > 0 ? found : undefined);
      });
      assert.match(summary!.text, /^Nightly refresh completed: \d+ refreshed/);
    });
  } finally {
    await receiver.close();
  }
});
