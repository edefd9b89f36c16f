/**
 * `cache-admin/maintenance` end to end: what each action deletes (counted, and
 * nothing else, never another organization's entries), the two-step emergency
 * clear, every bad input refused with nothing deleted, and the log.
 */
import assert from "node:assert/strict";
import { invalidationNotice } from "../../shared/invalidation/invalidation_notice.ts";
import type { Sql } from "postgres";
import { LOCAL_ANON_KEY } from "../../local-stack/keys.ts";
import type { TwoTenants } from "../domain/support/tenants.ts";
import { connectAsSuperuser, functionUrl } from "../support/stack.ts";
import { adminPost, forgetOrganizations, seedEntries, storedKeys } from "./cache_admin_support.ts";
import { serviceRoleKey, tokenFor, withTwoTenants } from "./datasets_support.ts";

const HOUR = 3_600_000;

/** The same six entries for an organization; returns their keys by name. */
async function seedFixture(sql: Sql, organizationId: string): Promise<Record<string, string>> {
  const names = ["expired", "purged", "unusedOld", "usedOld", "unusedNew", "tagged"] as const;
  const keys = await seedEntries(sql, [
    {
      organizationId,
      dataset: "price-alerts",
      params: { n: 1 },
      ageMs: 2 * HOUR,
      retentionMs: HOUR,
      hitCount: 3,
    },
    {
      organizationId,
      dataset: "price-alerts",
      params: { n: 2 },
      ageMs: 600_000,
      hitCount: 2,
      customTags: ["doomed"],
    },
    {
      organizationId,
      dataset: "supplier-data",
      params: { n: 3 },
      ageMs: 2 * HOUR,
      retentionMs: 24 * HOUR,
    },
    {
      organizationId,
      dataset: "supplier-data",
      params: { n: 4 },
      ageMs: 2 * HOUR,
      retentionMs: 24 * HOUR,
      hitCount: 5,
    },
    {
      organizationId,
      dataset: "supplier-data",
      params: { n: 5 },
      ageMs: 600_000,
      retentionMs: 24 * HOUR,
    },
    {
      organizationId,
      dataset: "location-data",
      params: { n: 6 },
      ageMs: 3 * HOUR,
      retentionMs: 24 * HOUR,
      hitCount: 1,
      customTags: ["supplier-42"],
    },
  ]);
  // "purged" was written under version 0 of its custom tag: purging the tag kills it.
  await sql`select * from cache.invalidate_tags(${[`org:${organizationId}:tag:doomed`]}, 'purge')`;
  return Object.fromEntries(names.map((name, index) => [name, keys[index]!]));
}

interface Fixture {
  readonly t: TwoTenants;
  readonly sql: Sql;
  readonly a: Record<string, string>;
  readonly b: Record<string, string>;
  /** Seeds both organizations again (after deleting their entries). */
  reseed(): Promise<void>;
}

async function withFixture(work: (fixture: Fixture) => Promise<void>): Promise<void> {
  await withTwoTenants(async (t) => {
    const sql = connectAsSuperuser(1);
    const fixture = {
      t,
      sql,
      a: {} as Record<string, string>,
      b: {} as Record<string, string>,
      async reseed() {
        await sql`delete from cache.entries where organization_id in (${t.orgA}, ${t.orgB})`;
        await sql`delete from cache.leases where starts_with(key, ${t.orgA}) or starts_with(key, ${t.orgB})`;
        Object.assign(fixture.a, await seedFixture(sql, t.orgA));
        Object.assign(fixture.b, await seedFixture(sql, t.orgB));
      },
    };
    try {
      await fixture.reseed();
      await work(fixture);
    } finally {
      await forgetOrganizations(sql, t.orgA, t.orgB);
      await sql.end();
    }
  });
}

/** A's keys without `deleted`, sorted. */
function keysWithout(keys: Record<string, string>, ...deleted: string[]): string[] {
  return Object.entries(keys).filter(([name]) => !deleted.includes(name)).map(([, key]) => key)
    .sort();
}

