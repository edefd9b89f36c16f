/**
 * Retention: every table the project writes as a log or history has a stated
 * retention (`cache_admin.history_retention`) and a daily prune
 * (`cache_admin.prune_history`, pg_cron job nightshift-prune-history) that
 * deletes what is older and keeps the rest — and keeps what is still needed
 * whatever its age (each organization's latest nightly job, runs with a notice
 * still to deliver, other jobs' cron history).
 */
import assert from "node:assert/strict";
import type { TransactionSql } from "postgres";
import { rolledBack } from "../domain/support/rolled_back.ts";
import { createOrganizations } from "../nightly/support/organizations.ts";
import { connectAsSuperuser } from "../support/stack.ts";

const NOW = new Date("2031-06-01T12:00:00Z");
const daysAgo = (days: number) => new Date(NOW.getTime() - days * 86_400_000);

const HISTORIES = [
  "cache.counters",
  "cache.invalidation_audit",
  "cache_admin.confirmation_tokens",
  "cache_admin.maintenance_log",
  "cron.job_run_details",
  "nightly.organization_runs",
  "nightly.runs",
  "nightly.webhook_outbox",
];

async function prune(tx: TransactionSql): Promise<Record<string, number>> {
  const rows = await tx<{ history: string; deleted: number }[]>`
    select history, deleted::int from cache_admin.prune_history(${NOW})`;
  return Object.fromEntries(rows.map((row) => [row.history, row.deleted]));
}

Deno.test("every history table has a stated retention and a daily prune job", async () => {
  const sql = connectAsSuperuser(1);
  try {
    const stated = await sql<{ history: string; keep: string }[]>`
      select history, keep::text from cache_admin.history_retention order by history`;
    assert.deepEqual(stated.map((row) => row.history), HISTORIES);
    const [job] = await sql<{ schedule: string; command: string }[]>`
      select schedule, command from cron.job where jobname = 'nightshift-prune-history'`;
    assert.equal(job?.schedule, "41 3 * * *");
    assert.equal(job?.command, "select * from cache_admin.prune_history()");
  } finally {
    await sql.end();
  }
});

