/**
 * Outbox delivery against receivers that push back: `Retry-After` (seconds and
 * HTTP-date, on 429 and 503) is never undercut, each notice keeps its own
 * schedule (a refused notice blocks none behind it), permanent refusals are
 * parked with their reason, and retries carry the same idempotency key.
 */
import assert from "node:assert/strict";
import type { Sql } from "postgres";
import { FakeClock } from "../../shared/util/clock.ts";
import { deliverPendingNotices } from "../../shared/nightly/notices/delivery.ts";
import { runNoticeDelivery } from "../../shared/nightly/invocation.ts";
import { HttpReceiver, type ReceivedRequest } from "../support/http_receiver.ts";
import { connectAsSuperuser } from "../support/stack.ts";
import { testSettings } from "./support/organizations.ts";

/** Far from every other test's notices, so only ours are due. */
const AT = Date.parse("2031-03-01T10:00:00Z");

interface OutboxRow {
  id: string;
  status: string;
  attempts: number;
  next_attempt_at: Date;
  last_http_status: number | null;
  last_error: string | null;
  parked_reason: string | null;
  idempotency_key: string;
}

/** Runs `work` with a pool, deleting the notices it enqueued afterwards. */
async function withOutbox(
  work: (sql: Sql, enqueue: (label: string, at?: number) => Promise<string>) => Promise<void>,
): Promise<void> {
  const sql = connectAsSuperuser(2);
  const ids: string[] = [];
  // Notices of other tests are parked out of the way for the duration (restored after).
  const prefix = `backoff-test:${crypto.randomUUID()}`;
  const enqueue = async (label: string, at = AT) => {
    const event = {
      checked_at: new Date(at).toISOString(),
      overdue_after_hours: 25,
      count: 1,
      organizations: [{
        organization_id: crypto.randomUUID(),
        organization_name: label,
        time_zone: "Europe/Copenhagen",
        last_refreshed_at: null,
        last_status: null,
        last_error: null,
      }],
    };
    const [row] = await sql<{ id: string }[]>`
      select nightly.enqueue_notice('overdue_alert', null, null, ${sql.json(event)},
        ${`${prefix}:${label}`}, ${new Date(at)})::text as id`;
    ids.push(row!.id);
    return row!.id;
  };
  const hidden = await sql<{ id: string }[]>`
    update nightly.webhook_outbox set next_attempt_at = next_attempt_at + interval '100 years'
     where status = 'pending' and dedupe_key not like 'backoff-test:%' returning id::text`;
  try {
    await work(sql, enqueue);
  } finally {
    if (ids.length > 0) await sql`delete from nightly.webhook_outbox where id in ${sql(ids)}`;
    if (hidden.length > 0) {
      await sql`
        update nightly.webhook_outbox set next_attempt_at = next_attempt_at - interval '100 years'
         where id in ${sql(hidden.map((row) => row.id))}`;
    }
    await sql.end();
  }
}

async function outboxRow(sql: Sql, id: string): Promise<OutboxRow> {
  const [row] = await sql<OutboxRow[]>`
    select id::text, status, attempts, next_attempt_at, last_http_status, last_error,
           parked_reason, idempotency_key::text
      from nightly.webhook_outbox where id = ${id}`;
  return row!;
}

function mentions(requests: readonly ReceivedRequest[], label: string): ReceivedRequest[] {
  return requests.filter((request) => request.body.includes(label));
}

function deliver(sql: Sql, clock: FakeClock, url: string, timeoutMs = 5_000) {
  return deliverPendingNotices({
    sql,
    clock,
    webhookUrl: url,
    settings: testSettings({ NIGHTLY_WEBHOOK_TIMEOUT: timeoutMs }),
    deadline: performance.now() + 10_000,
    secrets: [],
  });
}

