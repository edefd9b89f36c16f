/**
 * `cache-admin/metrics` and `/metrics/prometheus` end to end: figures that match a
 * known sequence of reads exactly, tenant scoping, who may ask, and bad queries.
 */
import assert from "node:assert/strict";
import type { Sql } from "postgres";
import { CacheStack } from "../../shared/cache/cache_stack.ts";
import { FakeClock } from "../../shared/util/clock.ts";
import { PostgresCacheStore } from "../../shared/cache/postgres_store.ts";
import { LOCAL_ANON_KEY } from "../../local-stack/keys.ts";
import type { TwoTenants } from "../domain/support/tenants.ts";
import { connectAsServiceRole, testConfig } from "../cache/support.ts";
import { pollUntil } from "../support/poll.ts";
import { TEST_INTERVALS } from "../support/test_function_env.ts";
import { connectAsSuperuser, functionUrl } from "../support/stack.ts";
import { adminGet, forgetOrganizations, seedEntries } from "./cache_admin_support.ts";
import { readDataset, serviceRoleKey, tokenFor, withTwoTenants } from "./datasets_support.ts";

const bytes = (text: string) => new TextEncoder().encode(text).length;

/**
 * Plays a known sequence of reads of organization A through a CacheStack (as the
 * datasets function does, with fake time for the latencies), flushes the counts,
 * and adds an expired entry. Returns the bodies stored.
 */
async function playKnownReads(t: TwoTenants, admin: Sql): Promise<Record<string, string>> {
  const sql = connectAsServiceRole(2);
  const clock = new FakeClock(Date.now());
  const cache = new CacheStack({ store: new PostgresCacheStore(sql), config: testConfig(), clock });
  const computeTaking = (ms: number, value: unknown) => async () => {
    clock.advance(ms);
    return await Promise.resolve(value);
  };
  const read = (dataset: string, params: Record<string, number>, compute: () => Promise<unknown>) =>
    cache.get({ organizationId: t.orgA, dataset, params, compute });
  try {
    // price-alerts (fresh 30 s): a miss of 120 ms, three hits, then a stale hit
    // whose refresh stores the second body.
    await read("price-alerts", {}, computeTaking(120, { v: "pa1" }));
    for (let i = 0; i < 3; i++) await read("price-alerts", {}, computeTaking(0, "unused"));
    clock.advance(31_000);
    const stale = await read("price-alerts", {}, computeTaking(0, { v: "pa2" }));
    assert.equal(stale.status, "STALE");
    await cache.idle();
    // supplier-data: two misses of 30 ms, a hit, a failed computation.
    await read("supplier-data", { a: 1 }, computeTaking(30, { v: "sd1" }));
    await read("supplier-data", { a: 2 }, computeTaking(30, { v: "sd2" }));
    await read("supplier-data", { a: 1 }, computeTaking(0, "unused"));
    await assert.rejects(read("supplier-data", { a: 3 }, () => Promise.reject(new Error("boom"))));
    await cache.idle();
    await cache.hits.flush();
  } finally {
    await cache.idle();
    await sql.end();
  }
  // B's reads must never show in A's figures.
  await seedEntries(admin, [{ organizationId: t.orgB, dataset: "price-alerts", hitCount: 50 }]);
  await admin`
    insert into cache.counters (organization_id, dataset, bucket_start, hits, misses)
    values (${t.orgB}, 'price-alerts', date_trunc('hour', now()), 1000, 1)`;
  // Expired for ten minutes: counted as an entry and as expired.
  await seedEntries(admin, [{
    organizationId: t.orgA,
    dataset: "location-data",
    ageMs: 3_600_000,
    retentionMs: 3_000_000,
  }]);
  return { pa: '{"v":"pa2"}', sd1: '{"v":"sd1"}', sd2: '{"v":"sd2"}' };
}

async function withKnownReads(
  work: (t: TwoTenants, bodies: Record<string, string>, admin: Sql) => Promise<void>,
): Promise<void> {
  await withTwoTenants(async (t) => {
    const admin = connectAsSuperuser(1);
    try {
      const bodies = await playKnownReads(t, admin);
      await work(t, bodies, admin);
    } finally {
      await forgetOrganizations(admin, t.orgA, t.orgB);
      await admin.end();
    }
  });
}

