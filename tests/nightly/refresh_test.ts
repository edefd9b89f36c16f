/**
 * A tick, in-process against the real database with fake time: every due
 * organization rebuilt in its own transaction together with its log row
 * (pg_notify), tag bumps, Realtime broadcast and result; the MIN_AGE rule;
 * significant changes carried to the summary notice.
 */
import assert from "node:assert/strict";
import { invalidationNotice } from "../../shared/invalidation/invalidation_notice.ts";
import { FakeClock } from "../../shared/util/clock.ts";
import { datasetsBySource } from "../../shared/datasets/registry.ts";
import { enqueueDueOrganizations } from "../../shared/nightly/queue.ts";
import { runTick } from "../../shared/nightly/invocation.ts";
import { asActor } from "../support/as_role.ts";
import { HttpReceiver } from "../support/http_receiver.ts";
import { pollUntil } from "../support/poll.ts";
import {
  broadcastsTo,
  jobsOf,
  listenForUpdates,
  NIGHT,
  onlyJobOf,
  requestsMentioning,
  TICK_AT,
  withOrganizations,
} from "./support/harness.ts";
import { addInvoice, testSettings } from "./support/organizations.ts";

const NIGHTLY_DATASETS = datasetsBySource("nightly");

Deno.test("a tick rebuilds each due organization with its log, notification, tags and broadcast", async () => {
  const receiver = new HttpReceiver();
  try {
    await withOrganizations([
      { timeZone: "Europe/Copenhagen" },
      { timeZone: "America/New_York" },
      { timeZone: "Asia/Tokyo" },
    ], async (organizations, sql) => {
      const listener = await listenForUpdates(sql);
      const settings = testSettings({ NIGHTLY_WEBHOOK_URL: receiver.url });
      const report = await runTick({ sql, settings, clock: new FakeClock(TICK_AT) });

      assert.equal(report.stopped_because, "queue_empty");
      assert.ok(report.enqueued && report.enqueued.job_count >= organizations.length);
      assert.ok(report.processed.refreshed >= organizations.length, JSON.stringify(report));
      assert.equal(report.processed.failed + report.processed.retrying, 0);

      for (const organization of organizations) {
        const job = await onlyJobOf(sql, organization);
        assert.equal(job.status, "refreshed", organization.timeZone);
        assert.equal(job.attempts, 1);
        // 10:00Z is 12:00 in Copenhagen, 06:00 in New York, 19:00 in Tokyo: all on the 15th.
        assert.equal(job.local_date, NIGHT);
        assert.deepEqual(Object.keys(job.row_counts ?? {}).sort(), [...NIGHTLY_DATASETS].sort());
        assert.deepEqual(job.significant_changes, [], "a first snapshot has nothing to compare");

        const [state] = await sql<{ rebuilt_as_of_date: string }[]>`
          select rebuilt_as_of_date::text from analytics.organization_state
           where organization_id = ${organization.id}`;
        assert.equal(state!.rebuilt_as_of_date, NIGHT);
        const [log] = await sql<{ update_type: string }[]>`
          select update_type from public.cache_invalidation_log
           where organization_id = ${organization.id}`;
        assert.equal(log!.update_type, "nightly_refresh");

        const broadcasts = await broadcastsTo(sql, organization);
        assert.equal(broadcasts.length, 1);
        assert.equal(broadcasts[0]!.event, "cache_invalidation");
        assert.equal(broadcasts[0]!.private, true);
        const notice = invalidationNotice.parse(broadcasts[0]!.payload);
        // realtime.send adds the message id to the payload (upstream realtime.send).
        const { id, ...fields } = notice;
        assert.match(id ?? "", /^[0-9a-f-]{36}$/);
        assert.deepEqual({ ...fields, seq: 0, at: "" }, {
          v: 1,
          seq: 0,
          organization_id: organization.id,
          cause: "nightly",
          action: "expire",
          datasets: [...NIGHTLY_DATASETS].sort(),
          tags: [...NIGHTLY_DATASETS].sort().map((d) => `org:${organization.id}:dataset:${d}`),
          at: "",
          details: { run_id: job.run_id, local_date: NIGHT, as_of_date: NIGHT },
        });

        // expire, not purge: one version bump per nightly dataset, purges untouched.
        const tags = await sql<{ tag: string; version: number; purged_version: number }[]>`
          select tag, version::int, purged_version::int from cache.tag_versions
           where tag like ${`org:${organization.id}:dataset:%`}
             and tag in ${sql(NIGHTLY_DATASETS.map((d) => `org:${organization.id}:dataset:${d}`))}
           order by tag`;
        assert.deepEqual(
          tags.map((t) => ({ ...t })),
          [...NIGHTLY_DATASETS].sort().map((dataset) => ({
            tag: `org:${organization.id}:dataset:${dataset}`,
            version: 1,
            purged_version: 0,
          })),
        );
      }

      const notified = await pollUntil("a pg_notify per organization", () => {
        const ids = new Set(listener.payloads.map((p) => p.organization_id));
        return Promise.resolve(
          organizations.every((o) => ids.has(o.id)) ? listener.payloads : undefined,
        );
      });
      for (const organization of organizations) {
        const payloads = notified.filter((p) => p.organization_id === organization.id);
        assert.equal(payloads.length, 1);
        assert.equal(payloads[0]!.update_type, "nightly_refresh");
        assert.ok(payloads[0]!.updated_at);
      }
      await listener.stop();

      const [run] = await sql<{ status: string; refreshed_count: number }[]>`
        select status, refreshed_count from nightly.runs where id = ${report.enqueued.run_id}`;
      assert.equal(run!.status, "completed");
      assert.equal(report.notices.delivered, 1);
      const [summary] = requestsMentioning(receiver.requests, report.enqueued.run_id);
      assert.ok(summary, "the webhook got the run's summary");
      assert.match(
        summary.text,
        /^Nightly refresh completed: \d+ refreshed, 0 skipped, 0 deferred, 0 failed/,
      );
      assert.ok(Array.isArray(summary.blocks) && summary.blocks.length >= 3);
      assert.equal(receiver.requests[0]!.headers.get("content-type"), "application/json");
      assert.ok(!receiver.requests.some((r) => r.body.includes(settings.NIGHTLY_CRON_SECRET)));
    });
  } finally {
    await receiver.close();
  }
});