Deno.test("each maintenance action deletes exactly what it should, in one organization only", async (t) => {
  await withFixture(async (f) => {
    const owner = await tokenFor(f.t.ownerA);
    const admin = await tokenFor(f.t.adminA);
    const orgA = f.t.orgA;
    const cases: [string, string, Record<string, unknown>, string[], Record<string, unknown>][] = [
      ["cleanup_expired", owner, { action: "cleanup_expired" }, ["expired", "purged"], {
        expired: 1,
        purged: 1,
      }],
      ["cleanup_unused", admin, { action: "cleanup_unused" }, ["unusedOld"], { unused: 1 }],
      [
        "selective_clear by custom tag",
        owner,
        {
          action: "selective_clear",
          tags: [`org:${orgA}:tag:supplier-42`],
        },
        ["tagged"],
        { matched: 1 },
      ],
      [
        "selective_clear by dataset tag",
        owner,
        {
          action: "selective_clear",
          tags: [`org:${orgA}:dataset:price-alerts`],
        },
        ["expired", "purged"],
        { matched: 2 },
      ],
      [
        "selective_clear by key prefix",
        owner,
        {
          action: "selective_clear",
          key_prefixes: [`${orgA}:supplier-data:`],
        },
        ["unusedOld", "usedOld", "unusedNew"],
        { matched: 3 },
      ],
      ["selective_clear by age", owner, { action: "selective_clear", older_than_hours: 2.5 }, [
        "tagged",
      ], { matched: 1 }],
      [
        "selective_clear by key prefix and age",
        admin,
        {
          action: "selective_clear",
          key_prefixes: [`${orgA}:supplier-data:`],
          older_than_hours: 1,
        },
        ["unusedOld", "usedOld"],
        { matched: 2 },
      ],
      ["optimize", owner, { action: "optimize" }, ["expired", "purged"], {
        expired: 1,
        purged: 1,
        leases: 1,
        vacuumed: [],
      }],
    ];
    for (const [label, token, request, deleted, details] of cases) {
      await t.step(label, async () => {
        await f.reseed();
        await f.sql`
          insert into cache.leases (key, holder, expires_at) values
            (${`${orgA}:price-alerts:n=9`}, 'h', now() - interval '1 minute'),
            (${`${orgA}:price-alerts:n=8`}, 'h', now() + interval '1 minute'),
            (${`${f.t.orgB}:price-alerts:n=9`}, 'h', now() - interval '1 minute')`;
        const { response, body } = await adminPost(token, "maintenance", {
          ...request,
          organization_id: orgA,
        });
        assert.equal(response.status, 200, JSON.stringify(body));
        assert.equal(body.status, "done");
        assert.equal(body.organization_id, orgA);
        assert.equal(body.deleted_entries, deleted.length);
        assert.deepEqual(body.details, details);
        assert.deepEqual(await storedKeys(f.sql, orgA), keysWithout(f.a, ...deleted));
        assert.deepEqual(await storedKeys(f.sql, f.t.orgB), keysWithout(f.b), "B untouched");
        const [lease] = await f.sql`
          select count(*)::int as n from cache.leases where starts_with(key, ${f.t.orgB})`;
        assert.equal(lease!.n, 1, "B's lease untouched");
        const [logged] = await f.sql`
          select actor_user_id, actor_role, action, deleted_entries::int, criteria, details
          from cache_admin.maintenance_log where id = ${body.log_id}`;
        assert.deepEqual(
          { ...logged },
          {
            actor_user_id: token === owner ? f.t.ownerA : f.t.adminA,
            actor_role: token === owner ? "owner" : "admin",
            action: request.action,
            deleted_entries: deleted.length,
            criteria: Object.fromEntries(
              Object.entries(request).filter(([name]) => name !== "action"),
            ),
            details,
          },
        );
      });
    }
  });
});

