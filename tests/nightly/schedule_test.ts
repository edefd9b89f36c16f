/**
 * What is due when: 02:00 in each organization's own time zone, across the DST
 * changes of 2026 (Copenhagen 2026-03-29 and 2026-10-25, New York, Sydney),
 * catch-up of missed nights, and the idempotent tick. Everything runs in
 * transactions that are rolled back, with `p_now` as fake time.
 */
import assert from "node:assert/strict";
import type { TransactionSql } from "postgres";
import { rolledBack } from "../domain/support/rolled_back.ts";
import { connectAsSuperuser } from "../support/stack.ts";
import { createOrganizations, type NightlyOrganization } from "./support/organizations.ts";

const FIVE_MINUTES = 5 * 60_000;

/** The first local night, per organization, that each simulated pg_cron tick enqueued. */
async function tickEveryFiveMinutes(
  tx: TransactionSql,
  organizations: readonly NightlyOrganization[],
  from: string,
  to: string,
): Promise<Record<string, Array<[localDate: string, enqueuedAt: string]>>> {
  for (let at = Date.parse(from); at <= Date.parse(to); at += FIVE_MINUTES) {
    await tx`select * from nightly.enqueue_due_organizations(${new Date(at)})`;
  }
  const rows = await tx<{ organization_id: string; local_date: string; enqueued_at: Date }[]>`
    select organization_id, local_date::text, enqueued_at from nightly.organization_runs
     where organization_id in ${tx(organizations.map((o) => o.id))}
     order by organization_id, local_date`;
  const byOrganization: Record<string, Array<[string, string]>> = {};
  for (const organization of organizations) byOrganization[organization.timeZone] = [];
  for (const row of rows) {
    const zone = organizations.find((o) => o.id === row.organization_id)!.timeZone;
    byOrganization[zone]!.push([row.local_date, row.enqueued_at.toISOString()]);
  }
  return byOrganization;
}

Deno.test("nightly.due_local_date follows the local wall clock across DST changes", async () => {
  const sql = connectAsSuperuser(1);
  const cases: Array<[zone: string, instant: string, due: string, why: string]> = [
    ["Europe/Copenhagen", "2026-03-29T00:59:59Z", "2026-03-28", "01:59:59 CET, before the jump"],
    [
      "Europe/Copenhagen",
      "2026-03-29T01:00:00Z",
      "2026-03-29",
      "02:00 CET never shows: 03:00 CEST",
    ],
    ["Europe/Copenhagen", "2026-10-24T23:59:59Z", "2026-10-24", "01:59:59 CEST"],
    ["Europe/Copenhagen", "2026-10-25T00:00:00Z", "2026-10-25", "the first 02:00 (CEST)"],
    [
      "Europe/Copenhagen",
      "2026-10-25T01:00:00Z",
      "2026-10-25",
      "the second 02:00 (CET): same night",
    ],
    ["America/New_York", "2026-03-08T06:59:59Z", "2026-03-07", "01:59:59 EST"],
    ["America/New_York", "2026-03-08T07:00:00Z", "2026-03-08", "03:00 EDT, 02:00 skipped"],
    ["America/New_York", "2026-11-01T06:30:00Z", "2026-10-31", "01:30 EST, the second time"],
    ["America/New_York", "2026-11-01T07:00:00Z", "2026-11-01", "02:00 EST"],
    ["Australia/Sydney", "2026-10-03T15:59:59Z", "2026-10-03", "01:59:59 AEST"],
    ["Australia/Sydney", "2026-10-03T16:00:00Z", "2026-10-04", "03:00 AEDT, 02:00 skipped"],
    ["Asia/Kolkata", "2026-03-28T20:29:59Z", "2026-03-28", "01:59:59 IST, no DST"],
    ["Asia/Kolkata", "2026-03-28T20:30:00Z", "2026-03-29", "02:00 IST"],
  ];
  try {
    for (const [zone, instant, due, why] of cases) {
      const [row] = await sql<{ due: string }[]>`
        select nightly.due_local_date(${zone}, ${instant}::timestamptz, '02:00')::text as due`;
      assert.equal(row!.due, due, `${zone} at ${instant} (${why})`);
    }
  } finally {
    await sql.end();
  }
});

