/**
 * When things go wrong: an organization failing validation (the others commit,
 * it is retried with backoff and ends failed, named in the notices), a worker
 * killed mid-job (nothing lost, nothing done twice), a run past its deadline
 * (the rest reported deferred, then finished), and a busy database (work deferred).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { FakeClock } from "../../shared/util/clock.ts";
import { measureDatabaseLoad } from "../../shared/nightly/database_load.ts";
import { runTick } from "../../shared/nightly/invocation.ts";
import { HttpReceiver } from "../support/http_receiver.ts";
import { pollUntil } from "../support/poll.ts";
import { connectAsSuperuser, testStack } from "../support/stack.ts";
import {
  broadcastsTo,
  jobsOf,
  onlyJobOf,
  requestsMentioning,
  TICK_AT,
  withOrganizations,
} from "./support/harness.ts";
import { testSettings } from "./support/organizations.ts";

const MINUTE = 60_000;

/** A trigger that corrupts one organization's dashboard rows, as a compute bug would. */
async function corruptDashboardOf(sql: ReturnType<typeof connectAsSuperuser>, id: string) {
  const name = `nightly_test_corrupt_${id.replaceAll("-", "")}`;
  await sql.unsafe(`
    create function public.${name}() returns trigger language plpgsql set search_path = '' as $$
    begin new.spend_last_30_days := -1; return new; end $$;
    create trigger ${name} before insert on analytics.dashboard_metrics
      for each row when (new.organization_id = '${id}') execute function public.${name}();`);
  return () => sql.unsafe(`drop function public.${name}() cascade`);
}

Deno.test("one organization failing validation: the others commit, it retries then fails, the run is partial", async () => {
  const receiver = new HttpReceiver();
  try {
    await withOrganizations([{}, {}, {}], async ([good1, bad, good2], sql) => {
      const restore = await corruptDashboardOf(sql, bad!.id);
      try {
        const clock = new FakeClock(TICK_AT);
        const settings = testSettings({ NIGHTLY_WEBHOOK_URL: receiver.url });
        const first = await runTick({ sql, settings, clock });
        assert.ok(first.processed.retrying >= 1);

        for (const good of [good1!, good2!]) {
          assert.equal((await onlyJobOf(sql, good)).status, "refreshed");
        }
        let job = await onlyJobOf(sql, bad!);
        assert.equal(job.status, "queued");
        assert.equal(job.attempts, 1);
        assert.match(job.last_error ?? "", /negative or NaN figures: dashboard-metrics/);
        // The failed attempt left nothing behind: no rebuild, log row or broadcast.
        const [state] = await sql<{ rebuilt: Date | null }[]>`
          select last_rebuilt_at as rebuilt from analytics.organization_state
           where organization_id = ${bad!.id}`;
        assert.equal(state!.rebuilt, null);
        assert.equal((await broadcastsTo(sql, bad!)).length, 0);
        const logged = await sql`
          select 1 from public.cache_invalidation_log where organization_id = ${bad!.id}`;
        assert.equal(logged.length, 0);

        // Backoff: 1, 2, 4 minutes (+-25 %) after attempts 1, 2, 3; attempt 4 is the last.
        for (const [attempt, baseMinutes] of [[1, 1], [2, 2], [3, 4]] as const) {
          job = await onlyJobOf(sql, bad!);
          assert.equal(job.attempts, attempt);
          const delay = job.visible_at.getTime() - clock.now();
          assert.ok(
            delay >= 0.75 * baseMinutes * MINUTE && delay <= 1.25 * baseMinutes * MINUTE,
            `attempt ${attempt}: retry in ${delay} ms`,
          );
          const early = await runTick({ sql, settings, clock });
          assert.equal(early.processed.retrying + early.processed.failed, 0, "not before its time");
          clock.advance(delay + 1);
          await runTick({ sql, settings, clock });
        }
        job = await onlyJobOf(sql, bad!);
        assert.equal(job.status, "failed");
        assert.equal(job.attempts, 4);

        const [run] = await sql<
          { status: string; failed_count: number; refreshed_count: number }[]
        >`
          select status, failed_count, refreshed_count from nightly.runs where id = ${job.run_id}`;
        assert.equal(run!.status, "partial");
        assert.equal(run!.failed_count, 1);
        assert.ok(run!.refreshed_count >= 2);

        const [failure] = requestsMentioning(receiver.requests, bad!.id).filter((body) =>
          body.text.startsWith("Nightly refresh failed for")
        );
        assert.ok(failure, "an error notice for the organization");
        assert.equal(
          failure.text,
          `Nightly refresh failed for ${bad!.name} after 4 attempts: Rebuilt datasets hold ` +
            "negative or NaN figures: dashboard-metrics",
        );
        const [summary] = requestsMentioning(receiver.requests, job.run_id).filter((body) =>
          body.text.startsWith("Nightly refresh partially failed")
        );
        assert.match(summary!.text, /^Nightly refresh partially failed: \d+ refreshed, .*1 failed/);
        assert.match(
          JSON.stringify(summary!.blocks),
          new RegExp(`Failed organizations.*${bad!.name}`),
        );
      } finally {
        await restore();
      }
    });
  } finally {
    await receiver.close();
  }
});

