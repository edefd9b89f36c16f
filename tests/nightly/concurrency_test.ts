/**
 * Several invocations at once (as when ticks overlap, or a chained invocation
 * meets the next tick): every organization is enqueued once and rebuilt once.
 */
import assert from "node:assert/strict";
import { FakeClock } from "../../shared/util/clock.ts";
import { runTick, type TickReport } from "../../shared/nightly/invocation.ts";
import { enqueueDueOrganizations } from "../../shared/nightly/queue.ts";
import type { TransactionSql } from "postgres";
import { rolledBack } from "../domain/support/rolled_back.ts";
import { asActor } from "../support/as_role.ts";
import { pollUntil } from "../support/poll.ts";
import { connectAsPlatformAdmin, connectAsSuperuser } from "../support/stack.ts";
import {
  broadcastsTo,
  jobsOf,
  listenForUpdates,
  TICK_AT,
  withOrganizations,
} from "./support/harness.ts";
import { createOrganizations, testSettings } from "./support/organizations.ts";

Deno.test("ticks at the same moment enqueue each organization once, under one run", async () => {
  await withOrganizations([{}, {}, {}, {}], async (organizations, sql) => {
    const pools = Array.from({ length: 4 }, () => connectAsSuperuser(1));
    try {
      const runs = await Promise.all(
        pools.map((pool) => enqueueDueOrganizations(pool, new Date(TICK_AT), testSettings())),
      );
      const created = runs.filter((run) => run !== null);
      assert.equal(created.length, 1, "exactly one tick found the organizations due");
      const jobs = await jobsOf(sql, organizations);
      assert.equal(jobs.length, organizations.length);
      assert.ok(jobs.every((job) => job.run_id === created[0]!.run_id));
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
    }
  });
});