Deno.test("ticks every 5 minutes enqueue each organization once per local night over DST", async (t) => {
  const sql = connectAsSuperuser(1);
  try {
    await t.step("spring forward: Copenhagen 2026-03-29, New York already on EDT", async () => {
      await rolledBack(sql, async (tx) => {
        const organizations = await createOrganizations(tx, [
          { timeZone: "Europe/Copenhagen" },
          { timeZone: "America/New_York" },
          { timeZone: "Australia/Sydney" },
        ]);
        const enqueued = await tickEveryFiveMinutes(
          tx,
          organizations,
          "2026-03-28T20:00:00Z",
          "2026-03-29T12:00:00Z",
        );
        assert.deepEqual(enqueued, {
          // 22:00 local on the 28th: that night was missed, caught up at the first tick.
          "Europe/Copenhagen": [
            ["2026-03-28", "2026-03-28T20:00:00.000Z"],
            // 02:00 CET does not exist; the wall clock reads 03:00 CEST at 01:00Z.
            ["2026-03-29", "2026-03-29T01:00:00.000Z"],
          ],
          "America/New_York": [
            ["2026-03-28", "2026-03-28T20:00:00.000Z"],
            ["2026-03-29", "2026-03-29T06:00:00.000Z"],
          ],
          // 07:00 local on the 29th at the first tick: that night is caught up.
          "Australia/Sydney": [["2026-03-29", "2026-03-28T20:00:00.000Z"]],
        });
      });
    });

    await t.step("fall back: Copenhagen 2026-10-25 runs at the first 02:00 only", async () => {
      await rolledBack(sql, async (tx) => {
        const organizations = await createOrganizations(tx, [
          { timeZone: "Europe/Copenhagen" },
          { timeZone: "America/New_York" },
        ]);
        const enqueued = await tickEveryFiveMinutes(
          tx,
          organizations,
          "2026-10-24T20:00:00Z",
          "2026-10-25T12:00:00Z",
        );
        assert.deepEqual(enqueued, {
          "Europe/Copenhagen": [
            ["2026-10-24", "2026-10-24T20:00:00.000Z"],
            // 02:00 CEST at 00:00Z; 02:00 CET again at 01:00Z enqueues nothing.
            ["2026-10-25", "2026-10-25T00:00:00.000Z"],
          ],
          "America/New_York": [
            ["2026-10-24", "2026-10-24T20:00:00.000Z"],
            ["2026-10-25", "2026-10-25T06:00:00.000Z"],
          ],
        });
      });
    });

    await t.step("New York's own changes: 2026-03-08 and 2026-11-01", async () => {
      await rolledBack(sql, async (tx) => {
        const organizations = await createOrganizations(tx, [{ timeZone: "America/New_York" }]);
        const spring = await tickEveryFiveMinutes(
          tx,
          organizations,
          "2026-03-08T05:00:00Z",
          "2026-03-08T09:00:00Z",
        );
        assert.deepEqual(spring["America/New_York"], [
          ["2026-03-07", "2026-03-08T05:00:00.000Z"],
          ["2026-03-08", "2026-03-08T07:00:00.000Z"],
        ]);
        const autumn = await tickEveryFiveMinutes(
          tx,
          organizations,
          "2026-11-01T04:00:00Z",
          "2026-11-01T09:00:00Z",
        );
        assert.deepEqual(autumn["America/New_York"]!.slice(2), [
          ["2026-10-31", "2026-11-01T04:00:00.000Z"],
          // 01:00-02:00 repeats (EDT, then EST); 02:00 EST is 07:00Z.
          ["2026-11-01", "2026-11-01T07:00:00.000Z"],
        ]);
      });
    });
  } finally {
    await sql.end();
  }
});