Deno.test("metrics match a known sequence of hits, stale hits, misses and failures exactly", async (t) => {
  await withKnownReads(async (tenants, bodies, admin) => {
    const [locationKey] = await admin<{ key: string }[]>`
      select key from cache.entries where organization_id = ${tenants.orgA} and dataset = 'location-data'`;
    const locationBytes = bytes(JSON.stringify({ key: locationKey!.key }));
    for (
      const [label, token] of [
        ["the service role", serviceRoleKey],
        ["the owner", await tokenFor(tenants.ownerA)],
        ["an admin", await tokenFor(tenants.adminA)],
      ] as const
    ) {
      await t.step(`as ${label}`, async () => {
        const { response, body } = await adminGet(
          token,
          `metrics?organization_id=${tenants.orgA}`,
        );
        assert.equal(response.status, 200, JSON.stringify(body));
        assert.equal(body.organization_id, tenants.orgA);
        assert.equal(body.window.hours, 24);
        assert.deepEqual(body.overall, {
          entries: 4,
          bytes: bytes(bodies.pa!) + bytes(bodies.sd1!) + bytes(bodies.sd2!) + locationBytes,
          expired_entries: 1,
          avg_hits_per_entry: 5 / 4, // 4 on price-alerts (3 hits + 1 stale), 1 on supplier-data a=1
          max_hits_per_entry: 4,
          hits: 4,
          stale_hits: 1,
          misses: 3,
          waits: 0,
          hit_rate: 5 / 8,
          work_saved: 5 / 8,
          compute_failures: 1,
          latency: {
            hit: { reads: 4, p50_ms: 1, p95_ms: 1 },
            stale: { reads: 1, p50_ms: 1, p95_ms: 1 },
            // 30, 30 and 120 ms: the 2nd read is in the bucket ≤ 50 ms, the 3rd in ≤ 250 ms.
            miss: { reads: 3, p50_ms: 50, p95_ms: 250 },
          },
        });
        const byName = Object.fromEntries(
          body.datasets.map((d: { dataset: string }) => [d.dataset, d]),
        );
        assert.deepEqual(Object.keys(byName), ["location-data", "price-alerts", "supplier-data"]);
        assert.deepEqual(
          pick(byName["price-alerts"], "entries", "hits", "stale_hits", "misses", "hit_rate"),
          { entries: 1, hits: 3, stale_hits: 1, misses: 1, hit_rate: 4 / 5 },
        );
        assert.deepEqual(byName["price-alerts"].latency.miss, {
          reads: 1,
          p50_ms: 250,
          p95_ms: 250,
        });
        assert.deepEqual(
          pick(
            byName["supplier-data"],
            "entries",
            "hits",
            "misses",
            "hit_rate",
            "compute_failures",
            "avg_hits_per_entry",
            "max_hits_per_entry",
          ),
          {
            entries: 2,
            hits: 1,
            misses: 2,
            hit_rate: 1 / 3,
            compute_failures: 1,
            avg_hits_per_entry: 0.5,
            max_hits_per_entry: 1,
          },
        );
        assert.deepEqual(
          pick(byName["location-data"], "entries", "expired_entries", "hits", "hit_rate"),
          { entries: 1, expired_entries: 1, hits: 0, hit_rate: null },
        );
        const [top, second] = body.top_entries;
        assert.equal(top.key, `${tenants.orgA}:price-alerts:`);
        assert.equal(top.hits, 4);
        assert.deepEqual(top.tags, [
          `org:${tenants.orgA}`,
          `org:${tenants.orgA}:dataset:price-alerts`,
        ]);
        assert.equal(second.key, `${tenants.orgA}:supplier-data:a=1`);
        assert.equal(body.top_entries.length, 4);
        assert.deepEqual(body.entries_by_tag, [
          { tag: `org:${tenants.orgA}`, entries: 4 },
          { tag: `org:${tenants.orgA}:dataset:supplier-data`, entries: 2 },
          { tag: `org:${tenants.orgA}:dataset:location-data`, entries: 1 },
          { tag: `org:${tenants.orgA}:dataset:price-alerts`, entries: 1 },
        ]);
      });
    }
    await t.step("the service role without organization_id sees every organization", async () => {
      const { body } = await adminGet(serviceRoleKey, "metrics?top=100");
      assert.equal(body.organization_id, null);
      assert.ok(body.overall.hits >= 1004, JSON.stringify(body.overall));
      const keys = body.top_entries.map((entry: { key: string }) => entry.key);
      assert.ok(keys.includes(`${tenants.orgB}:price-alerts:`), "B's entry (50 hits) is listed");
    });
    await t.step("?top=1 lists one entry; ?hours=1 counts this hour only", async () => {
      const { body } = await adminGet(
        serviceRoleKey,
        `metrics?organization_id=${tenants.orgA}&top=1&hours=1`,
      );
      assert.equal(body.top_entries.length, 1);
      assert.equal(body.window.hours, 1);
      assert.equal(body.overall.misses, 3);
    });
  });
});