Deno.test("two invocations at once rebuild each organization exactly once", async () => {
  const organizationCount = 12;
  await withOrganizations(
    Array.from({ length: organizationCount }, () => ({})),
    async (organizations, sql) => {
      const listener = await listenForUpdates(sql);
      const pools = [connectAsSuperuser(3), connectAsSuperuser(3)];
      let reports: TickReport[];
      try {
        reports = await Promise.all(pools.map((pool, index) =>
          runTick({
            sql: pool,
            settings: testSettings({ NIGHTLY_CONCURRENCY: 2 }),
            clock: new FakeClock(TICK_AT),
            worker: `concurrent-${index}`,
          })
        ));
      } finally {
        await Promise.all(pools.map((pool) => pool.end()));
      }
      const jobs = await jobsOf(sql, organizations);
      assert.equal(jobs.length, organizationCount);
      assert.ok(jobs.every((job) => job.status === "refreshed" && job.attempts === 1));
      for (const organization of organizations) {
        assert.equal((await broadcastsTo(sql, organization)).length, 1, organization.name);
      }
      const refreshed = reports.reduce((sum, report) => sum + report.processed.refreshed, 0);
      assert.ok(refreshed >= organizationCount);
      assert.equal(reports.reduce((sum, report) => sum + report.processed.lost, 0), 0);
      assert.ok(
        reports.every((report) => report.processed.refreshed > 0),
        `both invocations did work: ${reports.map((r) => r.processed.refreshed)}`,
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      const ids = new Set(organizations.map((o) => o.id));
      const notified = listener.payloads.filter((p) => ids.has(p.organization_id!));
      assert.equal(notified.length, organizationCount, "one nightly_update_complete each");
      await listener.stop();
    },
  );
});

Deno.test("a claim takes at most its limit, whatever plan the statistics lead to", async (t) => {
  // Faking planner statistics writes pg_class: only the platform's superuser may.
  const sql = connectAsPlatformAdmin(1);
  // A queue table is often nearly empty when it is analyzed. Statistics saying
  // "one row" make the planner rescan a locking subquery inside a nested loop;
  // each rescan skips the rows just locked and locks the next ones.
  const believeTinyTable = (tx: TransactionSql, table: string) =>
    tx.unsafe(`update pg_class set reltuples = 1, relpages = 1 where oid = '${table}'::regclass`);
  try {
    await t.step("jobs", async () => {
      await rolledBack(sql, async (tx) => {
        await createOrganizations(tx, [{}, {}, {}, {}, {}]);
        await tx`select * from nightly.enqueue_due_organizations(${new Date(TICK_AT)})`;
        await believeTinyTable(tx, "nightly.organization_runs");
        const claimed = await tx`
          select id from nightly.claim_organization_runs('one', 1, ${new Date(
          TICK_AT,
        )}, '1 minute')`;
        assert.equal(claimed.length, 1);
        const [running] = await tx<{ count: number }[]>`
          select count(*)::int as count from nightly.organization_runs where status = 'running'`;
        assert.equal(running!.count, 1);
      });
    });
    await t.step("notices", async () => {
      await rolledBack(sql, async (tx) => {
        for (const key of ["a", "b", "c"]) {
          await tx`select nightly.enqueue_notice('overdue_alert', null, null, '{}', ${`test:${key}`},
                                                 ${new Date(TICK_AT)})`;
        }
        await believeTinyTable(tx, "nightly.webhook_outbox");
        const claimed = await tx`select id from nightly.claim_next_notice(${new Date(
          TICK_AT,
        )}, '1 minute')`;
        assert.equal(claimed.length, 1);
        const [locked] = await tx<{ count: number }[]>`
          select count(*)::int as count from nightly.webhook_outbox where locked_until is not null`;
        assert.equal(locked!.count, 1);
      });
    });
  } finally {
    await sql.end();
  }
});

Deno.test("a worker whose claim expired and was taken over cannot finish the job", async () => {
  await withOrganizations([{}], async ([organization], sql) => {
    const settings = testSettings({ NIGHTLY_VISIBILITY_TIMEOUT: 60_000 });
    const now = new Date(TICK_AT);
    await enqueueDueOrganizations(sql, now, settings);
    const claim = (worker: string, at: Date) =>
      sql<{ id: string; claim_token: string }[]>`
        select id::text, claim_token from nightly.claim_organization_runs(
          ${worker}, 100, ${at}, '1 minute') where organization_id = ${organization!.id}`;
    const [slow] = await claim("slow", now);
    assert.equal((await claim("other", now)).length, 0, "hidden while claimed");
    const later = new Date(TICK_AT + 61_000);
    const [other] = await claim("other", later);
    assert.ok(other && other.claim_token !== slow!.claim_token);

    const [lost] = await sql<{ result: { outcome: string } }[]>`
      select nightly.process_organization_run(${slow!.id}, ${
      slow!.claim_token
    }, ${later}) as result`;
    assert.equal(lost!.result.outcome, "lost");
    assert.equal((await broadcastsTo(sql, organization!)).length, 0, "the slow worker did nothing");
    const [done] = await sql<{ result: { outcome: string } }[]>`
      select nightly.process_organization_run(${other.id}, ${other.claim_token}, ${later}) as result`;
    assert.equal(done!.result.outcome, "refreshed");
    assert.equal((await broadcastsTo(sql, organization!)).length, 1);
  });
});

Deno.test("a writer that already invalidated an organization and its nightly refresh never deadlock", async () => {
  // The writer's first statement expires live datasets (invalidation counter + tags of the
  // organization); meanwhile the refresh starts; then the writer writes a table the nightly
  // datasets read (refresh state). With one lock order (counter, state, tags) the refresh waits
  // for the writer instead of the two waiting on each other (40P01).
  await withOrganizations([{}], async ([organization], sql) => {
    await enqueueDueOrganizations(sql, new Date(TICK_AT), testSettings());
    const [job] = await sql<{ id: string; claim_token: string }[]>`
      select id::text, claim_token::text
      from nightly.claim_organization_runs('lock-order', 100, ${new Date(TICK_AT)}, '5 minutes')
      where organization_id = ${organization!.id}`;
    assert.ok(job, "the organization's job was claimed");
    const writerPool = connectAsSuperuser(1);
    const nightlyPool = connectAsSuperuser(1);
    let release!: () => void;
    const released = new Promise<void>((resolve) => release = resolve);
    let firstWriteDone!: () => void;
    const firstWrite = new Promise<void>((resolve) => firstWriteDone = resolve);
    try {
      const writer = asActor(writerPool, {
        role: "authenticated",
        userId: organization!.adminId,
      }, async (tx) => {
        await tx`update public.locations set name = 'Renamed' where id = ${
          organization!.locationId
        }`;
        firstWriteDone();
        await released;
        await tx`update public.invoices set due_date = invoice_date + 30
                 where organization_id = ${organization!.id}`;
      });
      await firstWrite;
      const refresh = nightlyPool<{ result: { outcome: string } }[]>`
        select nightly.process_organization_run(${job.id}::bigint, ${job.claim_token}::uuid,
          ${new Date(TICK_AT)}) as result`.execute(); // postgres.js queries start when awaited
      await pollUntil("the refresh waiting for the writer", async () => {
        const [row] = await sql<{ waiting: number }[]>`
          select count(*)::int as waiting from pg_stat_activity
          where wait_event_type = 'Lock' and query like '%process_organization_run%'
            and pid <> pg_backend_pid()`;
        return row!.waiting > 0 ? true : undefined;
      });
      release();
      await writer;
      const [row] = await refresh;
      assert.equal(row!.result.outcome, "refreshed");
    } finally {
      release();
      await Promise.all([writerPool.end(), nightlyPool.end()]);
    }
  });
});