Deno.test("nightly.enqueue_due_organizations: catch-up, new and suspended organizations", async (t) => {
  const sql = connectAsSuperuser(1);
  const jobsOf = async (tx: TransactionSql, organization: NightlyOrganization) =>
    (await tx<{ local_date: string }[]>`
      select local_date::text from nightly.organization_runs
       where organization_id = ${organization.id} order by local_date`).map((row) =>
      row.local_date
    );
  try {
    await t.step("several missed nights are caught up once, for the latest night", async () => {
      await rolledBack(sql, async (tx) => {
        const [organization] = await createOrganizations(tx, [{}]);
        await tx`select * from nightly.enqueue_due_organizations('2026-06-01T08:00:00Z')`;
        // pg_cron stopped for three nights; the next tick is at 12:00 local.
        await tx`select * from nightly.enqueue_due_organizations('2026-06-05T10:00:00Z')`;
        await tx`select * from nightly.enqueue_due_organizations('2026-06-05T10:05:00Z')`;
        assert.deepEqual(await jobsOf(tx, organization!), ["2026-06-01", "2026-06-05"]);
      });
    });

    await t.step("before 02:00 the previous night is caught up if it was missed", async () => {
      await rolledBack(sql, async (tx) => {
        const [organization] = await createOrganizations(tx, [{}]);
        await tx`select * from nightly.enqueue_due_organizations('2026-06-01T08:00:00Z')`;
        // 01:30 on June 3rd in Copenhagen (CEST): the night of June 2nd never ran.
        await tx`select * from nightly.enqueue_due_organizations('2026-06-02T23:30:00Z')`;
        await tx`select * from nightly.enqueue_due_organizations('2026-06-03T00:05:00Z')`;
        assert.deepEqual(await jobsOf(tx, organization!), [
          "2026-06-01",
          "2026-06-02",
          "2026-06-03",
        ]);
      });
    });

    await t.step("an organization created after 02:00 is first due the next night", async () => {
      await rolledBack(sql, async (tx) => {
        const [organization] = await createOrganizations(tx, [
          { createdAt: "2026-06-10T12:00:00Z" },
        ]);
        await tx`select * from nightly.enqueue_due_organizations('2026-06-10T12:05:00Z')`;
        assert.deepEqual(await jobsOf(tx, organization!), []);
        await tx`select * from nightly.enqueue_due_organizations('2026-06-11T00:05:00Z')`;
        assert.deepEqual(await jobsOf(tx, organization!), ["2026-06-11"]);
      });
    });

    await t.step("suspended organizations are not enqueued", async () => {
      await rolledBack(sql, async (tx) => {
        const [suspended] = await createOrganizations(tx, [{ status: "suspended" }]);
        await tx`select * from nightly.enqueue_due_organizations('2026-06-10T12:05:00Z')`;
        assert.deepEqual(await jobsOf(tx, suspended!), []);
      });
    });

    await t.step("a second tick for the same nights creates no run", async () => {
      await rolledBack(sql, async (tx) => {
        const organizations = await createOrganizations(tx, [{}, {}]);
        const [first] = await tx<{ run_id: string; job_count: number }[]>`
          select * from nightly.enqueue_due_organizations('2026-06-10T12:05:00Z')`;
        assert.ok(first && first.job_count >= 2);
        const second =
          await tx`select * from nightly.enqueue_due_organizations('2026-06-10T12:10:00Z')`;
        assert.equal(second.length, 0);
        const [run] = await tx<{ deadline_at: Date; job_count: number; pending_count: number }[]>`
          select deadline_at, job_count, pending_count from nightly.runs where id = ${first.run_id}`;
        assert.equal(run!.deadline_at.toISOString(), "2026-06-10T12:35:00.000Z");
        assert.equal(run!.pending_count, run!.job_count);
        for (const organization of organizations) {
          assert.deepEqual(await jobsOf(tx, organization), ["2026-06-10"]);
        }
        await assert.rejects(
          tx`insert into nightly.organization_runs
               (run_id, organization_id, local_date, time_zone, enqueued_at, visible_at)
             values (${first.run_id}, ${organizations[0]!.id}, '2026-06-10', 'UTC', now(), now())`,
          /organization_runs_one_per_night/,
        );
      });
    });
  } finally {
    await sql.end();
  }
});

