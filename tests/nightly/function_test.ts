/**
 * The nightly-refresh function through the gateway (real time): the cron
 * secret guards every invocation (401 and nothing happens without it), ticks
 * that arrive together rebuild once, and GET /status serves the service role
 * and organization admins their view.
 */
import assert from "node:assert/strict";
import type { Sql } from "postgres";
import { mintUserToken } from "../../local-stack/keys.ts";
import { functionUrl, testStack } from "../support/stack.ts";
import { broadcastsTo, jobsOf, withOrganizations } from "./support/harness.ts";
import { type NightlyOrganization, stackCronSecret } from "./support/organizations.ts";

function post(headers: Record<string, string>, body: string | null = '{"task":"tick"}') {
  return fetch(functionUrl("nightly-refresh"), {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    ...(body === null ? {} : { body }),
  });
}

async function footprint(sql: Sql, organization: NightlyOrganization) {
  const [row] = await sql<{ runs: number; jobs: number; notices: number; requests: number }[]>`
    select (select count(*)::int from nightly.runs) as runs,
           (select count(*)::int from nightly.organization_runs
             where organization_id = ${organization.id}) as jobs,
           (select count(*)::int from nightly.webhook_outbox) as notices,
           (select count(*)::int from net.http_request_queue) as requests`;
  return row!;
}

Deno.test("without the cron secret: 401 JSON and nothing happens", async (t) => {
  await withOrganizations([{}], async ([due], sql) => {
    const secret = await stackCronSecret(sql);
    const before = await footprint(sql, due!);
    const attempts: Array<[string, Record<string, string>]> = [
      ["no Authorization header", {}],
      ["a wrong secret", { Authorization: "Bearer not-the-nightly-cron-secret-0000000000" }],
      ["the secret plus one character", { Authorization: `Bearer ${secret}x` }],
      ["a prefix of the secret", { Authorization: `Bearer ${secret.slice(0, -1)}` }],
      ["the service-role key", { Authorization: `Bearer ${testStack.serviceRoleKey}` }],
      ["the secret in another header", { apikey: secret }],
      ["the secret without Bearer", { Authorization: secret }],
    ];
    for (const [name, headers] of attempts) {
      await t.step(name, async () => {
        const response = await post(headers);
        assert.equal(response.status, 401);
        assert.match(response.headers.get("content-type") ?? "", /application\/json/);
        const body = await response.json();
        assert.equal(body.error.code, "unauthorized");
        assert.ok(!JSON.stringify(body).includes(secret));
      });
    }
    await t.step("a bad body is not even read without the secret", async () => {
      const response = await post({}, "{not json");
      assert.equal(response.status, 401);
      await response.body?.cancel();
    });
    assert.deepEqual(await footprint(sql, due!), before, "no run, job, notice or request");
  });
});

Deno.test("with the secret: bad requests are refused before any work", async (t) => {
  await withOrganizations([{}], async ([due], sql) => {
    const auth = { Authorization: `Bearer ${await stackCronSecret(sql)}` };
    const before = await footprint(sql, due!);
    const cases: Array<[string, () => Promise<Response>, number, string]> = [
      ["an unknown task", () => post(auth, '{"task":"rebuild-all"}'), 400, "invalid_request"],
      [
        "an unknown field",
        () => post(auth, '{"task":"tick","now":"2026-01-01"}'),
        400,
        "invalid_request",
      ],
      ["malformed JSON", () => post(auth, "{"), 400, "invalid_request"],
      [
        "a text body",
        () =>
          fetch(functionUrl("nightly-refresh"), {
            method: "POST",
            headers: { ...auth, "Content-Type": "text/plain" },
            body: "tick",
          }),
        415,
        "unsupported_media_type",
      ],
      [
        "GET on the invocation route",
        () => fetch(functionUrl("nightly-refresh"), { headers: auth }),
        405,
        "method_not_allowed",
      ],
      [
        "an unknown route",
        () => fetch(functionUrl("nightly-refresh/run"), { method: "POST", headers: auth }),
        404,
        "not_found",
      ],
    ];
    for (const [name, send, status, code] of cases) {
      await t.step(name, async () => {
        const response = await send();
        const body = await response.json();
        assert.equal(response.status, status, JSON.stringify(body));
        assert.equal(body.error.code, code);
      });
    }
    assert.deepEqual(await footprint(sql, due!), before);
  });
});

Deno.test("two ticks at the same moment through the gateway rebuild each organization once", async () => {
  await withOrganizations(
    [{}, {}, {}, { timeZone: "Pacific/Auckland" }],
    async (organizations, sql) => {
      const auth = { Authorization: `Bearer ${await stackCronSecret(sql)}` };
      const responses = await Promise.all([post(auth), post(auth, null)]);
      const reports = await Promise.all(responses.map((response) => response.json()));
      assert.deepEqual(
        responses.map((response) => response.status),
        [200, 200],
        JSON.stringify(reports),
      );
      assert.equal(reports.filter((report) => report.enqueued !== null).length, 1);

      const jobs = await jobsOf(sql, organizations);
      assert.equal(jobs.length, organizations.length);
      for (const [index, job] of jobs.entries()) {
        assert.equal(job.status, "refreshed", JSON.stringify(job));
        assert.equal(job.attempts, 1);
        const organization = organizations.find((o) => o.id === job.organization_id)!;
        const [due] = await sql<{ date: string }[]>`
        select nightly.due_local_date(${organization.timeZone}, now(), '02:00')::text as date`;
        assert.equal(job.local_date, due!.date, `job ${index}`);
        assert.equal((await broadcastsTo(sql, organization)).length, 1);
      }
    },
  );
});

