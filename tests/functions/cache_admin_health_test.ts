/**
 * `cache-admin/health` end to end: healthy when nothing is wrong, and each
 * condition flagged (with its severity) when it is set up, just past its
 * threshold and not at it.
 */
import assert from "node:assert/strict";
import type { Sql } from "postgres";
import { LOCAL_ANON_KEY, LOCAL_SECRET_KEY } from "../../local-stack/keys.ts";
import { z } from "zod";
import { HEALTH_CHECKS, healthReportSchema } from "../../shared/cache_admin/health_report.ts";
import type { TwoTenants } from "../domain/support/tenants.ts";
import { pollUntil } from "../support/poll.ts";
import { rawRequest } from "../support/raw_http.ts";
import { connectAsSuperuser, testStack } from "../support/stack.ts";
import { adminGet, adminPost, forgetOrganizations, seedEntries } from "./cache_admin_support.ts";
import { serviceRoleKey, tokenFor, withTwoTenants } from "./datasets_support.ts";

interface Reason {
  check: string;
  severity: string;
  message: string;
  recommendation: string;
}

async function withTenants(work: (t: TwoTenants, sql: Sql) => Promise<void>): Promise<void> {
  await withTwoTenants(async (t) => {
    const sql = connectAsSuperuser(1);
    try {
      await work(t, sql);
    } finally {
      await forgetOrganizations(sql, t.orgA, t.orgB);
      await sql.end();
    }
  });
}

/** Reads of this hour for an organization's price-alerts. */
async function recordReads(
  sql: Sql,
  organizationId: string,
  counts: { hits?: number; stale_hits?: number; misses?: number; compute_failures?: number },
): Promise<void> {
  await sql`select cache.record_hits('[]', ${
    sql.json([{
      organization_id: organizationId,
      dataset: "price-alerts",
      ...counts,
    }])
  })`;
}

async function health(token: string, query: string) {
  const { response, body } = await adminGet(token, `health?${query}`);
  assert.equal(response.status, 200, JSON.stringify(body));
  // Every answer has exactly the documented shape (strict: no field more or less).
  const parsed = healthReportSchema.safeParse(body);
  assert.ok(parsed.success, `${JSON.stringify(parsed.error?.issues)}\n${JSON.stringify(body)}`);
  // deno-lint-ignore no-explicit-any
  return body as { status: string; reasons: Reason[]; checks: Record<string, any> };
}

Deno.test('the health report\'s schema, its rules and README "Health" name the same checks', () => {
  assert.deepEqual(Object.keys(healthReportSchema.shape.checks.shape), [...HEALTH_CHECKS]);
  assert.deepEqual(healthReportSchema.shape.reasons.element.shape.check.options, [
    ...HEALTH_CHECKS,
  ]);
  const readme = Deno.readTextFileSync(new URL("../../README.md", import.meta.url));
  const section = readme.slice(readme.indexOf("### Health"), readme.indexOf("### Maintenance"));
  const documented = [...section.matchAll(/^\| `([a-z_]+)`/gm)].map((match) => match[1]);
  assert.deepEqual(documented, [...HEALTH_CHECKS]);
  // "Figures of each check": one line per check listing exactly the schema's fields.
  const checks = healthReportSchema.shape.checks.shape;
  const fieldsOf = (schema: z.ZodType): string[] => {
    if (schema instanceof z.ZodOptional) return fieldsOf(schema.unwrap() as z.ZodType);
    if (schema instanceof z.ZodUnion) {
      return [...new Set((schema.options as z.ZodType[]).flatMap(fieldsOf))];
    }
    return Object.keys((schema as z.ZodObject).shape);
  };
  for (const check of HEALTH_CHECKS) {
    // The list item (possibly wrapped), without its parenthesized nested fields.
    const item = section.match(new RegExp(`^- \`${check}\`: ((?:.|\n(?!- |\n))*)`, "m"));
    assert.ok(item, `README "Health" lists the figures of ${check}`);
    const topLevel = item[1]!.replace(/\([^)]*\)/g, "");
    const listed = [...topLevel.matchAll(/`([a-z_]+)`/g)].map((match) => match[1]);
    assert.deepEqual(listed, fieldsOf(checks[check]), check);
  }
});

const checksOf = (body: { reasons: Reason[] }) => body.reasons.map((reason) => reason.check);