Deno.test("cache_admin.prune_history deletes what is past retention and nothing else", async (t) => {
  const sql = connectAsSuperuser(1);
  try {
    await t.step("cron run details of our jobs, not of others", async () => {
      await rolledBack(sql, async (tx) => {
        const [ours] = await tx<{ jobid: number }[]>`
          select jobid from cron.job where jobname = 'nightshift-nightly-tick'`;
        const [theirs] = await tx<{ jobid: number }[]>`
          select cron.schedule('someone-elses-job', '0 0 * * *', 'select 1') as jobid`;
        // Our jobs may have run during the test stack's life too: follow these rows by runid.
        const runs: Record<string, number> = {};
        for (
          const [name, jobid, days] of [
            ["old", ours!.jobid, 8],
            ["recent", ours!.jobid, 6],
            ["theirs", theirs!.jobid, 30],
          ] as const
        ) {
          const [run] = await tx<{ runid: number }[]>`
            insert into cron.job_run_details (jobid, job_pid, database, username, command, status,
              return_message, start_time, end_time)
            values (${jobid}, 1, 'postgres', 'postgres', 'select 1', 'succeeded', '1 row',
              ${daysAgo(days)}, ${daysAgo(days)})
            returning runid::int`;
          runs[name] = run!.runid;
        }
        const deleted = await prune(tx);
        assert.ok((deleted["cron.job_run_details"] ?? 0) >= 1);
        const left = await tx<{ runid: number }[]>`
          select runid::int from cron.job_run_details
           where runid in (${runs.old!}, ${runs.recent!}, ${runs.theirs!}) order by runid`;
        assert.deepEqual(left.map((row) => row.runid), [runs.recent, runs.theirs]);
        const [stale] = await tx<{ n: number }[]>`
          select count(*)::int as n from cron.job_run_details as d
            join cron.job as j using (jobid)
           where j.jobname like 'nightshift-%' and d.start_time < ${daysAgo(7)}`;
        assert.equal(stale!.n, 0);
      });
    });

    await t.step("maintenance log, invalidation audit, read stats, tokens", async () => {
      await rolledBack(sql, async (tx) => {
        const org = crypto.randomUUID();
        for (const days of [91, 89]) {
          await tx`
            insert into cache_admin.maintenance_log
              (organization_id, actor_role, action, duration_ms, started_at, created_at)
            values (${org}, 'service_role', 'cleanup_expired', 1, ${daysAgo(days)}, ${
            daysAgo(days)
          })`;
          await tx`
            insert into cache.invalidation_audit
              (organization_id, actor_role, mode, bumped, created_at)
            values (${org}, 'service_role', 'expire', '{}', ${daysAgo(days)})`;
          await tx`
            insert into cache.counters (organization_id, dataset, bucket_start, hits)
            values (${org}, 'price-alerts', ${daysAgo(days)}, 1)`;
        }
        for (const [days, used] of [[2, true], [2, false], [0.5, true]] as const) {
          const hash = crypto.getRandomValues(new Uint8Array(32));
          await tx`
            insert into cache_admin.confirmation_tokens
              (token_hash, action, organization_id, actor_role, created_at, expires_at, used_at)
            values (${hash}, 'emergency_clear', ${org}, 'service_role',
              ${new Date(daysAgo(days).getTime() - 300_000)}, ${daysAgo(days)},
              ${used ? daysAgo(days) : null})`;
        }
        const deleted = await prune(tx);
        const remaining = async (table: string, column: string) =>
          (await tx.unsafe(
            `select count(*)::int as n from ${table} where organization_id = $1 and ${column} < $2`,
            [org, daysAgo(90)],
          ))[0]!.n as number;
        assert.equal(await remaining("cache_admin.maintenance_log", "started_at"), 0);
        assert.equal(await remaining("cache.invalidation_audit", "created_at"), 0);
        assert.equal(await remaining("cache.counters", "bucket_start"), 0);
        const [kept] = await tx<
          { logs: number; audits: number; counters: number; tokens: number }[]
        >`
          select
            (select count(*)::int from cache_admin.maintenance_log where organization_id = ${org}) as logs,
            (select count(*)::int from cache.invalidation_audit where organization_id = ${org}) as audits,
            (select count(*)::int from cache.counters where organization_id = ${org}) as counters,
            (select count(*)::int from cache_admin.confirmation_tokens where organization_id = ${org}) as tokens`;
        assert.deepEqual({ ...kept }, { logs: 1, audits: 1, counters: 1, tokens: 1 });
        assert.ok(deleted["cache_admin.confirmation_tokens"]! >= 2);
      });
    });

    await t.step("nightly runs: old ones go, each organization's latest job stays", async () => {
      await rolledBack(sql, async (tx) => {
        const [org] = await createOrganizations(tx, [{}]);
        const run = async (days: number) => {
          const [row] = await tx<{ id: string }[]>`
            insert into nightly.runs (status, ticked_at, deadline_at, started_at, finished_at,
              job_count, pending_count, refreshed_count)
            values ('completed', ${daysAgo(days)}, ${daysAgo(days)}, ${daysAgo(days)},
              ${daysAgo(days)}, 1, 0, 1)
            returning id`;
          await tx`
            insert into nightly.organization_runs (run_id, organization_id, local_date, time_zone,
              status, enqueued_at, visible_at, finished_at)
            values (${row!.id}, ${org!.id}, ${daysAgo(days).toISOString().slice(0, 10)},
              'Europe/Copenhagen', 'refreshed', ${daysAgo(days)}, ${daysAgo(days)}, ${
            daysAgo(days)
          })`;
          return row!.id;
        };
        const ancient = await run(200);
        const withNotice = await run(150);
        await tx`
          select nightly.enqueue_notice('run_summary', ${withNotice}, null, '{}',
            ${`retention-test:${withNotice}`}, ${daysAgo(150)})`;
        const delivered = await run(120);
        await tx`
          insert into nightly.webhook_outbox (kind, run_id, event, dedupe_key, status,
            next_attempt_at, created_at, delivered_at)
          values ('run_summary', ${delivered}, '{}', ${`retention-test:${delivered}`}, 'delivered',
            ${daysAgo(120)}, ${daysAgo(120)}, ${daysAgo(100)})`;
        const latestButOld = await run(95);
        await prune(tx);
        const runs = await tx<{ id: string }[]>`
          select id::text from nightly.runs where id in ${
          tx([ancient, withNotice, delivered, latestButOld])
        }`;
        assert.deepEqual(
          new Set(runs.map((row) => row.id)),
          new Set([withNotice, latestButOld]),
          "kept: the run whose notice is pending, the run of the organization's latest job",
        );
        const [outbox] = await tx<{ n: number }[]>`
          select count(*)::int as n from nightly.webhook_outbox
           where dedupe_key like 'retention-test:%'`;
        assert.equal(outbox!.n, 1, "the delivered notice went, the pending one stays");
      });
    });
  } finally {
    await sql.end();
  }
});