Deno.test("GET /status: everything for the service role, their organizations for admins", async (t) => {
  await withOrganizations([{}, {}, {}], async ([a, b, overdue], sql) => {
    const auth = { Authorization: `Bearer ${await stackCronSecret(sql)}` };
    // Refresh A and B; C stays as it is: never refreshed, created long ago, so overdue.
    await sql`update public.organizations set status = 'suspended' where id = ${overdue!.id}`;
    const tick = await post(auth);
    assert.equal(tick.status, 200);
    await tick.body?.cancel();
    await sql`update public.organizations set status = 'active' where id = ${overdue!.id}`;

    const status = async (token: string | undefined, query = "") => {
      const response = await fetch(functionUrl(`nightly-refresh/status${query}`), {
        headers: token ? { Authorization: `Bearer ${token}` } : {},
      });
      return { status: response.status, body: await response.json() };
    };

    await t.step(
      "the service role: the last run with its totals, overdue organizations",
      async () => {
        const { status: code, body } = await status(testStack.serviceRoleKey);
        assert.equal(code, 200, JSON.stringify(body));
        assert.equal(typeof body.last_run.refreshed_count, "number");
        assert.equal(body.organizations, null, "per-organization detail only on request");
        assert.ok(
          body.overdue_organizations.some((o: { organization_id: string }) =>
            o.organization_id === overdue!.id
          ),
        );
        assert.deepEqual(Object.keys(body.queue).sort(), [
          "queued",
          "running",
          "waiting_for_retry",
        ]);
        assert.equal(typeof body.notices.parked, "number", "the outbox, parked notices included");
        assert.ok(Array.isArray(body.notices.parked_notices));
        const one = await status(testStack.serviceRoleKey, `?organization_id=${a!.id}`);
        assert.equal(one.body.organizations.length, 1);
        assert.equal(one.body.organizations[0].last_result.status, "refreshed");
        assert.equal(one.body.organizations[0].overdue, false);
      },
    );

    await t.step("an admin: their organization only, no run totals", async () => {
      const { status: code, body } = await status(await mintUserToken({ userId: a!.adminId }));
      assert.equal(code, 200, JSON.stringify(body));
      assert.deepEqual(
        body.organizations.map((o: { organization_id: string }) => o.organization_id),
        [
          a!.id,
        ],
      );
      assert.equal(body.organizations[0].last_result.status, "refreshed");
      assert.equal(body.organizations[0].needs_rebuild, false);
      assert.equal(body.notices, undefined, "notices describe every organization");
      assert.deepEqual(Object.keys(body.last_run).sort(), [
        "finished_at",
        "id",
        "started_at",
        "status",
        "ticked_at",
      ]);
      assert.equal(body.overdue_count, 0);
    });

    await t.step("an overdue organization's admin sees it overdue", async () => {
      const { body } = await status(await mintUserToken({ userId: overdue!.adminId }));
      assert.equal(body.overdue_count, 1);
      assert.equal(body.organizations[0].overdue, true);
      assert.equal(body.organizations[0].last_result, null);
    });

    await t.step("browsers: CORS preflight and headers", async () => {
      const preflight = await fetch(functionUrl("nightly-refresh/status"), {
        method: "OPTIONS",
        headers: { Origin: "https://admin.example.com", "Access-Control-Request-Method": "GET" },
      });
      await preflight.body?.cancel();
      assert.equal(preflight.status, 204);
      assert.equal(preflight.headers.get("access-control-allow-origin"), "*");
      const response = await fetch(functionUrl("nightly-refresh/status"), {
        headers: { Authorization: `Bearer ${testStack.serviceRoleKey}`, Origin: "https://x.test" },
      });
      await response.body?.cancel();
      assert.equal(response.headers.get("access-control-allow-origin"), "*");
    });

    await t.step("the hourly overdue check through the gateway", async () => {
      const response = await post(auth, '{"task":"overdue-check"}');
      const body = await response.json();
      assert.equal(response.status, 200, JSON.stringify(body));
      assert.equal(body.task, "overdue-check");
      assert.ok(body.overdue >= 1);
      const alerts = await sql<{ event: { organizations: { organization_id: string }[] } }[]>`
        delete from nightly.webhook_outbox
         where kind = 'overdue_alert' and created_at >= now() - interval '1 minute'
        returning event`;
      assert.equal(alerts.length, 1);
      assert.ok(alerts[0]!.event.organizations.some((o) => o.organization_id === overdue!.id));
    });

    await t.step("refused: another organization, a member, anon, no token, bad query", async () => {
      const adminA = await mintUserToken({ userId: a!.adminId });
      const cases: Array<[string | undefined, string, number]> = [
        [adminA, `?organization_id=${b!.id}`, 403],
        [await mintUserToken({ userId: a!.memberId }), "", 403],
        [testStack.anonKey, "", 401],
        [undefined, "", 401],
        [adminA, "?organization_id=nope", 400],
        [adminA, `?organization=${a!.id}`, 400],
      ];
      for (const [token, query, expected] of cases) {
        const { status: code, body } = await status(token, query);
        assert.equal(code, expected, `${query}: ${JSON.stringify(body)}`);
        assert.ok(body.error.code);
      }
    });
  });
});