Deno.test("deliverPendingNotices never retries before a 429's Retry-After in seconds", async () => {
  let limited = true;
  const receiver = new HttpReceiver({
    respond: () =>
      limited
        ? new Response("rate_limited", { status: 429, headers: { "Retry-After": "600" } })
        : new Response("ok"),
  });
  try {
    await withOutbox(async (sql, enqueue) => {
      const clock = new FakeClock(AT);
      const first = await enqueue("limited-first");
      const second = await enqueue("limited-second");
      const report = await deliver(sql, clock, receiver.url);
      assert.equal(report.failed, 1, "the receiver asked to wait: the pass stops");
      assert.equal(receiver.requests.length, 1);
      const notice = await outboxRow(sql, first);
      assert.equal(notice.status, "pending");
      assert.equal(notice.last_http_status, 429);
      assert.ok(notice.next_attempt_at.getTime() >= AT + 600_000, "not before Retry-After");
      const behind = await outboxRow(sql, second);
      assert.ok(
        behind.next_attempt_at.getTime() >= AT + 600_000,
        "the receiver asked, not one notice",
      );

      for (const later of [25_000, 35_000, 539_000]) {
        clock.advance(later);
        await deliver(sql, clock, receiver.url);
        assert.equal(receiver.requests.length, 1, `nothing sent ${clock.now() - AT} ms later`);
      }
      limited = false;
      clock.advance(AT + 600_000 - clock.now());
      const back = await deliver(sql, clock, receiver.url);
      assert.equal(back.delivered, 2);
      assert.equal((await outboxRow(sql, first)).status, "delivered");
    });
  } finally {
    await receiver.close();
  }
});

Deno.test("deliverPendingNotices honours a 503's Retry-After given as an HTTP-date", async () => {
  const retryAt = new Date(AT + 120_000);
  const receiver = new HttpReceiver({
    respond: () =>
      new Response("down for maintenance", {
        status: 503,
        // The receiver's own clock dates its answer, so the hint is read against it.
        headers: { "Retry-After": retryAt.toUTCString(), Date: new Date(AT).toUTCString() },
      }),
  });
  try {
    await withOutbox(async (sql, enqueue) => {
      const clock = new FakeClock(AT);
      const id = await enqueue("dated");
      await deliver(sql, clock, receiver.url);
      const notice = await outboxRow(sql, id);
      assert.equal(notice.last_http_status, 503);
      assert.ok(notice.next_attempt_at.getTime() >= retryAt.getTime(), "not before the date");
      assert.ok(notice.next_attempt_at.getTime() <= retryAt.getTime() + 1_000);
    });
  } finally {
    await receiver.close();
  }
});

Deno.test("a refused notice blocks none behind it; permanent refusals are parked with their reason", async (t) => {
  const answers: Record<string, number> = {
    "status-400": 400,
    "status-404": 404,
    "status-410": 410,
    "status-413": 413,
    "status-408": 408,
    "status-429": 429,
    "status-500": 500,
    "status-503": 503,
  };
  const receiver = new HttpReceiver({
    respond: (request) => {
      const label = Object.keys(answers).find((key) => request.body.includes(key));
      return label
        ? new Response(`no_text for ${label}`, { status: answers[label]! })
        : new Response("ok");
    },
  });
  try {
    await withOutbox(async (sql, enqueue) => {
      const clock = new FakeClock(AT);
      const ids: Record<string, string> = {};
      for (const label of Object.keys(answers)) ids[label] = await enqueue(label);
      const good = await enqueue("good-one");
      const report = await deliver(sql, clock, receiver.url);
      assert.equal(report.delivered, 1, "the good notice behind the refused ones went out");
      assert.equal((await outboxRow(sql, good)).status, "delivered");
      assert.equal(mentions(receiver.requests, "good-one").length, 1);

      await t.step("4xx other than 408 and 429 are parked with their reason", async () => {
        for (const label of ["status-400", "status-404", "status-410", "status-413"]) {
          const notice = await outboxRow(sql, ids[label]!);
          assert.equal(notice.status, "parked", label);
          assert.match(notice.parked_reason ?? "", /^Webhook refused the notice: HTTP \d{3}/);
          assert.ok(
            notice.parked_reason!.includes(`no_text for ${label}`),
            "the receiver's reason",
          );
        }
      });
      await t.step("408, 429 and 5xx are retried later", async () => {
        for (const label of ["status-408", "status-429", "status-500", "status-503"]) {
          const notice = await outboxRow(sql, ids[label]!);
          assert.equal(notice.status, "pending", label);
          assert.ok(notice.next_attempt_at.getTime() > AT, label);
        }
      });
      await t.step("parked notices are never sent again and show in the status", async () => {
        clock.advance(2 * 3_600_000);
        await deliver(sql, clock, receiver.url);
        assert.equal(mentions(receiver.requests, "status-400").length, 1);
        const [row] = await sql<
          { status: { parked: number; parked_notices: { id: number; reason: string }[] } }[]
        >`
          select nightly.notice_status(${new Date(clock.now())}) as status`;
        assert.ok(row!.status.parked >= 4);
        const parked = row!.status.parked_notices.find((n) => String(n.id) === ids["status-404"]);
        assert.match(parked?.reason ?? "", /HTTP 404/);
      });
    });
  } finally {
    await receiver.close();
  }
});

