/** Notices as Slack-compatible messages, secrets redacted, and outbox rows validated. */
import assert from "node:assert/strict";
import {
  InvalidNoticeError,
  parseNotice,
  type RunEvent,
} from "../../shared/nightly/notices/events.ts";
import { REDACTED, redactSecrets, secretsOf } from "../../shared/nightly/notices/redact.ts";
import {
  escapeMrkdwn,
  renderSlackMessage,
  type SlackBlock,
} from "../../shared/nightly/notices/slack_message.ts";

function section(block: SlackBlock | undefined) {
  assert.equal(block?.type, "section");
  return block as Extract<SlackBlock, { type: "section" }>;
}

const RUN: RunEvent = {
  run_id: "11111111-1111-4111-8111-111111111111",
  status: "partial",
  continues_run_id: null,
  started_at: "2026-06-15T00:00:05+00:00",
  finished_at: "2026-06-15T00:00:47+00:00",
  duration_seconds: 42.1,
  counts: { organizations: 5, refreshed: 2, skipped: 1, deferred: 0, failed: 2 },
  local_dates: ["2026-06-15"],
  significant_changes: [{
    organization_id: "22222222-2222-4222-8222-222222222222",
    organization_name: "Smith & <Sons>",
    changes: [
      {
        currency: "EUR",
        figure: "booked_spend_12_months",
        previous: 1000,
        current: 1250.5,
        change_percent: 25.1,
      },
      {
        currency: "SEK",
        figure: "spend_last_30_days",
        previous: 0,
        current: 10,
        change_percent: null,
      },
    ],
  }],
  organizations_with_significant_changes: 1,
  failures: [{
    organization_id: "33333333-3333-4333-8333-333333333333",
    organization_name: "Broken Bakery",
    attempts: 4,
    error: "x".repeat(400),
  }],
  continued_by_run_id: null,
  deferred: [],
};

Deno.test("renderSlackMessage: a run summary as text plus blocks", async (t) => {
  const message = renderSlackMessage(parseNotice("run_summary", RUN));
  await t.step("text is the one-line notification", () => {
    assert.equal(
      message.text,
      "Nightly refresh partially failed: 2 refreshed, 1 skipped, 0 deferred, 2 failed of 5 " +
        "organizations in 42.1 s",
    );
  });
  await t.step("blocks: header, counts, changes, failures, context", () => {
    assert.deepEqual(message.blocks.map((block) => block.type), [
      "header",
      "section",
      "section",
      "section",
      "context",
    ]);
    const fields = section(message.blocks[1]).fields!.map((f) => f.text);
    assert.deepEqual(fields, [
      "*Refreshed*\n2",
      "*Skipped (unchanged)*\n1",
      "*Deferred*\n0",
      "*Failed*\n2",
      "*Duration*\n42.1 s",
      "*Nights*\n2026-06-15",
    ]);
  });
  await t.step("changes are listed with escaped names, labels and signed percentages", () => {
    const changes = section(message.blocks[2]).text!.text;
    assert.equal(
      changes,
      "*Significant changes* (1 organization)\n• *Smith &amp; &lt;Sons&gt;*: EUR booked spend " +
        "(12 months) 1,000 → 1,250.5 (+25.1%); SEK spend (last 30 days) 0 → 10 (new)",
    );
  });
  await t.step("failures name the organization; long errors are cut", () => {
    const failures = section(message.blocks[3]).text!.text;
    assert.match(
      failures,
      /^\*Failed organizations\*\n• \*Broken Bakery\* after 4 attempts: x+…\n…and 1 more$/,
    );
    assert.ok(failures.length < 400);
  });
});

Deno.test("renderSlackMessage: failure, timeout and overdue notices", () => {
  const failed = renderSlackMessage(parseNotice("organization_failed", {
    run_id: RUN.run_id,
    organization_id: "33333333-3333-4333-8333-333333333333",
    organization_name: "Broken Bakery",
    local_date: "2026-06-15",
    time_zone: "Europe/Copenhagen",
    attempts: 4,
    error: "Rebuilt datasets hold negative or NaN figures: dashboard-metrics",
  }));
  assert.equal(
    failed.text,
    "Nightly refresh failed for Broken Bakery after 4 attempts: Rebuilt datasets hold negative or " +
      "NaN figures: dashboard-metrics",
  );
  assert.equal(failed.blocks[0]!.type, "header");

  const timedOut = renderSlackMessage(parseNotice("run_timed_out", {
    ...RUN,
    status: "timed_out",
    counts: { organizations: 3, refreshed: 1, skipped: 0, deferred: 2, failed: 0 },
    failures: [],
    significant_changes: [],
    organizations_with_significant_changes: 0,
    continued_by_run_id: "44444444-4444-4444-8444-444444444444",
    deferred: [{ organization_id: "5", organization_name: "Late Ltd" }],
  }));
  assert.match(timedOut.text, /^Nightly refresh timed out: 1 refreshed, 0 skipped, 2 deferred/);
  assert.match(
    JSON.stringify(timedOut.blocks),
    /continuing in run 44444444-.*Late Ltd.*and 1 more/,
  );

  const overdue = renderSlackMessage(parseNotice("overdue_alert", {
    checked_at: "2026-06-20T08:17:00+00:00",
    overdue_after_hours: 25,
    count: 1,
    organizations: [{
      organization_id: "6",
      organization_name: "Quiet Co",
      time_zone: "Asia/Tokyo",
      last_refreshed_at: null,
      last_status: null,
      last_error: null,
    }],
  }));
  assert.equal(
    overdue.text,
    "1 organization has had no successful nightly refresh for more than 25 h",
  );
  assert.match(JSON.stringify(overdue.blocks), /Quiet Co\* \(Asia\/Tokyo\), last refreshed never/);
});

Deno.test("parseNotice refuses an event this version cannot render", () => {
  assert.throws(
    () => parseNotice("run_summary", { run_id: 7 }),
    (error: Error) =>
      error instanceof InvalidNoticeError && /Invalid run_summary notice: /.test(error.message),
  );
  assert.throws(() => parseNotice("party", {}), InvalidNoticeError);
});

Deno.test("redactSecrets replaces every known secret in every string", () => {
  const secrets = secretsOf([
    "postgresql://postgres:db-password-123@db.example.com:5432/postgres",
    "cron-secret-0123456789",
    "short",
    undefined,
  ]);
  assert.ok(secrets.includes("db-password-123"));
  const message = {
    text: "connect failed: password db-password-123 rejected",
    blocks: [{ type: "section", text: { text: "Bearer cron-secret-0123456789; short stays" } }],
  };
  assert.deepEqual(redactSecrets(message, secrets), {
    text: `connect failed: password ${REDACTED} rejected`,
    blocks: [{ type: "section", text: { text: `Bearer ${REDACTED}; short stays` } }],
  });
  assert.equal(escapeMrkdwn("a & <b>"), "a &amp; &lt;b&gt;");
});