Deno.test("a broadcast reaches only the organization's members (Realtime RLS)", async () => {
  await withOrganizations([{}, {}], async ([a, b], sql) => {
    await runTick({ sql, settings: testSettings(), clock: new FakeClock(TICK_AT) });
    const visible = (userId: string, topic: string) =>
      asActor(sql, { role: "authenticated", userId }, async (tx) => {
        await tx`select set_config('realtime.topic', ${topic}, true)`;
        const rows = await tx<{ payload: { organization_id: string } }[]>`
          select payload from realtime.messages
          where topic = ${topic} and payload ->> 'cause' = 'nightly'`;
        return rows.map((row) => row.payload.organization_id);
      }, { rollback: true });
    assert.deepEqual(await visible(a!.memberId, `cache-invalidation:${a!.id}`), [a!.id]);
    assert.deepEqual(await visible(b!.memberId, `cache-invalidation:${a!.id}`), []);
  });
});

Deno.test("MIN_AGE: skipped when rebuilt less than 12 h ago and unchanged since", async () => {
  await withOrganizations([{}, {}, {}, {}], async ([fresh, dirty, old, suspended], sql) => {
    const now = new Date(TICK_AT);
    const hoursBefore = (hours: number) => new Date(TICK_AT - hours * 3_600_000);
    for (const organization of [fresh!, dirty!, old!, suspended!]) {
      await sql`select analytics.rebuild_organization(${organization.id}, '2026-06-14')`;
    }
    const setState = (id: string, rebuiltAt: Date, changedAt: Date) =>
      sql`update analytics.organization_state
             set last_rebuilt_at = ${rebuiltAt}, last_changed_at = ${changedAt}
           where organization_id = ${id}`;
    await setState(fresh!.id, hoursBefore(2), hoursBefore(3));
    await setState(dirty!.id, hoursBefore(2), hoursBefore(1));
    await setState(old!.id, hoursBefore(13), hoursBefore(14));
    await setState(suspended!.id, hoursBefore(13), hoursBefore(14));

    const settings = testSettings();
    await enqueueDueOrganizations(sql, now, settings);
    await sql`update public.organizations set status = 'suspended' where id = ${suspended!.id}`;
    await runTick({ sql, settings, clock: new FakeClock(TICK_AT) });

    const byId = new Map((await jobsOf(sql, [fresh!, dirty!, old!, suspended!])).map((j) => [
      j.organization_id,
      j,
    ]));
    assert.deepEqual(
      [fresh!, dirty!, old!, suspended!].map((
        o,
      ) => [byId.get(o.id)!.status, byId.get(o.id)!.skip_reason]),
      [["skipped", "unchanged"], ["refreshed", null], ["refreshed", null], [
        "skipped",
        "suspended",
      ]],
    );
    assert.equal(
      (await broadcastsTo(sql, fresh!)).length,
      0,
      "a skipped organization is not broadcast",
    );
    assert.equal((await broadcastsTo(sql, dirty!)).length, 1);
    const [state] = await sql<{ last_rebuilt_at: Date }[]>`
      select last_rebuilt_at from analytics.organization_state where organization_id = ${
      fresh!.id
    }`;
    assert.equal(state!.last_rebuilt_at.getTime(), hoursBefore(2).getTime(), "not rebuilt");
  });
});