Deno.test("a worker killed mid-job: its job is claimed again after the visibility timeout and done once", async () => {
  await withOrganizations([{}], async ([organization], sql) => {
    const worker = `nightly-kill-test-${crypto.randomUUID().slice(0, 8)}`;
    // Hold the organization's state row so the worker blocks inside its rebuild.
    const blocker = connectAsSuperuser(1);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const locked = Promise.withResolvers<void>();
    const blocking = blocker.begin(async (tx) => {
      await tx`select 1 from analytics.organization_state
                where organization_id = ${organization!.id} for update`;
      locked.resolve();
      await held;
    });
    await locked.promise;
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        "--no-prompt",
        join(import.meta.dirname!, "support", "worker_process.ts"),
        testStack.dbUrl,
        new Date(TICK_AT).toISOString(),
        worker,
      ],
      stdout: "null",
      stderr: "inherit",
    }).spawn();
    try {
      await pollUntil("the worker to wait on the organization's lock", async () => {
        const [row] = await sql<{ waiting: number }[]>`
          select count(*)::int as waiting from pg_stat_activity
           where application_name = ${worker} and wait_event_type = 'Lock'`;
        return row!.waiting > 0 ? true : undefined;
      }, 30_000);
      child.kill("SIGKILL");
      await child.status;
      // The orphaned backend notices its client is gone and rolls back, lock wait or not.
      await pollUntil("the killed worker's backend to end", async () => {
        const rows = await sql`select 1 from pg_stat_activity where application_name = ${worker}`;
        return rows.length === 0 ? true : undefined;
      }, 10_000);
    } finally {
      release();
      await blocking;
      await blocker.end();
    }

    let job = await onlyJobOf(sql, organization!);
    assert.equal(job.status, "running", "claimed by the killed worker");
    assert.equal(job.claimed_by, worker);
    assert.equal(job.attempts, 1);
    assert.equal(job.visible_at.getTime(), TICK_AT + MINUTE);

    const settings = testSettings({ NIGHTLY_VISIBILITY_TIMEOUT: MINUTE });
    const clock = new FakeClock(TICK_AT + 30_000);
    await runTick({ sql, settings, clock });
    job = await onlyJobOf(sql, organization!);
    assert.equal(job.status, "running", "still hidden until the visibility timeout passes");

    clock.advance(MINUTE);
    await runTick({ sql, settings, clock });
    job = await onlyJobOf(sql, organization!);
    assert.equal(job.status, "refreshed");
    assert.equal(job.attempts, 2);
    assert.equal((await broadcastsTo(sql, organization!)).length, 1, "rebuilt exactly once");
    const [run] = await sql<
      { status: string }[]
    >`select status from nightly.runs where id = ${job.run_id}`;
    assert.equal(run!.status, "completed");
  });
});

