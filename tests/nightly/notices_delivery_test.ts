/**
 * Notices through the outbox: a receiver that is down delays them without
 * touching the refresh and gets each once it is back; the hourly overdue check.
 */
import assert from "node:assert/strict";
import { FakeClock } from "../../shared/util/clock.ts";
import { runOverdueCheck, runTick } from "../../shared/nightly/invocation.ts";
import { freePort } from "../../local-stack/free_port.ts";
import { HttpReceiver } from "../support/http_receiver.ts";
import { jobsOf, requestsMentioning, TICK_AT, withOrganizations } from "./support/harness.ts";
import { testSettings } from "./support/organizations.ts";

interface OutboxRow {
  status: string;
  attempts: number;
  next_attempt_at: Date;
  last_http_status: number | null;
  last_error: string | null;
}

Deno.test("a receiver that is down never fails the refresh and gets the notice once it is back", async () => {
  const failing = new HttpReceiver({ status: 503 });
  const healthy = new HttpReceiver();
  const unreachable = `http://127.0.0.1:${freePort()}/hook`;
  try {
    await withOrganizations([{}, {}], async (organizations, sql) => {
      const clock = new FakeClock(TICK_AT);
      const outbox = async (runId: string) =>
        (await sql<OutboxRow[]>`
          select status, attempts, next_attempt_at, last_http_status, last_error
            from nightly.webhook_outbox where run_id = ${runId} and kind = 'run_summary'`)[0]!;

      const report = await runTick({
        sql,
        settings: testSettings({ NIGHTLY_WEBHOOK_URL: failing.url }),
        clock,
      });
      const runId = report.enqueued!.run_id;
      assert.ok((await jobsOf(sql, organizations)).every((job) => job.status === "refreshed"));
      assert.equal(report.notices.failed, 1);
      assert.equal(failing.requests.length, 1, "one attempt, then the pass stops");
      let notice = await outbox(runId);
      assert.equal(notice.status, "pending");
      assert.equal(notice.attempts, 1);
      assert.equal(notice.last_http_status, 503);
      const firstDelay = notice.next_attempt_at.getTime() - clock.now();
      assert.ok(firstDelay >= 22_500 && firstDelay <= 37_500, `first retry in ${firstDelay} ms`);

      // Nothing is due before the backoff ends.
      await runTick({ sql, settings: testSettings({ NIGHTLY_WEBHOOK_URL: healthy.url }), clock });
      assert.equal(healthy.requests.length, 0);

      // Unreachable: the error is kept (without the URL), the delay doubles.
      clock.advance(firstDelay + 1);
      const down = await runTick({
        sql,
        settings: testSettings({ NIGHTLY_WEBHOOK_URL: unreachable }),
        clock,
      });
      assert.equal(down.notices.failed, 1);
      notice = await outbox(runId);
      assert.equal(notice.attempts, 2);
      assert.equal(notice.last_http_status, null);
      assert.match(notice.last_error ?? "", /^Webhook unreachable: /);
      assert.ok(!notice.last_error!.includes(unreachable), "the webhook URL is a secret");
      const secondDelay = notice.next_attempt_at.getTime() - clock.now();
      assert.ok(
        secondDelay >= 45_000 && secondDelay <= 75_000,
        `second retry in ${secondDelay} ms`,
      );

      clock.advance(secondDelay + 1);
      const back = await runTick({
        sql,
        settings: testSettings({ NIGHTLY_WEBHOOK_URL: healthy.url }),
        clock,
      });
      assert.equal(back.notices.delivered, 1);
      notice = await outbox(runId);
      assert.equal(notice.status, "delivered");
      assert.equal(notice.attempts, 3);
      assert.equal(requestsMentioning(healthy.requests, runId).length, 1);

      clock.advance(3_600_000);
      await runTick({ sql, settings: testSettings({ NIGHTLY_WEBHOOK_URL: healthy.url }), clock });
      assert.equal(requestsMentioning(healthy.requests, runId).length, 1, "delivered once");
    });
  } finally {
    await failing.close();
    await healthy.close();
  }
});

Deno.test("without a webhook URL notices wait in the outbox", async () => {
  await withOrganizations([{}], async (_organizations, sql) => {
    const report = await runTick({ sql, settings: testSettings(), clock: new FakeClock(TICK_AT) });
    assert.equal(report.notices.note, "no webhook URL configured: notices wait");
    const [notice] = await sql<{ status: string; attempts: number }[]>`
      select status, attempts from nightly.webhook_outbox where run_id = ${
      report.enqueued!.run_id
    }`;
    assert.deepEqual({ ...notice }, { status: "pending", attempts: 0 });
  });
});

Deno.test("the hourly check alerts once an hour about organizations overdue for 25 h", async () => {
  const receiver = new HttpReceiver();
  const checkedAt = Date.parse("2026-06-20T08:17:00Z");
  try {
    await withOrganizations(
      [{}, { createdAt: "2026-06-20T00:00:00Z" }],
      async ([stale, young], sql) => {
        const settings = testSettings({ NIGHTLY_WEBHOOK_URL: receiver.url });
        const clock = new FakeClock(checkedAt);
        try {
          const first = await runOverdueCheck({ sql, settings, clock });
          assert.ok(first.overdue >= 1);
          assert.equal(first.notices.delivered, 1);
          const [alert] = requestsMentioning(receiver.requests, stale!.name);
          assert.match(
            alert!.text,
            /^\d+ organizations? (has|have) had no successful nightly refresh for more than 25 h$/,
          );
          assert.ok(!JSON.stringify(alert).includes(young!.name), "younger than 25 h: not overdue");

          clock.advance(30 * 60_000);
          const again = await runOverdueCheck({ sql, settings, clock });
          assert.equal(again.notices.delivered, 0, "one alert per hour");

          await runTick({ sql, settings, clock });
          // A rebuild records real time, so this asks as of now.
          const [overdue] = await sql<{ count: number }[]>`
          select count(*)::int as count from nightly.overdue_organizations(now(), '25 hours')
           where organization_id = ${stale!.id}`;
          assert.equal(overdue!.count, 0, "refreshed: no longer overdue");
        } finally {
          await sql`
          delete from nightly.webhook_outbox
           where kind = 'overdue_alert' and dedupe_key in ('overdue:2026-06-20T08', 'overdue:2026-06-20T09')`;
        }
      },
    );
  } finally {
    await receiver.close();
  }
});
