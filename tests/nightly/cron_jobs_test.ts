/**
 * Scheduling on the database side: the pg_cron jobs registered idempotently,
 * the request they make through pg_net with the URL and cron secret from
 * Vault, and the helpers that (re)configure Vault.
 */
import assert from "node:assert/strict";
import { rolledBack } from "../domain/support/rolled_back.ts";
import { connectAsSuperuser } from "../support/stack.ts";

interface Job {
  jobname: string;
  schedule: string;
  command: string;
  active: boolean;
  username: string;
}

const JOB_NAMES = [
  "nightshift-nightly-notices",
  "nightshift-nightly-overdue-check",
  "nightshift-nightly-tick",
];

Deno.test("nightly.schedule_jobs registers one job of each name, however often it runs", async () => {
  const sql = connectAsSuperuser(1);
  const jobs = () =>
    sql<Job[]>`
      select jobname, schedule, command, active, username from cron.job
       where jobname like 'nightshift-nightly-%' order by jobname`;
  const original = await jobs();
  try {
    assert.deepEqual(
      original.map((job) => job.jobname),
      JOB_NAMES,
      "the migrations registered all three",
    );
    await sql`select nightly.schedule_jobs()`;
    await sql`select nightly.schedule_jobs('*/10 * * * *', '5 * * * *')`;
    await sql`select nightly.schedule_jobs('*/10 * * * *', '5 * * * *')`;
    const after = await jobs();
    assert.deepEqual(
      after.map(({ jobname, schedule, command, username }) => ({
        jobname,
        schedule,
        command,
        username,
      })),
      [
        {
          jobname: "nightshift-nightly-notices",
          schedule: "* * * * *",
          command: "select nightly.request_notice_delivery()",
          username: "postgres",
        },
        {
          jobname: "nightshift-nightly-overdue-check",
          schedule: "5 * * * *",
          command: "select nightly.request_invocation('overdue-check')",
          username: "postgres",
        },
        {
          jobname: "nightshift-nightly-tick",
          schedule: "*/10 * * * *",
          command: "select nightly.request_invocation('tick')",
          username: "postgres",
        },
      ],
    );
  } finally {
    for (const job of original) {
      await sql`select cron.schedule(${job.jobname}, ${job.schedule}, ${job.command})`;
      await sql`
        select cron.alter_job(jobid, active := ${job.active}) from cron.job
         where jobname = ${job.jobname}`;
    }
    await sql.end();
  }
});

Deno.test("nightly.request_invocation posts the task with the Vault URL, secret and a timeout", async (t) => {
  const sql = connectAsSuperuser(1);
  try {
    await t.step("the request pg_net will send after commit", async () => {
      await rolledBack(sql, async (tx) => {
        await tx`select nightly.configure_vault('https://abcdefgh.supabase.co/', ${
          "s".repeat(40)
        })`;
        await tx`select nightly.request_invocation('overdue-check')`;
        const [request] = await tx<
          {
            method: string;
            url: string;
            headers: Record<string, string>;
            body: string;
            timeout_milliseconds: number;
          }[]
        >`
          select method, url, headers, convert_from(body, 'utf8') as body, timeout_milliseconds
            from net.http_request_queue order by id desc limit 1`;
        assert.deepEqual({ ...request, body: JSON.parse(request!.body) }, {
          method: "POST",
          url: "https://abcdefgh.supabase.co/functions/v1/nightly-refresh",
          headers: {
            "Content-Type": "application/json",
            Authorization: `Bearer ${"s".repeat(40)}`,
          },
          body: { task: "overdue-check" },
          timeout_milliseconds: 120_000,
        });
      });
    });

    await t.step("without the Vault entries it fails, saying how to set them", async () => {
      await rolledBack(sql, async (tx) => {
        await tx`delete from vault.secrets where name like 'nightshift_%'`;
        await assert.rejects(
          tx`select nightly.request_invocation('tick')`,
          (error: Error & { code?: string }) =>
            error.code === "55000" && /nightly\.configure_vault/.test(error.message),
        );
      });
    });

    await t.step("an unknown task is refused", async () => {
      await assert.rejects(
        sql`select nightly.request_invocation('rebuild-everything')`,
        /Invalid task: expected tick, overdue-check or deliver-notices/,
      );
    });
  } finally {
    await sql.end();
  }
});

Deno.test("nightly.configure_vault and configure_webhook keep one entry per name", async (t) => {
  const sql = connectAsSuperuser(1);
  const entries = (tx: typeof sql) =>
    tx<{ name: string; secret: string }[]>`
      select name, decrypted_secret as secret from vault.decrypted_secrets
       where name like 'nightshift_%' order by name`;
  try {
    await t.step("reconfiguring replaces the values", async () => {
      await rolledBack(sql, async (tx) => {
        await tx`select nightly.configure_vault('https://one.supabase.co', ${"1".repeat(32)})`;
        await tx`select nightly.configure_vault('https://two.supabase.co', ${"2".repeat(32)})`;
        await tx`select nightly.configure_webhook('https://hooks.slack.com/services/T/B/X')`;
        assert.deepEqual((await entries(tx as unknown as typeof sql)).map((e) => ({ ...e })), [
          { name: "nightshift_nightly_cron_secret", secret: "2".repeat(32) },
          {
            name: "nightshift_nightly_webhook_url",
            secret: "https://hooks.slack.com/services/T/B/X",
          },
          { name: "nightshift_project_url", secret: "https://two.supabase.co" },
        ]);
        await tx`select nightly.configure_webhook(null)`;
        assert.equal(
          (await entries(tx as unknown as typeof sql)).some((e) =>
            e.name === "nightshift_nightly_webhook_url"
          ),
          false,
        );
      });
    });

    await t.step("bad values are refused", async () => {
      await assert.rejects(
        sql`select nightly.configure_vault('https://x.supabase.co/functions/v1', ${
          "s".repeat(40)
        })`,
        /Invalid project URL/,
      );
      await assert.rejects(
        sql`select nightly.configure_vault('https://x.supabase.co', 'short')`,
        /Invalid cron secret: expected at least 32 characters/,
      );
      await assert.rejects(
        sql`select nightly.configure_webhook('ftp://example.com/hook')`,
        /Invalid webhook URL/,
      );
    });

    await t.step("API roles cannot call them", async () => {
      for (const role of ["anon", "authenticated", "service_role"]) {
        await rolledBack(sql, async (tx) => {
          await tx.unsafe(`set local role ${role}`);
          await assert.rejects(
            tx`select nightly.configure_vault('https://x.supabase.co', ${"s".repeat(40)})`,
            /permission denied/,
            role,
          );
        });
        await rolledBack(sql, async (tx) => {
          await tx.unsafe(`set local role ${role}`);
          await assert.rejects(tx`select nightly.request_invocation('tick')`, /permission denied/);
        });
      }
    });
  } finally {
    await sql.end();
  }
});
