/**
 * The Edge Runtime's wall-clock limit (150 s on the Free plan, 400 s on paid
 * plans; NIGHTLY_WALL_CLOCK_LIMIT): an invocation answers before it, whatever
 * an organization costs. Each job's statement timeout is derived from the time
 * left, so a slow organization is cut off and retried later (by a chained
 * invocation or the next tick) instead of running the function past its limit.
 */
import assert from "node:assert/strict";
import { FakeClock } from "../../shared/util/clock.ts";
import { runTick } from "../../shared/nightly/invocation.ts";
import { connectAsSuperuser } from "../support/stack.ts";
import { onlyJobOf, TICK_AT, withOrganizations } from "./support/harness.ts";
import { testSettings } from "./support/organizations.ts";

/** A trigger that makes one organization's rebuild take `seconds`. */
async function slowDownRebuildOf(
  sql: ReturnType<typeof connectAsSuperuser>,
  id: string,
  seconds: number,
) {
  const name = `nightly_test_slow_${id.replaceAll("-", "")}`;
  await sql.unsafe(`
    create function public.${name}() returns trigger language plpgsql set search_path = '' as $$
    begin perform pg_catalog.pg_sleep(${seconds}); return new; end $$;
    create trigger ${name} before insert on analytics.dashboard_metrics
      for each row when (new.organization_id = '${id}') execute function public.${name}();`);
  return () => sql.unsafe(`drop function public.${name}() cascade`);
}

Deno.test("a slow organization never keeps an invocation past the wall-clock limit", async () => {
  await withOrganizations([{}], async ([slow], sql) => {
    const restore = await slowDownRebuildOf(sql, slow!.id, 20);
    try {
      const settings = testSettings({
        NIGHTLY_WALL_CLOCK_LIMIT: 6_000,
        NIGHTLY_WALL_CLOCK_MARGIN: 1_000,
        NIGHTLY_TIME_BUDGET: 1_000,
        NIGHTLY_CONCURRENCY: 1,
      });
      const started = performance.now();
      const report = await runTick({ sql, settings, clock: new FakeClock(TICK_AT) });
      const elapsed = performance.now() - started;
      assert.ok(elapsed < 5_000 + 500, `answered after ${Math.round(elapsed)} ms (limit 6 s)`);
      assert.equal(report.processed.retrying, 1, "cut off by its statement timeout, to be retried");
      const job = await onlyJobOf(sql, slow!);
      assert.equal(job.status, "queued");
      assert.match(job.last_error ?? "", /statement timeout/);
    } finally {
      await restore();
    }
  });
});

Deno.test("no job is claimed when too little time is left before the limit", async () => {
  await withOrganizations([{}], async ([organization], sql) => {
    const settings = testSettings({
      NIGHTLY_WALL_CLOCK_LIMIT: 1_500,
      NIGHTLY_WALL_CLOCK_MARGIN: 1_000,
      NIGHTLY_TIME_BUDGET: 50_000,
    });
    const report = await runTick({ sql, settings, clock: new FakeClock(TICK_AT) });
    assert.equal(report.stopped_because, "time_budget");
    assert.equal((await onlyJobOf(sql, organization!)).status, "queued", "left for the next one");
  });
});
