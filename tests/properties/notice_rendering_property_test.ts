/**
 * Properties of notice rendering: whatever Unicode and sizes the facts hold
 * (organization names, errors, figures), the message is well-formed JSON with
 * well-formed UTF-16, within Slack's limits, and text from the data never acts
 * as mrkdwn control (`<!channel>`, links): `&`, `<`, `>` always arrive escaped.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseNotice } from "../../shared/nightly/notices/events.ts";
import {
  renderSlackMessage,
  type SlackMessage,
} from "../../shared/nightly/notices/slack_message.ts";

/** Arbitrary Unicode, biased towards mrkdwn's control characters and surrogate pairs at any size. */
const text = (maxLength: number) =>
  fc.oneof(
    fc.string({ unit: fc.constantFrom("grapheme", "binary", "grapheme-composite"), maxLength }),
    fc.string({ unit: fc.constantFrom("<", ">", "&", "😀", "a", " ", "*", "é", "\n"), maxLength }),
    fc.string({
      unit: fc.constantFrom("😀", "<", "a"),
      minLength: Math.floor(maxLength / 2),
      maxLength,
    }),
  );
const name = fc.option(text(400), { nil: null });
const ref = { organization_id: fc.uuid(), organization_name: name };
const count = fc.nat({ max: 100_000 });
const figure = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e15, max: 1e15 });

const runEvent = fc.record({
  run_id: fc.uuid(),
  status: fc.constantFrom("running", "completed", "partial", "failed", "timed_out"),
  continues_run_id: fc.option(fc.uuid(), { nil: null }),
  started_at: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  finished_at: fc.constant(null),
  duration_seconds: fc.double({ noNaN: true, min: 0, max: 1e7 }),
  counts: fc.record({
    organizations: count,
    refreshed: count,
    skipped: count,
    deferred: count,
    failed: count,
  }),
  local_dates: fc.array(fc.constantFrom("2026-06-15", "2026-06-16"), { maxLength: 3 }),
  significant_changes: fc.array(
    fc.record({
      ...ref,
      changes: fc.array(
        fc.record({
          currency: text(5),
          figure: text(40),
          previous: figure,
          current: figure,
          change_percent: fc.option(figure, { nil: null }),
        }),
        { maxLength: 6 },
      ),
    }),
    { maxLength: 20 },
  ),
  organizations_with_significant_changes: count,
  failures: fc.array(
    fc.record({
      ...ref,
      attempts: fc.nat({ max: 20 }),
      error: fc.option(text(2000), { nil: null }),
    }),
    { maxLength: 20 },
  ),
  continued_by_run_id: fc.option(fc.uuid(), { nil: null }),
  deferred: fc.array(fc.record(ref), { maxLength: 20 }),
});

const notice = fc.oneof(
  fc.record({ kind: fc.constantFrom("run_summary", "run_timed_out"), event: runEvent }),
  fc.record({
    kind: fc.constant("organization_failed"),
    event: fc.record({
      ...ref,
      run_id: fc.uuid(),
      local_date: fc.constant("2026-06-15"),
      time_zone: text(64),
      attempts: fc.nat({ max: 20 }),
      error: text(5000),
    }),
  }),
  fc.record({
    kind: fc.constant("overdue_alert"),
    event: fc.record({
      checked_at: fc.constant("2026-06-15T10:17:00.000Z"),
      overdue_after_hours: fc.double({ noNaN: true, min: 0, max: 1e4 }),
      count,
      organizations: fc.array(
        fc.record({
          ...ref,
          time_zone: text(64),
          last_refreshed_at: fc.option(fc.constant("2026-06-14T00:00:00.000Z"), { nil: null }),
          last_status: fc.option(text(20), { nil: null }),
          last_error: fc.option(text(2000), { nil: null }),
        }),
        { maxLength: 20 },
      ),
    }),
  }),
);

/** Every string of a message, with where it sits. */
function strings(message: SlackMessage): { at: string; value: string; mrkdwn: boolean }[] {
  const found: { at: string; value: string; mrkdwn: boolean }[] = [
    { at: "text", value: message.text, mrkdwn: true },
  ];
  message.blocks.forEach((block, index) => {
    if (block.type === "header") {
      found.push({ at: `blocks[${index}].header`, value: block.text.text, mrkdwn: false });
    } else if (block.type === "section") {
      if (block.text) {
        found.push({ at: `blocks[${index}].text`, value: block.text.text, mrkdwn: true });
      }
      for (const field of block.fields ?? []) {
        found.push({ at: `blocks[${index}].field`, value: field.text, mrkdwn: true });
      }
    } else {
      for (const element of block.elements) {
        found.push({ at: `blocks[${index}].element`, value: element.text, mrkdwn: true });
      }
    }
  });
  return found;
}

Deno.test("renderSlackMessage: well-formed, within Slack's limits, data never acts as mrkdwn", () => {
  fc.assert(
    fc.property(notice, (candidate) => {
      const message = renderSlackMessage(parseNotice(candidate.kind, candidate.event));
      assert.deepEqual(JSON.parse(JSON.stringify(message)), message, "JSON round trip");
      assert.ok(message.blocks.length >= 1 && message.blocks.length <= 50, "1..50 blocks");
      assert.ok(message.text.length >= 1 && message.text.length <= 3_000, "text 1..3000");
      for (const { at, value, mrkdwn } of strings(message)) {
        assert.ok(value.isWellFormed(), `${at}: well-formed UTF-16 (no split surrogate pair)`);
        assert.ok(value.length <= (at.endsWith("header") ? 150 : 3_000), `${at}: ${value.length}`);
        if (mrkdwn) {
          assert.ok(!/[<>]/.test(value), `${at}: no raw < or > (mentions, links)`);
          assert.ok(!/&(?!amp;|lt;|gt;)/.test(value), `${at}: every & is an entity`);
        }
      }
      for (const block of message.blocks) {
        if (block.type === "section" && block.fields) assert.ok(block.fields.length <= 10);
      }
    }),
    { numRuns: 300 },
  );
});

Deno.test("renderSlackMessage escapes a channel mention in an organization name everywhere", () => {
  const message = renderSlackMessage(parseNotice("organization_failed", {
    organization_id: crypto.randomUUID(),
    organization_name: "<!channel> & co",
    run_id: crypto.randomUUID(),
    local_date: "2026-06-15",
    time_zone: "Europe/Copenhagen",
    attempts: 4,
    error: "statement timeout <@U123>",
  }));
  assert.ok(!message.text.includes("<!channel>"), message.text);
  assert.match(message.text, /&lt;!channel&gt; &amp; co/);
  assert.match(message.text, /&lt;@U123&gt;/);
});