Deno.test("a failed delivery is retried on its own 30 s schedule, not at the next tick", async () => {
  let down = true;
  const receiver = new HttpReceiver({
    respond: () => down ? new Response("", { status: 502 }) : new Response("ok"),
  });
  try {
    await withOutbox(async (sql, enqueue) => {
      const clock = new FakeClock(AT);
      const id = await enqueue("retry-soon");
      const settings = testSettings({ NIGHTLY_WEBHOOK_URL: receiver.url });
      await runNoticeDelivery({ sql, settings, clock });
      const delay = (await outboxRow(sql, id)).next_attempt_at.getTime() - AT;
      assert.ok(delay >= 22_500 && delay <= 37_500, `first retry in ${delay} ms`);
      down = false;
      clock.advance(delay + 1);
      const report = await runNoticeDelivery({ sql, settings, clock });
      assert.equal(report.task, "deliver-notices");
      assert.equal(report.notices.delivered, 1);
      assert.equal((await outboxRow(sql, id)).status, "delivered");

      const [job] = await sql<{ schedule: string; command: string }[]>`
        select schedule, command from cron.job where jobname = 'nightshift-nightly-notices'`;
      assert.equal(job?.schedule, "* * * * *", "a pg_cron job looks every minute");
      assert.match(job!.command, /nightly\.request_notice_delivery\(\)/);
      const [idle] = await sql<{ request: string | null }[]>`
        select nightly.request_notice_delivery()::text as request`;
      assert.equal(idle!.request, null, "nothing due: no invocation");
    });
  } finally {
    await receiver.close();
  }
});

Deno.test("a slow receiver gets the same idempotency key again after a timeout", async () => {
  const receiver = new HttpReceiver({ delayMs: 400 });
  try {
    await withOutbox(async (sql, enqueue) => {
      const clock = new FakeClock(AT);
      const id = await enqueue("slow-receiver");
      const report = await deliver(sql, clock, receiver.url, 100);
      assert.equal(report.failed, 1);
      let notice = await outboxRow(sql, id);
      assert.equal(notice.status, "pending");
      assert.match(notice.last_error ?? "", /^Webhook did not answer within 100 ms/);
      clock.advance(notice.next_attempt_at.getTime() - clock.now() + 1);
      await deliver(sql, clock, receiver.url, 2_000);
      notice = await outboxRow(sql, id);
      assert.equal(notice.status, "delivered");
      const sent = mentions(receiver.requests, "slow-receiver");
      assert.equal(sent.length, 2, "at least once: the timed-out POST is sent again");
      for (const request of sent) {
        assert.equal(JSON.parse(request.body).idempotency_key, notice.idempotency_key);
        assert.equal(request.headers.get("idempotency-key"), notice.idempotency_key);
      }
    });
  } finally {
    await receiver.close();
  }
});
