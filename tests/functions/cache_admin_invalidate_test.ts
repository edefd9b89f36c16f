/**
 * `cache-admin/invalidate` end to end: who may invalidate, the audit row and
 * Realtime broadcast in one transaction, expire vs purge as readers see it,
 * Realtime RLS per organization, and every bad input refused with nothing written.
 */
import assert from "node:assert/strict";
import { TEST_INTERVALS } from "../support/test_function_env.ts";
import { invalidationNotice } from "../../shared/invalidation/invalidation_notice.ts";
import type { Sql } from "postgres";
import { LOCAL_ANON_KEY } from "../../local-stack/keys.ts";
import { createTwoTenants, dropTwoTenants, type TwoTenants } from "../domain/support/tenants.ts";
import { asActor } from "../support/as_role.ts";
import { connectAsPlatformAdmin, connectAsSuperuser, functionUrl } from "../support/stack.ts";
import { adminPost } from "./cache_admin_support.ts";
import { readDataset, serviceRoleKey, tokenFor } from "./datasets_support.ts";

function invalidate(token: string | undefined, body: unknown, init: RequestInit = {}) {
  return adminPost(token, "invalidate", body, init);
}

async function writes(
  sql: Sql,
  organizationId: string,
): Promise<{ audits: number; messages: number }> {
  const [row] = await sql<{ audits: number; messages: number }[]>`
    select (select count(*)::int from cache.invalidation_audit where organization_id = ${organizationId}) as audits,
           (select count(*)::int from realtime.messages
             where topic = ${`cache-invalidation:${organizationId}`}) as messages`;
  return row!;
}

async function withTenants(work: (t: TwoTenants, sql: Sql) => Promise<void>): Promise<void> {
  const sql = connectAsSuperuser(2);
  const tenants = await createTwoTenants(sql);
  // The fixture's own writes were invalidations too (cause write): start from a clean slate.
  await sql`delete from cache.invalidation_audit where organization_id in (${tenants.orgA}, ${tenants.orgB})`;
  // postgres may not delete from realtime.messages (as on hosted): the platform admin does.
  const admin = connectAsPlatformAdmin();
  try {
    await admin`
      delete from realtime.messages
      where topic in (${`cache-invalidation:${tenants.orgA}`}, ${`cache-invalidation:${tenants.orgB}`})`;
  } finally {
    await admin.end();
  }
  try {
    await work(tenants, sql);
  } finally {
    await sql`delete from cache.invalidation_audit where organization_id in (${tenants.orgA}, ${tenants.orgB})`;
    await dropTwoTenants(sql, tenants);
    await sql.end();
  }
}

/** Waits past the L1 bound of the datasets isolate (CACHE_L1_REVALIDATE_INTERVAL, short in tests). */
const pastL1Bound = () =>
  new Promise((resolve) => setTimeout(resolve, TEST_INTERVALS.l1RevalidateMs + 100));

