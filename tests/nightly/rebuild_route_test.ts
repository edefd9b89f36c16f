/**
 * "Rebuild now" and the run history through the gateway (real time):
 * POST /nightly-refresh/rebuild queues one organization through the nightly
 * queue (once while it waits), which is then refreshed like a night — log,
 * broadcast, notice; GET /nightly-refresh/runs lists it; bad input and other
 * callers are refused with nothing queued. Jobs are awaited event-driven
 * (`waitForJobToSettle`: the refresh's NOTIFY, a check every second, 60 s at
 * most, failing at once with the error when an attempt failed).
 */
import assert from "node:assert/strict";
import type { Sql } from "postgres";
import { mintUserToken } from "../../local-stack/keys.ts";
import { functionUrl, testStack } from "../support/stack.ts";
import { broadcastsTo, waitForJobToSettle, withOrganizations } from "./support/harness.ts";

async function call(
  method: "GET" | "POST",
  path: string,
  token: string | undefined,
  body?: string,
  contentType = "application/json",
) {
  const response = await fetch(functionUrl(`nightly-refresh/${path}`), {
    method,
    headers: {
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { "Content-Type": contentType }),
    },
    ...(body === undefined ? {} : { body }),
  });
  return { status: response.status, body: await response.json() };
}

async function jobCount(sql: Sql, organizationId: string): Promise<number> {
  const [row] = await sql<{ count: number }[]>`
    select count(*)::int as count from nightly.organization_runs
    where organization_id = ${organizationId}`;
  return row!.count;
}

Deno.test("POST /rebuild refreshes an organization now, like a night", async (t) => {
  await withOrganizations([{}, {}], async ([org, other], sql) => {
    const admin = await mintUserToken({ userId: org!.adminId });
    let jobId = 0;
    await t.step("202 queued, then refreshed by the worker it started", async () => {
      const answer = await call(
        "POST",
        "rebuild",
        admin,
        JSON.stringify({ organization_id: org!.id.toUpperCase() }),
      );
      assert.equal(answer.status, 202, JSON.stringify(answer.body));
      assert.equal(answer.body.status, "queued");
      assert.equal(answer.body.organization_id, org!.id);
      jobId = answer.body.job_id;
      const job = await waitForJobToSettle(sql, org!.id, jobId);
      assert.deepEqual(
        { status: job.status, kind: job.kind, requested_by: job.requested_by },
        { status: "refreshed", kind: "rebuild", requested_by: org!.adminId },
        JSON.stringify(job),
      );
    });

    await t.step("the same log, broadcast and notice as a night", async () => {
      const [log] = await sql<{ update_type: string }[]>`
        select update_type from public.cache_invalidation_log where organization_id = ${org!.id}`;
      assert.equal(log?.update_type, "nightly_refresh");
      const broadcasts = await broadcastsTo(sql, org!);
      assert.ok(broadcasts.some((message) => message.event === "cache_invalidation"));
      const [notice] = await sql<{ kind: string }[]>`
        select notice.kind from nightly.webhook_outbox as notice
        join nightly.organization_runs as job on job.run_id = notice.run_id
        where job.id = ${jobId}`;
      assert.equal(notice?.kind, "run_summary");
      assert.equal(await jobCount(sql, other!.id), 0, "no other organization was queued");
    });

    await t.step("GET /runs lists the rebuild; the service role may ask too", async () => {
      for (const token of [admin, testStack.serviceRoleKey]) {
        const answer = await call("GET", `runs?organization_id=${org!.id}`, token);
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        assert.equal(answer.body.runs[0].id, jobId);
        assert.equal(answer.body.runs[0].kind, "rebuild");
        assert.equal(answer.body.runs[0].status, "refreshed");
        assert.equal(typeof answer.body.runs[0].duration_ms, "number");
        assert.equal(answer.body.last_error, null);
        assert.ok(Array.isArray(answer.body.pending_notices));
      }
    });

    await t.step("enqueue_rebuild is idempotent while a job waits", async () => {
      const now = new Date();
      const first = await sql<{ job_id: string; created: boolean }[]>`
        select job_id, created from nightly.enqueue_rebuild(${org!.id}, ${now})`;
      const second = await sql<{ job_id: string; created: boolean }[]>`
        select job_id, created from nightly.enqueue_rebuild(${org!.id}, ${now})`;
      assert.equal(first[0]!.created, true);
      assert.deepEqual(second[0], { job_id: first[0]!.job_id, created: false });
      const answer = await call(
        "POST",
        "rebuild",
        admin,
        JSON.stringify({ organization_id: org!.id }),
      );
      assert.equal(answer.status, 202);
      assert.equal(answer.body.status, "already_queued");
      assert.equal(String(answer.body.job_id), String(first[0]!.job_id));
      // Settled either way (refreshed, or skipped as unchanged): the point is that it ran once.
      await waitForJobToSettle(sql, org!.id, first[0]!.job_id);
    });
  });
});