Deno.test("health flags each condition of an organization when it is set up", async (t) => {
  await withTenants(async (tenants, sql) => {
    const owner = await tokenFor(tenants.ownerA);
    const query = `organization_id=${tenants.orgA}`;

    await t.step(
      "nothing wrong: healthy, no reasons, no whole-cache checks for an owner",
      async () => {
        const body = await health(owner, query);
        assert.deepEqual({ status: body.status, reasons: body.reasons }, {
          status: "healthy",
          reasons: [],
        });
        assert.deepEqual(Object.keys(body.checks).sort(), [
          "expired_entries",
          "failing_datasets",
          "hit_rate",
          "overdue_nightly_organizations",
        ]);
      },
    );

    await t.step("hit rate 70% over 20 reads: healthy; below 70%: degraded", async () => {
      await recordReads(sql, tenants.orgA, { hits: 10, stale_hits: 4, misses: 6 });
      const at = await health(owner, query);
      assert.equal(at.checks.hit_rate.hit_rate, 0.7);
      assert.deepEqual(checksOf(at), []);
      await recordReads(sql, tenants.orgA, { misses: 1 });
      const below = await health(owner, query);
      assert.equal(below.status, "degraded");
      assert.deepEqual(checksOf(below), ["hit_rate"]);
      assert.match(below.reasons[0]!.message, /Hit rate 66\.7% is below 70\.0%: 14 of 21 reads/);
      assert.match(below.reasons[0]!.recommendation, /metrics/);
      await sql`delete from cache.counters where organization_id = ${tenants.orgA}`;
    });

    await t.step("fewer than 20 reads are not judged", async () => {
      await recordReads(sql, tenants.orgA, { misses: 19 });
      assert.deepEqual(checksOf(await health(owner, query)), []);
      await sql`delete from cache.counters where organization_id = ${tenants.orgA}`;
    });

    await t.step("100 expired entries: healthy; 101: degraded", async () => {
      const expired = (n: number) =>
        Array.from({ length: n }, (_, i) => ({
          organizationId: tenants.orgA,
          dataset: "location-data",
          params: { n: i },
          ageMs: 7_200_000,
          retentionMs: 3_600_000,
        }));
      await seedEntries(sql, expired(100));
      const at = await health(owner, query);
      assert.equal(at.checks.expired_entries.count, 100);
      assert.deepEqual(checksOf(at), []);
      await seedEntries(sql, [{ ...expired(1)[0]!, params: { n: 100 } }]);
      const above = await health(owner, query);
      assert.deepEqual(checksOf(above), ["expired_entries"]);
      assert.equal(above.status, "degraded");
      assert.match(above.reasons[0]!.recommendation, /cleanup_expired/);
      await sql`delete from cache.entries where organization_id = ${tenants.orgA}`;
    });

    await t.step("rebuilt 24 h ago: healthy; 26 h ago: overdue, degraded", async () => {
      // An organization rebuilt 26 h ago existed then: one created seconds ago is never overdue.
      await sql`
        update public.organizations set created_at = now() - interval '2 days'
        where id = ${tenants.orgA}`;
      await sql`
        update analytics.organization_state set last_rebuilt_at = now() - interval '24 hours'
        where organization_id = ${tenants.orgA}`;
      assert.deepEqual(checksOf(await health(owner, query)), []);
      await sql`
        update analytics.organization_state set last_rebuilt_at = now() - interval '26 hours'
        where organization_id = ${tenants.orgA}`;
      const overdue = await health(owner, query);
      assert.deepEqual(checksOf(overdue), ["overdue_nightly_organizations"]);
      assert.equal(overdue.checks.overdue_nightly_organizations.count, 1);
      assert.equal(
        overdue.checks.overdue_nightly_organizations.organizations[0].organization_id,
        tenants.orgA,
      );
      // A suspended organization is never overdue.
      await sql`update public.organizations set status = 'suspended' where id = ${tenants.orgA}`;
      assert.deepEqual(checksOf(await health(serviceRoleKey, query)).filter(notGlobal), []);
      await sql`update public.organizations set status = 'active' where id = ${tenants.orgA}`;
      await sql`
        update analytics.organization_state set last_rebuilt_at = now()
        where organization_id = ${tenants.orgA}`;
    });

    await t.step("never rebuilt and created 2 days ago: overdue", async () => {
      const queryB = `organization_id=${tenants.orgB}`;
      assert.deepEqual(checksOf(await health(serviceRoleKey, queryB)).filter(notGlobal), []);
      await sql`
        update public.organizations set created_at = now() - interval '2 days'
        where id = ${tenants.orgB}`;
      const body = await health(serviceRoleKey, queryB);
      assert.deepEqual(checksOf(body).filter(notGlobal), ["overdue_nightly_organizations"]);
      assert.equal(
        body.checks.overdue_nightly_organizations.organizations[0].last_refreshed_at,
        null,
      );
    });

    await t.step("2 failed computations: healthy; 3 of 4: critical", async () => {
      await recordReads(sql, tenants.orgA, { misses: 1, compute_failures: 2 });
      assert.deepEqual(checksOf(await health(owner, query)), []);
      await recordReads(sql, tenants.orgA, { compute_failures: 1 });
      const failing = await health(owner, query);
      assert.equal(failing.status, "critical");
      assert.deepEqual(checksOf(failing), ["failing_datasets"]);
      assert.match(
        failing.reasons[0]!.message,
        new RegExp(`price-alerts of ${tenants.orgA} \\(3 failed, 1 succeeded\\)`),
      );
      assert.deepEqual(failing.checks.failing_datasets.datasets, [{
        organization_id: tenants.orgA,
        dataset: "price-alerts",
        failures: 3,
        misses: 1,
        failing: true,
      }]);
    });

    await t.step("failures are judged per organization: B stays healthy", async () => {
      const body = await health(serviceRoleKey, `organization_id=${tenants.orgB}`);
      assert.ok(!checksOf(body).includes("failing_datasets"));
    });
  });
});