Deno.test("an owner's purge is audited, broadcast, and never served again", async () => {
  await withTenants(async (t, sql) => {
    const reader = await tokenFor(t.memberA);
    const query = `organization_id=${t.orgA}`;
    const before = await readDataset(reader, "supplier-data", query);
    assert.equal(before.response.status, 200, before.text);

    const { response, body } = await invalidate(await tokenFor(t.ownerA), {
      organization_id: t.orgA,
      datasets: ["supplier-data"],
      mode: "purge",
      reason: "supplier master data corrected",
    });
    assert.equal(response.status, 200, JSON.stringify(body));
    assert.equal(body.mode, "purge");
    assert.deepEqual(body.invalidated.map((i: { tag: string }) => i.tag), [
      `org:${t.orgA}:dataset:supplier-data`,
    ]);

    const [audit] = await sql<
      { actor_user_id: string; actor_role: string; reason: string; datasets: string[] }[]
    >`
      select actor_user_id, actor_role, reason, datasets from cache.invalidation_audit where id = ${body.audit_id}`;
    assert.deepEqual({ ...audit }, {
      actor_user_id: t.ownerA,
      actor_role: "owner",
      reason: "supplier master data corrected",
      datasets: ["supplier-data"],
    });
    const [message] = await sql<
      { payload: Record<string, unknown>; event: string; private: boolean }[]
    >`
      select payload, event, private from realtime.messages where topic = ${`cache-invalidation:${t.orgA}`}`;
    assert.equal(message!.event, "cache_invalidation");
    assert.equal(message!.private, true);
    const notice = invalidationNotice.parse(message!.payload);
    assert.deepEqual({ ...notice, seq: 0, at: "", id: "" }, {
      v: 1,
      seq: 0,
      organization_id: t.orgA,
      cause: "admin",
      action: "purge",
      datasets: ["supplier-data"],
      tags: [`org:${t.orgA}:dataset:supplier-data`],
      at: "",
      id: "", // realtime.send adds the message id (upstream realtime.send)
      details: { reason: "supplier master data corrected" },
    });
    // The stored message also carries the id realtime.send adds (upstream realtime.send).
    const { id: _id, ...sent } = message!.payload as Record<string, unknown>;
    assert.deepEqual(body.notice, sent);

    await pastL1Bound();
    const after = await readDataset(reader, "supplier-data", query);
    assert.equal(after.response.headers.get("x-cache"), "MISS");
    // Same rows, same bytes (the ETag derives from the data); recomputed all the same.
    assert.notEqual(
      after.response.headers.get("x-generated-at"),
      before.response.headers.get("x-generated-at"),
    );
  });
});

Deno.test("an admin's expire lets readers get the old body only as STALE", async () => {
  await withTenants(async (t) => {
    const reader = await tokenFor(t.memberA);
    const query = `organization_id=${t.orgA}`;
    const before = await readDataset(reader, "product-metrics", query);
    const { response } = await invalidate(await tokenFor(t.adminA), {
      organization_id: t.orgA,
      datasets: ["product-metrics"],
      mode: "expire",
    });
    assert.equal(response.status, 200);
    await pastL1Bound();
    const after = await readDataset(reader, "product-metrics", query);
    assert.equal(after.response.headers.get("x-cache"), "STALE");
    assert.equal(after.text, before.text);
  });
});

Deno.test("invalidation is for owners, admins and the service role only", async (t) => {
  await withTenants(async (tenants, sql) => {
    const body = { organization_id: tenants.orgA, mode: "expire" };
    const cases: Array<[string, string | undefined, number]> = [
      ["a member of A", await tokenFor(tenants.memberA), 403],
      ["a member of B", await tokenFor(tenants.memberB), 403],
      ["a removed member of A", await tokenFor(tenants.removedA), 403],
      ["the anon key", LOCAL_ANON_KEY, 401],
      ["no token", undefined, 401],
    ];
    for (const [label, token, status] of cases) {
      await t.step(`${label} is refused with ${status}`, async () => {
        const { response } = await invalidate(token, body);
        assert.equal(response.status, status);
        assert.deepEqual(await writes(sql, tenants.orgA), { audits: 0, messages: 0 });
      });
    }
    await t.step("the service role may invalidate any organization", async () => {
      const { response, body: answer } = await invalidate(serviceRoleKey, {
        organization_id: tenants.orgB,
        mode: "expire",
      });
      assert.equal(response.status, 200);
      assert.deepEqual(answer.invalidated.map((i: { tag: string }) => i.tag), [
        `org:${tenants.orgB}`,
      ]);
    });
  });
});