function pick(value: Record<string, unknown>, ...names: string[]): Record<string, unknown> {
  return Object.fromEntries(names.map((name) => [name, value[name]]));
}

Deno.test("metrics/prometheus renders the same figures in the Prometheus text format", async () => {
  await withKnownReads(async (tenants) => {
    const { response, body } = await adminGet(
      serviceRoleKey,
      `metrics/prometheus?organization_id=${tenants.orgA}`,
    );
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    const samples = new Map(
      (body as string).split("\n").filter((line) => line && !line.startsWith("#")).map((line) => {
        const at = line.lastIndexOf(" ");
        return [line.slice(0, at), Number(line.slice(at + 1))] as const;
      }),
    );
    const expected: Record<string, number> = {
      'nightshift_cache_entries{dataset="price-alerts"}': 1,
      'nightshift_cache_entries{dataset="supplier-data"}': 2,
      'nightshift_cache_expired_entries{dataset="location-data"}': 1,
      'nightshift_cache_reads{dataset="price-alerts",result="hit",window="24h"}': 3,
      'nightshift_cache_reads{dataset="price-alerts",result="stale",window="24h"}': 1,
      'nightshift_cache_reads{dataset="price-alerts",result="miss",window="24h"}': 1,
      'nightshift_cache_hit_ratio{dataset="price-alerts",window="24h"}': 0.8,
      'nightshift_cache_compute_failures{dataset="supplier-data",window="24h"}': 1,
      'nightshift_cache_read_latency_ms{dataset="supplier-data",result="miss",quantile="0.5",window="24h"}':
        50,
    };
    for (const [sample, value] of Object.entries(expected)) {
      assert.equal(samples.get(sample), value, `${sample} in:\n${body}`);
    }
    assert.match(body, /# TYPE nightshift_cache_reads gauge/);
    assert.ok(![...samples.keys()].some((name) => name.includes(tenants.orgB)));
  });
});

Deno.test("metrics of a real datasets read path: latency and counts flushed by the function", async () => {
  await withTwoTenants(async (t) => {
    const admin = connectAsSuperuser(1);
    try {
      const reader = await tokenFor(t.memberA);
      const query = `organization_id=${t.orgA}`;
      const statuses = [];
      for (let i = 0; i < 3; i++) {
        statuses.push(
          (await readDataset(reader, "supplier-data", query)).response.headers.get("x-cache"),
        );
      }
      assert.deepEqual(statuses, ["MISS", "HIT", "HIT"]);
      // The function flushes on the first read after CACHE_HIT_FLUSH_INTERVAL (short in the
      // test stack): read again until the counts of the three reads above show up.
      const owner = await tokenFor(t.ownerA);
      let extraReads = 0;
      const figures = await pollUntil(
        "the flushed counts",
        async () => {
          const { body } = await adminGet(owner, `metrics?${query}`);
          if (body.overall.hits + body.overall.misses >= 3) return body.overall;
          await readDataset(reader, "supplier-data", query);
          extraReads++;
          return undefined;
        },
        10_000,
        TEST_INTERVALS.hitFlushMs,
      );
      assert.equal(figures.misses, 1);
      assert.ok(figures.hits >= 2 && figures.hits <= 2 + extraReads, JSON.stringify(figures));
      assert.equal(figures.latency.hit.reads, figures.hits);
      assert.equal(figures.latency.miss.reads, 1);
      assert.equal(typeof figures.latency.miss.p95_ms, "number");
    } finally {
      await forgetOrganizations(admin, t.orgA, t.orgB);
      await admin.end();
    }
  });
});

Deno.test("metrics are for owners, admins and the service role; Prometheus for the service role", async (t) => {
  await withTwoTenants(async (tenants) => {
    const org = `organization_id=${tenants.orgA}`;
    const cases: [string, string | undefined, string, number, RegExp][] = [
      ["a member", await tokenFor(tenants.memberA), `metrics?${org}`, 403, /Not an owner or admin/],
      ["a member of B", await tokenFor(tenants.memberB), `metrics?${org}`, 403, /Not an owner/],
      ["a removed member", await tokenFor(tenants.removedA), `metrics?${org}`, 403, /Not an owner/],
      [
        "the owner of A for B",
        await tokenFor(tenants.ownerA),
        `metrics?organization_id=${tenants.orgB}`,
        403,
        /Not an owner/,
      ],
      [
        "the owner without organization_id",
        await tokenFor(tenants.ownerA),
        "metrics",
        400,
        /Missing organization_id/,
      ],
      ["the anon key", LOCAL_ANON_KEY, `metrics?${org}`, 401, /Sign in/],
      ["no token", undefined, `metrics?${org}`, 401, /./],
      [
        "the owner on Prometheus",
        await tokenFor(tenants.ownerA),
        `metrics/prometheus?${org}`,
        403,
        /Service role only/,
      ],
    ];
    for (const [label, token, path, status, message] of cases) {
      await t.step(`${label}: ${status}`, async () => {
        const { response, body } = await adminGet(token, path);
        assert.equal(response.status, status, JSON.stringify(body));
        assert.match(body.error.message, message);
      });
    }
    await t.step("a POST: 405 with Allow", async () => {
      const response = await fetch(functionUrl("cache-admin/metrics"), {
        method: "POST",
        headers: { Authorization: `Bearer ${serviceRoleKey}` },
      });
      assert.equal(response.status, 405);
      assert.equal(response.headers.get("allow"), "GET, HEAD, OPTIONS");
      assert.equal((await response.json()).error.code, "method_not_allowed");
    });
  });
});

Deno.test("metrics refuse malformed, unknown and repeated query parameters with 400", async (t) => {
  const cases: [string, RegExp][] = [
    ["organization_id=abc", /organization_id: must be a UUID/],
    ["hours=0", /hours: must be at least 1/],
    ["hours=2161", /hours: must be at most 2160/],
    ["hours=1.5", /hours: must be a whole number/],
    ["top=0", /top: must be at least 1/],
    ["everything=1", /everything/],
    ["hours=1&hours=2", /Repeated query parameter: hours/],
  ];
  for (const [query, message] of cases) {
    await t.step(query, async () => {
      const { response, body } = await adminGet(serviceRoleKey, `metrics?${query}`);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(body.error.code, "invalid_request");
      assert.match(body.error.message, message);
    });
  }
});

Deno.test({
  name:
    "metrics report the last nightly run: totals for the service role, the organization's job for its admins",
  fn: () =>
    withTwoTenants(async (tenants) => {
      const sql = connectAsSuperuser(1);
      let runId: string | undefined;
      try {
        const [run] = await sql<{ id: string }[]>`
          insert into nightly.runs (status, ticked_at, deadline_at, finished_at, job_count,
            pending_count, refreshed_count, failed_count)
          values ('partial', now(), now() + interval '30 minutes', now(), 2, 0, 1, 1)
          returning id`;
        runId = run!.id;
        await sql`
          insert into nightly.organization_runs (run_id, organization_id, local_date, time_zone,
            status, enqueued_at, visible_at, finished_at, last_error, attempts)
          values (${run!.id}, ${tenants.orgA}, current_date, 'Europe/Copenhagen', 'failed', now(),
            now(), now(), 'division by zero', 4)`;
        const all = await adminGet(serviceRoleKey, "metrics?hours=1&top=1");
        assert.equal(all.body.last_nightly_run.id, run!.id);
        assert.equal(all.body.last_nightly_run.failed_count, 1);
        const owner = await adminGet(
          await tokenFor(tenants.ownerA),
          `metrics?organization_id=${tenants.orgA}`,
        );
        const last = owner.body.last_nightly_run;
        assert.equal(last.id, run!.id);
        assert.equal(last.status, "partial");
        assert.equal(last.failed_count, undefined, "no totals of other organizations");
        assert.equal(last.organization.status, "failed");
        assert.equal(last.organization.last_error, "division by zero");
        const none = await adminGet(serviceRoleKey, `metrics?organization_id=${tenants.orgB}`);
        assert.equal(none.body.last_nightly_run, null);
      } finally {
        if (runId) await sql`delete from nightly.runs where id = ${runId}`;
        await sql.end();
      }
    }),
});