Deno.test("past the run's deadline the unfinished jobs are reported deferred and finished by a continuation run", async () => {
  const receiver = new HttpReceiver();
  try {
    await withOrganizations([{}, {}], async (organizations, sql) => {
      const clock = new FakeClock(TICK_AT);
      const busy = testSettings({
        NIGHTLY_WEBHOOK_URL: receiver.url,
        NIGHTLY_SKIP_IF_HIGH_LOAD: 0,
      });
      const first = await runTick({ sql, settings: busy, clock });
      assert.equal(first.stopped_because, "high_load", "a threshold of 0 always defers the work");
      assert.deepEqual((await jobsOf(sql, organizations)).map((j) => j.status), [
        "queued",
        "queued",
      ]);
      const runId = first.enqueued!.run_id;

      clock.advance(31 * MINUTE);
      const second = await runTick({ sql, settings: busy, clock });
      assert.ok(second.deferred_past_deadline >= 2);
      const [timedOut] = await sql<
        { status: string; deferred_count: number; pending_count: number; finished: boolean }[]
      >`
        select status, deferred_count, pending_count, finished_at is not null as finished
          from nightly.runs where id = ${runId}`;
      assert.deepEqual({ ...timedOut }, {
        status: "timed_out",
        deferred_count: first.enqueued!.job_count,
        pending_count: 0,
        finished: true,
      });
      const jobs = await jobsOf(sql, organizations);
      const [continuation] = await sql<{ id: string; status: string }[]>`
        select id, status from nightly.runs where continues_run_id = ${runId}`;
      assert.equal(continuation!.status, "running");
      assert.ok(jobs.every((j) => j.run_id === continuation!.id && j.deferrals === 1));

      clock.advance(MINUTE);
      await runTick({ sql, settings: testSettings({ NIGHTLY_WEBHOOK_URL: receiver.url }), clock });
      assert.ok((await jobsOf(sql, organizations)).every((j) => j.status === "refreshed"));
      const [finished] = await sql<{ status: string }[]>`
        select status from nightly.runs where id = ${continuation!.id}`;
      assert.equal(finished!.status, "completed");

      const [timeoutNotice] = requestsMentioning(receiver.requests, runId).filter((body) =>
        body.text.startsWith("Nightly refresh timed out")
      );
      assert.ok(timeoutNotice, "an error notice for the timed-out run");
      assert.match(timeoutNotice.text, /0 refreshed, 0 skipped, \d+ deferred, 0 failed/);
      assert.match(JSON.stringify(timeoutNotice.blocks), /Deferred past the deadline/);
      if (first.enqueued!.job_count <= 20) { // the notice names up to 20
        for (const organization of organizations) {
          assert.ok(JSON.stringify(timeoutNotice.blocks).includes(organization.name));
        }
      }
      assert.ok(
        requestsMentioning(receiver.requests, continuation!.id).some((body) =>
          body.text.startsWith("Nightly refresh completed")
        ),
      );
    });
  } finally {
    await receiver.close();
  }
});

Deno.test("measureDatabaseLoad counts connections holding work, not idle ones", async () => {
  const sql = connectAsSuperuser(1);
  const others = [connectAsSuperuser(1), connectAsSuperuser(1), connectAsSuperuser(1)];
  try {
    await Promise.all(others.map((other) => other`select 1`)); // open, then idle
    const idle = await measureDatabaseLoad(sql);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const opened = others.map(() => Promise.withResolvers<void>());
    const transactions = others.map((other, index) =>
      other.begin(async (tx) => {
        await tx`select 1`;
        opened[index]!.resolve();
        await held;
      })
    );
    await Promise.all(opened.map((o) => o.promise));
    const busy = await measureDatabaseLoad(sql);
    release();
    await Promise.all(transactions);

    const [settings] = await sql<{ usable: number }[]>`
      select current_setting('max_connections')::int
        - current_setting('superuser_reserved_connections')::int as usable`;
    assert.equal(busy.usableConnections, settings!.usable);
    assert.ok(busy.busyConnections - idle.busyConnections >= 3, JSON.stringify({ idle, busy }));
    assert.equal(busy.ratio, busy.busyConnections / busy.usableConnections);
  } finally {
    await Promise.all([sql, ...others].map((s) => s.end()));
  }
});

Deno.test("an organization deleted while its job waits no longer holds up its run", async () => {
  await withOrganizations([{}, {}], async ([kept, deleted], sql) => {
    const clock = new FakeClock(TICK_AT);
    const first = await runTick({
      sql,
      settings: testSettings({ NIGHTLY_SKIP_IF_HIGH_LOAD: 0 }),
      clock,
    });
    const runId = first.enqueued!.run_id;
    await sql`delete from public.organizations where id = ${deleted!.id}`;
    const [counted] = await sql<{ job_count: number; pending_count: number }[]>`
      select job_count, pending_count from nightly.runs where id = ${runId}`;
    assert.equal(counted!.job_count, first.enqueued!.job_count - 1);
    assert.equal(counted!.pending_count, counted!.job_count);

    await runTick({ sql, settings: testSettings(), clock });
    assert.equal((await onlyJobOf(sql, kept!)).status, "refreshed");
    const [run] = await sql<{ status: string; refreshed_count: number }[]>`
      select status, refreshed_count from nightly.runs where id = ${runId}`;
    assert.equal(run!.status, "completed");
  });
});