Deno.test("a key figure moving by 5 % or more is recorded and listed in the summary", async () => {
  const receiver = new HttpReceiver();
  try {
    await withOrganizations([{}, {}], async ([changed, steady], sql) => {
      const settings = testSettings({ NIGHTLY_WEBHOOK_URL: receiver.url });
      const clock = new FakeClock(TICK_AT);
      await runTick({ sql, settings, clock });
      // The next night: one organization books a big invoice, the other a tiny one.
      await addInvoice(sql, changed!, "2026-06-15", 10, 10); // +100.00 on 20.00
      await addInvoice(sql, steady!, "2026-06-15", 1, 0.1); // +0.10 on 20.00 (0.5 %)
      clock.advance(24 * 3_600_000);
      const report = await runTick({ sql, settings, clock });

      const changes = (await jobsOf(sql, [changed!])).at(-1)!.significant_changes;
      assert.deepEqual(changes, [
        {
          currency: "EUR",
          figure: "booked_invoices_12_months",
          previous: 1,
          current: 2,
          change_percent: 100.0,
        },
        {
          currency: "EUR",
          figure: "booked_spend_12_months",
          previous: 20,
          current: 120,
          change_percent: 500.0,
        },
        {
          currency: "EUR",
          figure: "spend_last_30_days",
          previous: 20,
          current: 120,
          change_percent: 500.0,
        },
      ]);
      const steadyJob = (await jobsOf(sql, [steady!])).at(-1)!;
      assert.equal(steadyJob.status, "refreshed");
      assert.deepEqual(
        (steadyJob.significant_changes as { figure: string }[]).map((c) => c.figure),
        ["booked_invoices_12_months"],
        "one more invoice is +100 %; 0.5 % more spend is not significant",
      );

      const [summary] = requestsMentioning(receiver.requests, report.enqueued!.run_id);
      const text = JSON.stringify(summary!.blocks);
      assert.match(text, /Significant changes/);
      assert.ok(text.includes(changed!.name));
      assert.match(text, /EUR booked spend \(12 months\) 20 → 120 \(\+500%\)/);
    });
  } finally {
    await receiver.close();
  }
});