Deno.test("the service role maintains every organization at once; optimize then vacuums", async (t) => {
  await withFixture(async (f) => {
    await t.step("cleanup_expired without organization_id reaches both organizations", async () => {
      const { response, body } = await adminPost(serviceRoleKey, "maintenance", {
        action: "cleanup_expired",
      });
      assert.equal(response.status, 200, JSON.stringify(body));
      assert.equal(body.organization_id, null);
      assert.ok(body.deleted_entries >= 4, JSON.stringify(body));
      assert.deepEqual(await storedKeys(f.sql, f.t.orgA), keysWithout(f.a, "expired", "purged"));
      assert.deepEqual(await storedKeys(f.sql, f.t.orgB), keysWithout(f.b, "expired", "purged"));
    });
    await t.step("optimize deletes, then runs VACUUM (ANALYZE) on the cache tables", async () => {
      await f.reseed();
      const [before] = await f.sql`
        select coalesce(vacuum_count, 0)::int as n from pg_stat_user_tables
        where schemaname = 'cache' and relname = 'entries'`;
      const { response, body } = await adminPost(serviceRoleKey, "maintenance", {
        action: "optimize",
      });
      assert.equal(response.status, 200, JSON.stringify(body));
      assert.deepEqual(body.details.vacuumed, [
        "cache.entries",
        "cache.leases",
        "cache.counters",
        "cache.tag_versions",
      ]);
      assert.deepEqual(await storedKeys(f.sql, f.t.orgB), keysWithout(f.b, "expired", "purged"));
      const [after] = await f.sql`
        select vacuum_count::int as n from pg_stat_user_tables
        where schemaname = 'cache' and relname = 'entries'`;
      assert.equal(after!.n, before!.n + 1);
    });
  });
});

