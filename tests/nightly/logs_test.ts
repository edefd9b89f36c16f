/**
 * The nightly refresh's events in the JSON logs, each at its level: a failure to
 * be retried is a warning, the retry is info, the final failure an error, and
 * every tick leaves one info line.
 */
import assert from "node:assert/strict";
import type { LogRecord } from "@logtape/logtape";
import { runTick } from "../../shared/nightly/invocation.ts";
import { configureLogging, formatLogLine } from "../../shared/log/logging.ts";
import { FakeClock } from "../../shared/util/clock.ts";
import { TICK_AT, withOrganizations } from "./support/harness.ts";
import { testSettings } from "./support/organizations.ts";

Deno.test("nightly events are logged at their level: retry queued, retry, final failure, ticks", async () => {
  const lines: Record<string, unknown>[] = [];
  configureLogging({
    level: "info",
    sink: (record: LogRecord) => lines.push(JSON.parse(formatLogLine(record))),
  });
  try {
    await withOrganizations([{}], async ([bad], sql) => {
      const name = `nightly_test_logs_${bad!.id.replaceAll("-", "")}`;
      await sql.unsafe(`
        create function public.${name}() returns trigger language plpgsql set search_path = '' as $$
        begin new.spend_last_30_days := -1; return new; end $$;
        create trigger ${name} before insert on analytics.dashboard_metrics
          for each row when (new.organization_id = '${
        bad!.id
      }') execute function public.${name}();`);
      try {
        const clock = new FakeClock(TICK_AT);
        const settings = testSettings({ NIGHTLY_MAX_RETRIES: 1, NIGHTLY_RETRY_BASE_DELAY: 1_000 });
        await runTick({ sql, settings, clock });
        clock.advance(60_000);
        await runTick({ sql, settings, clock });
      } finally {
        await sql.unsafe(`drop function public.${name}() cascade`);
      }
      const mine = lines.filter((line) => line.organization_id === bad!.id);
      assert.deepEqual(
        mine.map((line) => [line.level, line.event, line.attempt]),
        [
          ["WARN", "nightly:queued", 1],
          ["INFO", "nightly:retry", 2],
          ["ERROR", "nightly:failed", 2],
        ],
      );
      assert.match(String(mine[2]!.cause), /negative or NaN figures/);
      const ticks = lines.filter((line) => line.event === "nightly:tick");
      assert.equal(ticks.length, 2);
      assert.ok(
        ticks.every((line) => line.level === "INFO" && line.logger === "nightshift.nightly"),
      );
    });
  } finally {
    configureLogging({ level: "warning" });
  }
});