Deno.test("nightly.enqueue_due_organizations: unchanged organizations are settled by the tick, not queued", async (t) => {
  const sql = connectAsSuperuser(1);
  const tick = "2026-06-10T12:05:00Z";
  const hoursBefore = (hours: number) => new Date(Date.parse(tick) - hours * 3_600_000);
  const setState = (tx: TransactionSql, id: string, rebuiltAt: Date, changedAt: Date | null) =>
    tx`insert into analytics.organization_state (organization_id, last_rebuilt_at, last_changed_at)
       values (${id}, ${rebuiltAt}, ${changedAt})
       on conflict (organization_id) do update
         set last_rebuilt_at = excluded.last_rebuilt_at, last_changed_at = excluded.last_changed_at`;
  const jobs = (tx: TransactionSql, ids: string[]) =>
    tx<
      { organization_id: string; status: string; skip_reason: string | null; finished: boolean }[]
    >`
      select organization_id, status::text, skip_reason, finished_at is not null as finished
      from nightly.organization_runs where organization_id in ${tx(ids)}`;
  try {
    await t.step("only changed, stale or never rebuilt organizations are queued", async () => {
      await rolledBack(sql, async (tx) => {
        const [fresh, dirty, old, never] = await createOrganizations(tx, [{}, {}, {}, {}]);
        await setState(tx, fresh!.id, hoursBefore(2), hoursBefore(3));
        await setState(tx, dirty!.id, hoursBefore(2), hoursBefore(1));
        await setState(tx, old!.id, hoursBefore(13), null);
        const [run] = await tx<{ run_id: string; job_count: number }[]>`
          select * from nightly.enqueue_due_organizations(${tick}, '02:00', '30 minutes', '12 hours')`;
        const byId = new Map(
          (await jobs(tx, [fresh!.id, dirty!.id, old!.id, never!.id])).map((
            j,
          ) => [j.organization_id, j]),
        );
        assert.deepEqual(
          [fresh!, dirty!, old!, never!].map((o) => {
            const job = byId.get(o.id)!;
            return [job.status, job.skip_reason, job.finished];
          }),
          [["skipped", "unchanged", true], ["queued", null, false], ["queued", null, false], [
            "queued",
            null,
            false,
          ]],
        );
        const [counts] = await tx<
          { job_count: number; pending_count: number; skipped_count: number }[]
        >`
          select job_count, pending_count, skipped_count from nightly.runs where id = ${
          run!.run_id
        }`;
        assert.deepEqual({ ...counts }, {
          job_count: run!.job_count,
          pending_count: run!.job_count - 1,
          skipped_count: 1,
        });
      });
    });

    await t.step(
      "a night with nothing to rebuild is closed by the tick, with its summary",
      async () => {
        await rolledBack(sql, async (tx) => {
          // Every active organization of this transaction's view is unchanged and recent.
          await createOrganizations(tx, [{}, {}]);
          await tx`
          insert into analytics.organization_state (organization_id, last_rebuilt_at)
          select id, ${hoursBefore(1)} from public.organizations
          on conflict (organization_id) do update
            set last_rebuilt_at = excluded.last_rebuilt_at, last_changed_at = null`;
          const [run] = await tx<{ run_id: string; job_count: number }[]>`
          select * from nightly.enqueue_due_organizations(${tick})`;
          const [state] = await tx<
            { status: string; pending_count: number; skipped_count: number }[]
          >`
          select status::text, pending_count, skipped_count from nightly.runs where id = ${
            run!.run_id
          }`;
          assert.deepEqual({ ...state }, {
            status: "completed",
            pending_count: 0,
            skipped_count: run!.job_count,
          });
          const notices = await tx`
          select 1 from nightly.webhook_outbox where run_id = ${run!.run_id}`;
          assert.equal(notices.length, 1, "the run summary is written");
        });
      },
    );
  } finally {
    await sql.end();
  }
});