Deno.test("POST /rebuild and GET /runs refuse bad input and other callers", async () => {
  await withOrganizations(
    [{}, {}, { status: "suspended" }],
    async ([org, other, suspended], sql) => {
      const admin = await mintUserToken({ userId: org!.adminId });
      const member = await mintUserToken({ userId: org!.memberId });
      const service = testStack.serviceRoleKey;
      const body = (id: string) => JSON.stringify({ organization_id: id });
      const cases: [string, () => ReturnType<typeof call>, number, string][] = [
        ["anonymous", () => call("POST", "rebuild", undefined, body(org!.id)), 401, "unauthorized"],
        ["the anon key", () => call("POST", "rebuild", testStack.anonKey, body(org!.id)), 401, ""],
        ["a member", () => call("POST", "rebuild", member, body(org!.id)), 403, "forbidden"],
        [
          "another organization",
          () => call("POST", "rebuild", admin, body(other!.id)),
          403,
          "forbidden",
        ],
        ["not JSON", () => call("POST", "rebuild", admin, "{", "application/json"), 400, ""],
        ["text/plain", () => call("POST", "rebuild", admin, body(org!.id), "text/plain"), 415, ""],
        ["no organization", () => call("POST", "rebuild", admin, "{}"), 400, "invalid_request"],
        ["not a UUID", () => call("POST", "rebuild", admin, body("org-1")), 400, "invalid_request"],
        [
          "an unknown field",
          () =>
            call("POST", "rebuild", admin, JSON.stringify({ organization_id: org!.id, now: 1 })),
          400,
          "invalid_request",
        ],
        [
          "an unknown organization",
          () => call("POST", "rebuild", service, body(crypto.randomUUID())),
          404,
          "not_found",
        ],
        [
          "a suspended one",
          () => call("POST", "rebuild", service, body(suspended!.id)),
          409,
          "conflict",
        ],
        ["GET /rebuild", () => call("GET", "rebuild", admin), 405, "method_not_allowed"],
        ["runs without organization", () => call("GET", "runs", admin), 400, "invalid_request"],
        [
          "runs, limit 0",
          () => call("GET", `runs?organization_id=${org!.id}&limit=0`, admin),
          400,
          "",
        ],
        [
          "runs, limit x",
          () => call("GET", `runs?organization_id=${org!.id}&limit=x`, admin),
          400,
          "",
        ],
        ["runs, unknown", () => call("GET", `runs?organization_id=${org!.id}&x=1`, admin), 400, ""],
        ["runs of a member", () => call("GET", `runs?organization_id=${org!.id}`, member), 403, ""],
        [
          "runs, anonymous",
          () => call("GET", `runs?organization_id=${org!.id}`, undefined),
          401,
          "",
        ],
      ];
      for (const [name, send, status, code] of cases) {
        const answer = await send();
        assert.equal(answer.status, status, `${name}: ${JSON.stringify(answer.body)}`);
        assert.equal(typeof answer.body.error?.message, "string", name);
        if (code) assert.equal(answer.body.error.code, code, name);
      }
      for (const organization of [org!, other!, suspended!]) {
        assert.equal(
          await jobCount(sql, organization.id),
          0,
          `nothing queued for ${organization.name}`,
        );
      }
    },
  );
});