Deno.test("emergency_clear needs a single-use confirmation token bound to caller and organization", async (t) => {
  await withFixture(async (f) => {
    const owner = await tokenFor(f.t.ownerA);
    const admin = await tokenFor(f.t.adminA);
    const orgA = f.t.orgA;
    const clear = (token: string, extra: Record<string, unknown> = {}) =>
      adminPost(token, "maintenance", {
        action: "emergency_clear",
        organization_id: orgA,
        ...extra,
      });
    const untouched = async () => {
      assert.deepEqual(await storedKeys(f.sql, orgA), keysWithout(f.a), "A untouched");
      assert.deepEqual(await storedKeys(f.sql, f.t.orgB), keysWithout(f.b), "B untouched");
    };
    let token = "";

    await t.step("without a token: nothing deleted, a token returned", async () => {
      const { response, body } = await clear(owner);
      assert.equal(response.status, 200, JSON.stringify(body));
      assert.equal(body.status, "confirmation_required");
      assert.equal(body.entries, 6);
      assert.match(body.confirmation_token, /^[A-Za-z0-9_-]{43}$/);
      const expiresIn = Date.parse(body.expires_at) - Date.now();
      assert.ok(expiresIn > 4 * 60_000 && expiresIn <= 5 * 60_000, body.expires_at);
      token = body.confirmation_token;
      await untouched();
      const [stored] = await f.sql`
        select count(*)::int as n from cache_admin.confirmation_tokens
        where token_hash = sha256(convert_to(${token}, 'UTF8')) and actor_user_id = ${f.t.ownerA}`;
      assert.equal(stored!.n, 1);
    });
    await t.step("another caller's token: 403, nothing deleted", async () => {
      const byAdmin = await clear(admin, { confirmation_token: token });
      assert.equal(byAdmin.response.status, 403, JSON.stringify(byAdmin.body));
      assert.match(byAdmin.body.error.message, /not issued to you for this organization/);
      const byService = await clear(serviceRoleKey, { confirmation_token: token });
      assert.equal(byService.response.status, 403);
      await untouched();
    });
    await t.step("a token for one organization does not clear every organization", async () => {
      const { response } = await adminPost(serviceRoleKey, "maintenance", {
        action: "emergency_clear",
        confirmation_token: (await clear(serviceRoleKey)).body.confirmation_token,
      });
      assert.equal(response.status, 403);
      await untouched();
    });
    await t.step("a made-up token: 403, nothing deleted", async () => {
      const { response } = await clear(owner, { confirmation_token: "A".repeat(43) });
      assert.equal(response.status, 403);
      await untouched();
    });
    await t.step(
      "with the token: A's entries and leases deleted, tag purged, purge broadcast",
      async () => {
        await f.sql`
        insert into cache.leases (key, holder, expires_at)
        values (${`${orgA}:price-alerts:n=9`}, 'h', now() + interval '1 minute')`;
        const { response, body } = await clear(owner, { confirmation_token: token });
        assert.equal(response.status, 200, JSON.stringify(body));
        assert.equal(body.deleted_entries, 6);
        assert.deepEqual(body.details, { leases: 1, purged_tags: 1 });
        assert.deepEqual(await storedKeys(f.sql, orgA), []);
        assert.deepEqual(await storedKeys(f.sql, f.t.orgB), keysWithout(f.b), "B untouched");
        const [tag] = await f.sql`
        select version = purged_version as purged from cache.tag_versions where tag = ${`org:${orgA}`}`;
        assert.equal(tag?.purged, true);
        const messages = await f.sql`
        select payload from realtime.messages
        where topic = ${`cache-invalidation:${orgA}`} and payload ->> 'cause' = 'maintenance'`;
        assert.deepEqual(
          messages.map((m) => {
            const notice = invalidationNotice.parse(m.payload);
            return { action: notice.action, datasets: notice.datasets, details: notice.details };
          }),
          [{ action: "purge", datasets: null, details: { reason: "emergency_clear" } }],
        );
        const [logged] = await f.sql`
        select action, deleted_entries::int, actor_user_id from cache_admin.maintenance_log
        where id = ${body.log_id}`;
        assert.deepEqual({ ...logged }, {
          action: "emergency_clear",
          deleted_entries: 6,
          actor_user_id: f.t.ownerA,
        });
      },
    );
    await t.step("the same token again: 409, nothing deleted", async () => {
      await f.reseed();
      const { response, body } = await clear(owner, { confirmation_token: token });
      assert.equal(response.status, 409, JSON.stringify(body));
      assert.match(body.error.message, /already used/);
      await untouched();
    });
    await t.step("an expired token: 409, nothing deleted", async () => {
      const fresh = (await clear(owner)).body.confirmation_token;
      await f.sql`
        update cache_admin.confirmation_tokens set expires_at = now() - interval '1 second',
          created_at = now() - interval '5 minutes'
        where token_hash = sha256(convert_to(${fresh}, 'UTF8'))`;
      const { response, body } = await clear(owner, { confirmation_token: fresh });
      assert.equal(response.status, 409, JSON.stringify(body));
      assert.match(body.error.message, /expired/);
      await untouched();
    });
    await t.step("the service role clears every organization with its own token", async () => {
      const first = await adminPost(serviceRoleKey, "maintenance", { action: "emergency_clear" });
      assert.ok(first.body.entries >= 12, JSON.stringify(first.body));
      const { response, body } = await adminPost(serviceRoleKey, "maintenance", {
        action: "emergency_clear",
        confirmation_token: first.body.confirmation_token,
      });
      assert.equal(response.status, 200, JSON.stringify(body));
      assert.deepEqual(await storedKeys(f.sql, orgA), []);
      assert.deepEqual(await storedKeys(f.sql, f.t.orgB), []);
    });
  });
});