/** Reasons about the whole cache (service role), which other tests may set off. */
const notGlobal = (check: string) => check !== "table_bloat" && check !== "cleanup_job";

Deno.test("health flags bloated cache tables until optimize vacuums them (service role)", async () => {
  const sql = connectAsSuperuser(1);
  const org = crypto.randomUUID();
  const bloated = async () => {
    const body = await health(serviceRoleKey, "");
    const entries = body.checks.table_bloat.tables.find((table: { table: string }) =>
      table.table === "cache.entries"
    );
    return { flagged: checksOf(body).includes("table_bloat"), entries, body };
  };
  try {
    // Autovacuum would clean the dead rows on its own schedule: keep it out of the way.
    await sql`alter table cache.entries set (autovacuum_enabled = false)`;
    await sql`vacuum cache.entries`;
    assert.equal((await bloated()).entries.bloated, false);
    await sql`
      insert into cache.entries (key, organization_id, dataset, body, etag, tag_versions,
        created_at, fresh_until, expires_at)
      select ${org} || ':price-alerts:n=' || i, ${org}, 'price-alerts', repeat('x', 200), '"e"',
        jsonb_build_object('org:' || ${org}, 0), now(), now(), now() + interval '1 hour'
      from generate_series(1, 5000) as i`;
    await sql`delete from cache.entries where organization_id = ${org}`;
    await sql`select pg_stat_force_next_flush()`;
    await sql`select 1`;
    const seen = await pollUntil(
      "the dead rows in the statistics",
      async () => {
        const state = await bloated();
        return state.flagged ? state : undefined;
      },
      15_000,
      200,
    );
    assert.ok(seen.entries.dead_rows >= 5000, JSON.stringify(seen.entries));
    const reason = seen.body.reasons.find((r: Reason) => r.check === "table_bloat")!;
    assert.equal(reason.severity, "degraded");
    assert.match(reason.message, /cache\.entries \(\d+ dead rows, \d+\.\d%\)/);
    assert.match(reason.recommendation, /optimize/);
    assert.match(seen.body.checks.table_bloat.measure, /n_dead_tup/);

    const { response } = await adminPost(serviceRoleKey, "maintenance", { action: "optimize" });
    assert.equal(response.status, 200);
    const after = await bloated();
    assert.equal(after.flagged, false, JSON.stringify(after.entries));
    assert.equal(after.entries.dead_rows, 0);
  } finally {
    await sql`alter table cache.entries reset (autovacuum_enabled)`;
    await sql`delete from cache.entries where organization_id = ${org}`;
    await sql.end();
  }
});

