/**
 * The README's recipe "Forcing one organization's night locally", step by step:
 * an organization created after tonight's 02:00, already refreshed tonight and
 * unchanged since, is refreshed by the next tick once the recipe ran — and
 * only that organization.
 */
import assert from "node:assert/strict";
import { systemClock } from "../../shared/util/clock.ts";
import { runTick } from "../../shared/nightly/invocation.ts";
import { withOrganizations } from "./support/harness.ts";
import { testSettings } from "./support/organizations.ts";

/** The SQL of the README recipe, with the organization id as $1. */
const RECIPE = [
  `update public.organizations set created_at = now() - interval '2 days' where id = $1`,
  `delete from nightly.organization_runs as job using public.organizations as organization
    where organization.id = $1 and job.organization_id = organization.id
      and job.local_date = nightly.due_local_date(organization.time_zone, now(), '02:00')`,
  `update analytics.organization_state set last_changed_at = now() where organization_id = $1`,
];

Deno.test("the README's recipe makes one organization's night run at the next tick", async () => {
  const justNow = new Date(Date.now() - 60_000).toISOString();
  await withOrganizations([{ createdAt: justNow }, { createdAt: justNow }], async (orgs, sql) => {
    const [forced, other] = orgs;
    const settings = testSettings();
    const jobsOf = async (id: string) =>
      (await sql<{ status: string }[]>`
        select status from nightly.organization_runs where organization_id = ${id}`)
        .map((job) => job.status);
    await runTick({ sql, settings, clock: systemClock });
    assert.deepEqual(await jobsOf(forced!.id), [], "created after tonight's 02:00: not due");

    for (const statement of RECIPE) await sql.unsafe(statement, [forced!.id]);
    await runTick({ sql, settings, clock: systemClock });
    assert.deepEqual(await jobsOf(forced!.id), ["refreshed"]);
    assert.deepEqual(await jobsOf(other!.id), [], "only the forced organization");

    // Again the same night: the recipe deletes tonight's job and marks a change.
    for (const statement of RECIPE) await sql.unsafe(statement, [forced!.id]);
    await runTick({ sql, settings, clock: systemClock });
    assert.deepEqual(await jobsOf(forced!.id), ["refreshed"]);
  });
});