Deno.test("maintenance refuses bad input with a clear 4xx error and deletes nothing", async (t) => {
  await withFixture(async (f) => {
    const owner = await tokenFor(f.t.ownerA);
    const orgA = f.t.orgA;
    const orgB = f.t.orgB;
    const cases: [string, string | undefined, unknown, number, RegExp, RequestInit?][] = [
      [
        "unknown action",
        owner,
        { action: "drop_everything", organization_id: orgA },
        400,
        /action: must be one of cleanup_expired, cleanup_unused, selective_clear, optimize, emergency_clear/,
      ],
      ["missing action", owner, { organization_id: orgA }, 400, /action/],
      ["action not a string", owner, { action: 7, organization_id: orgA }, 400, /action/],
      [
        "a clear without criterion",
        owner,
        { action: "selective_clear", organization_id: orgA },
        400,
        /needs at least one criterion/,
      ],
      [
        "empty tags",
        owner,
        { action: "selective_clear", organization_id: orgA, tags: [] },
        400,
        /tags: must not be empty/,
      ],
      [
        "empty key prefix",
        owner,
        { action: "selective_clear", organization_id: orgA, key_prefixes: [""] },
        400,
        /key_prefixes\.0: must not be empty/,
      ],
      [
        "zero hours",
        owner,
        { action: "selective_clear", organization_id: orgA, older_than_hours: 0 },
        400,
        /older_than_hours: must be at least 1/,
      ],
      [
        "hours as text",
        owner,
        { action: "selective_clear", organization_id: orgA, older_than_hours: "3" },
        400,
        /older_than_hours: must be a number/,
      ],
      [
        "another organization's tag",
        owner,
        { action: "selective_clear", organization_id: orgA, tags: [`org:${orgB}`] },
        400,
        /tags\.0: must be a tag of organization/,
      ],
      [
        "another organization's key prefix",
        owner,
        { action: "selective_clear", organization_id: orgA, key_prefixes: [`${orgB}:`] },
        400,
        /key_prefixes\.0: must start with/,
      ],
      [
        "an unknown field",
        owner,
        { action: "cleanup_expired", organization_id: orgA, everything: true },
        400,
        /everything/,
      ],
      [
        "a malformed organization",
        owner,
        { action: "cleanup_expired", organization_id: "abc" },
        400,
        /organization_id: must be a UUID/,
      ],
      [
        "a malformed confirmation token",
        owner,
        { action: "emergency_clear", organization_id: orgA, confirmation_token: "abc" },
        400,
        /confirmation_token/,
      ],
      [
        "an owner without organization_id",
        owner,
        { action: "cleanup_expired" },
        400,
        /Missing organization_id/,
      ],
      [
        "an organization the caller does not administer",
        owner,
        { action: "cleanup_expired", organization_id: orgB },
        403,
        /Not an owner or admin/,
      ],
      [
        "a member",
        await tokenFor(f.t.memberA),
        { action: "cleanup_expired", organization_id: orgA },
        403,
        /Not an owner or admin/,
      ],
      [
        "a removed member",
        await tokenFor(f.t.removedA),
        { action: "optimize", organization_id: orgA },
        403,
        /Not an owner or admin/,
      ],
      [
        "the anon key",
        LOCAL_ANON_KEY,
        { action: "cleanup_expired", organization_id: orgA },
        401,
        /Sign in/,
      ],
      ["no token", undefined, { action: "cleanup_expired", organization_id: orgA }, 401, /./],
      ["malformed JSON", owner, "{", 400, /Malformed JSON/],
      [
        "a body that is not JSON",
        owner,
        "action=optimize",
        415,
        /Content-Type: application\/json/,
        {
          headers: { "Content-Type": "text/plain", Authorization: `Bearer ${owner}` },
        },
      ],
      [
        "an oversize body",
        owner,
        { action: "selective_clear", organization_id: orgA, tags: ["t".repeat(20_000)] },
        413,
        /Body too large/,
      ],
    ];
    for (const [label, token, body, status, message, init] of cases) {
      await t.step(`${label}: ${status}`, async () => {
        const answer = await adminPost(token, "maintenance", body, init ?? {});
        assert.equal(answer.response.status, status, JSON.stringify(answer.body));
        assert.match(answer.body.error?.message ?? answer.body.msg, message);
        assert.deepEqual(await storedKeys(f.sql, orgA), keysWithout(f.a));
        assert.deepEqual(await storedKeys(f.sql, orgB), keysWithout(f.b));
      });
    }
    await t.step("GET: 405", async () => {
      const response = await fetch(functionUrl("cache-admin/maintenance"), {
        headers: { Authorization: `Bearer ${owner}` },
      });
      assert.equal(response.status, 405);
      assert.equal((await response.json()).error.code, "method_not_allowed");
    });
    const [logged] = await f.sql`
      select count(*)::int as n from cache_admin.maintenance_log
      where organization_id in (${orgA}, ${orgB})`;
    assert.equal(logged!.n, 0, "nothing was logged either");
  });
});