Deno.test("health checks the cleanup job: missing, paused, off its interval, then rescheduled", async (t) => {
  const sql = connectAsSuperuser(1);
  const jobReason = async () =>
    (await health(serviceRoleKey, "")).reasons.find((r) => r.check === "cleanup_job");
  try {
    await t.step("as migrated: hourly, as CACHE_CLEANUP_INTERVAL=1h asks", async () => {
      const body = await health(serviceRoleKey, "");
      assert.deepEqual(
        { ...body.checks.cleanup_job, last_run: undefined },
        {
          exists: true,
          schedule: "0 * * * *",
          expected_schedule: "0 * * * *",
          active: true,
          last_run: undefined,
        },
      );
      assert.equal(await jobReason(), undefined);
    });
    await t.step("paused: degraded", async () => {
      await sql`
        select cron.alter_job(jobid, active := false) from cron.job
        where jobname = 'nightshift-cache-cleanup'`;
      assert.match((await jobReason())!.message, /paused/);
    });
    await t.step(
      "every 30 minutes (registering activates it): off CACHE_CLEANUP_INTERVAL",
      async () => {
        await sql`select cache_admin.schedule_cleanup(interval '30 minutes')`;
        assert.equal((await health(serviceRoleKey, "")).checks.cleanup_job.active, true);
        assert.match(
          (await jobReason())!.message,
          /"\*\/30 \* \* \* \*", CACHE_CLEANUP_INTERVAL asks for "0 \* \* \* \*"/,
        );
      },
    );
    await t.step("missing: degraded", async () => {
      await sql`select cron.unschedule('nightshift-cache-cleanup')`;
      assert.match((await jobReason())!.message, /does not exist/);
      assert.deepEqual((await health(serviceRoleKey, "")).checks.cleanup_job, { exists: false });
    });
    await t.step("POST maintenance/schedule registers it again, once, and logs it", async () => {
      const { response, body } = await adminPost(serviceRoleKey, "maintenance/schedule", {});
      assert.equal(response.status, 200, JSON.stringify(body));
      assert.deepEqual(body, {
        job: "nightshift-cache-cleanup",
        interval: "1h",
        schedule: "0 * * * *",
        command: "select * from cache_admin.run_scheduled_cleanup()",
      });
      // As README's curl sends it: no body at all (no Content-Length, no Transfer-Encoding),
      // the secret key as apikey, through the gateway (which forwarded an empty stream as
      // chunked, and the route answered 415).
      const bodiless = await rawRequest(
        Number(new URL(testStack.apiUrl).port),
        "POST /functions/v1/cache-admin/maintenance/schedule HTTP/1.1\r\n" +
          `apikey: ${LOCAL_SECRET_KEY}\r\n`,
      );
      assert.equal(bodiless.status, 200, bodiless.text);
      assert.equal(JSON.parse(bodiless.body).job, "nightshift-cache-cleanup");
      const [jobs] = await sql`
        select count(*)::int as n from cron.job where jobname = 'nightshift-cache-cleanup'`;
      assert.equal(jobs!.n, 1);
      assert.equal(await jobReason(), undefined);
      const [logged] = await sql`
        select actor_role, criteria, details from cache_admin.maintenance_log
        where action = 'schedule_cleanup' order by id desc limit 1`;
      assert.deepEqual({ ...logged }, {
        actor_role: "service_role",
        criteria: { interval: "1h" },
        details: { schedule: "0 * * * *" },
      });
    });
  } finally {
    await sql`select cache_admin.schedule_cleanup(interval '1 hour')`;
    await sql.end();
  }
});

Deno.test("health and the schedule are for owners, admins and the service role only", async (t) => {
  await withTenants(async (tenants) => {
    const org = `organization_id=${tenants.orgA}`;
    const cases: [string, string | undefined, string, number][] = [
      ["a member", await tokenFor(tenants.memberA), `health?${org}`, 403],
      ["a member of B", await tokenFor(tenants.memberB), `health?${org}`, 403],
      [
        "the owner of A for B",
        await tokenFor(tenants.ownerA),
        `health?organization_id=${tenants.orgB}`,
        403,
      ],
      ["the owner without organization_id", await tokenFor(tenants.ownerA), "health", 400],
      ["the anon key", LOCAL_ANON_KEY, `health?${org}`, 401],
      ["no token", undefined, `health?${org}`, 401],
      ["a malformed organization", serviceRoleKey, "health?organization_id=x", 400],
      ["hours out of range", serviceRoleKey, "health?hours=169", 400],
    ];
    for (const [label, token, path, status] of cases) {
      await t.step(`${label}: ${status}`, async () => {
        const { response, body } = await adminGet(token, path);
        assert.equal(response.status, status, JSON.stringify(body));
      });
    }
    await t.step("an admin may check health", async () => {
      assert.equal((await health(await tokenFor(tenants.adminA), org)).status, "healthy");
    });
    await t.step("the owner may not reschedule the cleanup: 403", async () => {
      const { response, body } = await adminPost(
        await tokenFor(tenants.ownerA),
        "maintenance/schedule",
        {},
      );
      assert.equal(response.status, 403);
      assert.match(body.error.message, /Service role only/);
    });
  });
});