Deno.test("invalidation refuses bad input with a clear error and writes nothing", async (t) => {
  await withTenants(async (tenants, sql) => {
    const owner = await tokenFor(tenants.ownerA);
    const org = tenants.orgA;
    const cases: Array<[string, unknown, number, RegExp, RequestInit?]> = [
      ["non-JSON body", "mode=purge", 415, /Content-Type: application\/json/, {
        headers: { "Content-Type": "text/plain", Authorization: `Bearer ${owner}` },
      }],
      ["malformed JSON", "{", 400, /Malformed JSON/],
      [
        "oversize body",
        { organization_id: org, mode: "expire", reason: "x".repeat(20_000) },
        413,
        /Body too large/,
      ],
      ["missing mode", { organization_id: org }, 400, /mode/],
      [
        "unknown mode",
        { organization_id: org, mode: "delete" },
        400,
        /mode: must be "expire" or "purge"/,
      ],
      [
        "malformed organization",
        { organization_id: "abc", mode: "expire" },
        400,
        /organization_id: must be a UUID/,
      ],
      [
        "empty tag",
        { organization_id: org, mode: "expire", tags: [""] },
        400,
        /tags\.0: must not be empty/,
      ],
      [
        "tag too long",
        { organization_id: org, mode: "expire", tags: ["t".repeat(129)] },
        400,
        /tags\.0: must be at most 128/,
      ],
      [
        "malformed tag",
        { organization_id: org, mode: "expire", tags: ["no spaces"] },
        400,
        /Invalid tag/,
      ],
      [
        "too many tags",
        {
          organization_id: org,
          mode: "expire",
          tags: Array.from({ length: 101 }, (_, i) => `t${i}`),
        },
        400,
        /at most 100 tags/,
      ],
      [
        "unknown dataset",
        { organization_id: org, mode: "expire", datasets: ["sales"] },
        400,
        /datasets\.0: must be one of/,
      ],
      [
        "unknown field",
        { organization_id: org, mode: "expire", everything: true },
        400,
        /everything/,
      ],
      ["wrong method", undefined, 405, /Method not allowed/, { method: "GET", body: null }],
    ];
    for (const [label, body, status, message, init] of cases) {
      await t.step(label, async () => {
        const { response, body: answer } = await invalidate(owner, body, init ?? {});
        assert.equal(response.status, status, JSON.stringify(answer));
        assert.match(answer.error.message, message);
        assert.deepEqual(await writes(sql, org), { audits: 0, messages: 0 });
      });
    }
    await t.step("unknown route", async () => {
      const response = await fetch(functionUrl("cache-admin/everything"), {
        headers: { Authorization: `Bearer ${owner}` },
      });
      assert.equal(response.status, 404);
      assert.equal((await response.json()).error.code, "not_found");
    });
  });
});

Deno.test("only an organization's members receive its invalidation broadcasts", async () => {
  await withTenants(async (t, sql) => {
    for (const org of [t.orgA, t.orgB]) {
      const { response } = await invalidate(serviceRoleKey, {
        organization_id: org,
        mode: "expire",
      });
      assert.equal(response.status, 200);
    }
    // What the Realtime server does before delivering: read as the subscriber with the topic set.
    const receivable = (userId: string, topic: string) =>
      asActor(sql, { role: "authenticated", userId }, async (tx) => {
        await tx`select set_config('realtime.topic', ${topic}, true)`;
        const rows = await tx<{ topic: string }[]>`
          select topic from realtime.messages where topic = ${topic}`;
        return rows.length;
      });
    assert.equal(await receivable(t.memberA, `cache-invalidation:${t.orgA}`), 1);
    assert.equal(await receivable(t.memberB, `cache-invalidation:${t.orgA}`), 0);
    assert.equal(await receivable(t.removedA, `cache-invalidation:${t.orgA}`), 0);
    assert.equal(await receivable(t.memberB, `cache-invalidation:${t.orgB}`), 1);
    const anonymous = await asActor(sql, { role: "anon" }, async (tx) => {
      await tx`select set_config('realtime.topic', ${`cache-invalidation:${t.orgA}`}, true)`;
      return (await tx`select 1 from realtime.messages`).length;
    });
    assert.equal(anonymous, 0);
  });
});
