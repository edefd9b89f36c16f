/**
 * The cache-admin routes the dashboard reads: `/organizations` (who the caller
 * is to the admin API), `/metrics/series` (hourly reads), `/invalidations` (the
 * audit) and `/entries` (entries with their state now). Figures, tenant scoping,
 * who may ask, and bad queries.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { readMetricsSeries } from "../../shared/cache_admin/metrics_series.ts";
import { readMetricsSnapshot, totalOf } from "../../shared/cache_admin/metrics_snapshot.ts";
import { LOCAL_ANON_KEY } from "../../local-stack/keys.ts";
import { type Actor, asActor } from "../support/as_role.ts";
import { connectAsSuperuser } from "../support/stack.ts";
import { adminGet, adminPost, forgetOrganizations, seedEntries } from "./cache_admin_support.ts";
import { serviceRoleKey, tokenFor, withTwoTenants } from "./datasets_support.ts";

const histogram = (bucket: number, reads: number) =>
  Array.from({ length: 14 }, (_, i) => (i === bucket ? reads : 0));

Deno.test("dashboard routes of cache-admin", async (t) => {
  await withTwoTenants(async (tenants) => {
    const sql = connectAsSuperuser(2);
    const { orgA, orgB } = tenants;
    try {
      const owner = await tokenFor(tenants.ownerA);
      const member = await tokenFor(tenants.memberA);
      const tokenOfAdminA = await tokenFor(tenants.adminA);
      await t.step("/organizations: the caller's organizations and roles", async () => {
        const asOwner = await adminGet(owner, "organizations");
        assert.equal(asOwner.response.status, 200);
        assert.deepEqual(
          asOwner.body.organizations.map((o: { id: string; role: string }) => [o.id, o.role]),
          [[orgA, "owner"]],
        );
        assert.deepEqual(asOwner.body.administers, [orgA]);
        const asMember = await adminGet(member, "organizations");
        assert.equal(asMember.response.status, 200);
        assert.deepEqual(asMember.body.administers, [], "a member administers nothing");
        assert.equal(asMember.body.organizations[0].role, "member");
        const asService = await adminGet(serviceRoleKey, "organizations");
        const ids = asService.body.organizations.map((o: { id: string }) => o.id);
        assert.ok(ids.includes(orgA) && ids.includes(orgB));
        assert.equal(asService.body.role, "service_role");
      });

      await sql`
        insert into cache.counters (organization_id, dataset, bucket_start, hits, stale_hits,
          misses, waits, compute_failures, hit_latency_ms, stale_latency_ms, miss_latency_ms)
        values
          (${orgA}, 'price-alerts', date_trunc('hour', now()), 6, 1, 2, 4, 0,
           ${histogram(0, 6)}::bigint[], ${histogram(1, 1)}::bigint[], ${
        histogram(6, 2)
      }::bigint[]),
          (${orgA}, 'supplier-data', date_trunc('hour', now()) - interval '3 hours', 1, 0, 1, 0, 1,
           ${histogram(0, 1)}::bigint[], ${histogram(0, 0)}::bigint[], ${
        histogram(9, 1)
      }::bigint[]),
          (${orgA}, 'price-alerts', date_trunc('hour', now()) - interval '30 hours', 50, 0, 0, 7, 0,
           ${histogram(0, 50)}::bigint[], ${histogram(0, 0)}::bigint[], ${
        histogram(0, 0)
      }::bigint[]),
          (${orgB}, 'price-alerts', date_trunc('hour', now()), 1000, 0, 1, 9, 0,
           ${histogram(0, 1000)}::bigint[], ${histogram(0, 0)}::bigint[], ${
        histogram(0, 1)
      }::bigint[])`;

      await t.step(
        "/metrics/series: every hour of the window, overall and per dataset",
        async () => {
          const { response, body } = await adminGet(
            owner,
            `metrics/series?organization_id=${orgA}`,
          );
          assert.equal(response.status, 200, JSON.stringify(body));
          assert.equal(body.hours.length, 24);
          assert.equal(body.overall.length, 24);
          const last = body.overall[23];
          assert.deepEqual(
            [last.hits, last.stale_hits, last.misses, last.waits],
            [6, 1, 2, 4],
            "B's reads excluded",
          );
          assert.equal(last.hit_rate, 7 / 9);
          assert.deepEqual(last.latency.miss, histogram(6, 2));
          assert.deepEqual(
            [body.overall[20].hits, body.overall[20].misses, body.overall[20].compute_failures],
            [1, 1, 1],
          );
          assert.equal(body.overall[0].hit_rate, null, "an hour without reads");
          assert.deepEqual(body.datasets.map((d: { dataset: string }) => d.dataset), [
            "price-alerts",
            "supplier-data",
          ]);
          const metrics = await adminGet(owner, `metrics?organization_id=${orgA}`);
          const sum = (key: string) =>
            body.overall.reduce(
              (total: number, point: Record<string, number>) => total + point[key]!,
              0,
            );
          assert.deepEqual(
            [sum("hits"), sum("stale_hits"), sum("misses"), sum("waits")],
            [
              metrics.body.overall.hits,
              metrics.body.overall.stale_hits,
              metrics.body.overall.misses,
              metrics.body.overall.waits,
            ],
            "the series adds up to /metrics over the same window",
          );
          const one = await adminGet(
            owner,
            `metrics/series?organization_id=${orgA}&dataset=supplier-data&hours=48`,
          );
          assert.equal(one.body.hours.length, 48);
          assert.deepEqual(one.body.datasets.map((d: { dataset: string }) => d.dataset), [
            "supplier-data",
          ]);
        },
      );

      await t.step(
        "/invalidations: the audit, newest first, of the organization only",
        async () => {
          for (const reason of ["first", "second"]) {
            const done = await adminPost(owner, "invalidate", {
              organization_id: orgA,
              datasets: ["price-alerts"],
              mode: "purge",
              reason,
            });
            assert.equal(done.response.status, 200);
          }
          const { response, body } = await adminGet(
            owner,
            `invalidations?organization_id=${orgA}&limit=1`,
          );
          assert.equal(response.status, 200);
          assert.equal(body.entries.length, 1);
          assert.equal(body.entries[0].reason, "second");
          assert.equal(body.entries[0].mode, "purge");
          assert.equal(body.entries[0].actor_role, "owner");
          const ofB = await adminGet(serviceRoleKey, `invalidations?organization_id=${orgB}`);
          assert.deepEqual(ofB.body.entries, []);
          // The fixture's inserts into B were invalidations too (cause write), listed on request.
          const writesOfB = await adminGet(
            serviceRoleKey,
            `invalidations?organization_id=${orgB}&cause=write`,
          );
          assert.ok(writesOfB.body.entries.length > 0);
          assert.ok(
            writesOfB.body.entries.every((entry: { cause: string; seq: number }) =>
              entry.cause === "write" && entry.seq > 0
            ),
          );
          const bad = await adminGet(serviceRoleKey, `invalidations?cause=cron`);
          assert.equal(bad.response.status, 400);
        },
      );

      await t.step("/entries: most hit first, by tag, with their state now", async () => {
        const [purgedKey, liveKey] = await seedEntries(sql, [
          { organizationId: orgA, dataset: "price-alerts", hitCount: 9, params: { v: 1 } },
          { organizationId: orgA, dataset: "supplier-data", hitCount: 3, retentionMs: 600_000 },
        ]);
        await seedEntries(sql, [{ organizationId: orgB, dataset: "price-alerts", hitCount: 99 }]);
        await adminPost(owner, "invalidate", {
          organization_id: orgA,
          datasets: ["price-alerts"],
          mode: "purge",
        });
        const all = await adminGet(owner, `entries?organization_id=${orgA}`);
        assert.equal(all.response.status, 200);
        assert.deepEqual(
          all.body.entries.map((e: { key: string; status: string }) => [e.key, e.status]),
          [[purgedKey, "purged"], [liveKey, "stale"]],
        );
        const tag = `org:${orgA}:dataset:supplier-data`;
        const tagged = await adminGet(
          owner,
          `entries?organization_id=${orgA}&tag=${encodeURIComponent(tag)}`,
        );
        assert.deepEqual(tagged.body.entries.map((e: { key: string }) => e.key), [liveKey]);
        assert.ok(tagged.body.entries[0].tags.includes(tag));
      });

      await t.step(
        "/entries and /invalidations answer what their SQL functions return as the caller",
        async () => {
          const caller: Actor = { role: "authenticated", userId: tenants.ownerA };
          const [entries, audit] = await asActor(sql, caller, async (tx) => [
            await tx`select * from cache_admin.entries(${orgA}::uuid, null, 50)`,
            await tx`select * from cache_admin.invalidation_audit(${orgA}::uuid, 'all', 50)`,
          ], { rollback: true });
          const iso = (value: unknown) => value instanceof Date ? value.toISOString() : value;
          const asJson = (rows: Record<string, unknown>[]) =>
            rows.map((row) =>
              Object.fromEntries(
                Object.entries(row).map(([name, value]) => [
                  name,
                  typeof value === "string" && /^\d+$/.test(value) && name !== "key"
                    ? Number(value) // bigint
                    : iso(value),
                ]),
              )
            );
          const overHttp = await adminGet(owner, `entries?organization_id=${orgA}`);
          assert.ok(entries!.length > 0);
          assert.deepEqual(overHttp.body.entries, asJson(entries!));
          const auditOverHttp = await adminGet(
            owner,
            `invalidations?organization_id=${orgA}&cause=all`,
          );
          assert.ok(audit!.length > 0);
          assert.deepEqual(auditOverHttp.body.entries, asJson(audit!));
        },
      );

      await t.step("bad queries and other callers are refused", async () => {
        const cases: [string | undefined, string, number][] = [
          [undefined, "organizations", 401],
          [LOCAL_ANON_KEY, "organizations", 401],
          [owner, "organizations?x=1", 400],
          [owner, "metrics/series", 400],
          [owner, `metrics/series?organization_id=${orgA}&hours=0`, 400],
          [owner, `metrics/series?organization_id=${orgA}&hours=721`, 400],
          [owner, `metrics/series?organization_id=${orgA}&dataset=nope`, 400],
          [owner, `metrics/series?organization_id=${orgA}&hours=1&hours=2`, 400],
          [owner, `metrics/series?organization_id=${orgB}`, 403],
          [member, `metrics/series?organization_id=${orgA}`, 403],
          [undefined, `metrics/series?organization_id=${orgA}`, 401],
          [owner, `invalidations?organization_id=${orgA}&limit=0`, 400],
          [owner, `invalidations?organization_id=not-a-uuid`, 400],
          [member, `invalidations?organization_id=${orgA}`, 403],
          [owner, `entries?organization_id=${orgA}&tag=`, 400],
          [owner, `entries?organization_id=${orgA}&limit=501`, 400],
          [owner, `entries?organization_id=${orgB}`, 403],
          [member, `entries?organization_id=${orgA}`, 403],
          [undefined, `entries?organization_id=${orgA}`, 401],
          [owner, "entries", 400],
          [owner, "invalidations", 400],
          [tokenOfAdminA, `invalidations?organization_id=${orgB}`, 403],
        ];
        for (const [token, path, status] of cases) {
          const { response, body } = await adminGet(token, path);
          assert.equal(response.status, status, `${path}: ${JSON.stringify(body)}`);
          assert.equal(
            typeof body.error?.message === "string" || typeof body.msg === "string",
            true,
            path,
          );
        }
      });
    } finally {
      await forgetOrganizations(sql, orgA, orgB);
      await sql`delete from cache.invalidation_audit where organization_id in (${orgA}, ${orgB})`;
      await sql.end();
    }
  });
});

Deno.test("readMetricsSeries adds up to readMetricsSnapshot over any counters", async () => {
  const sql = connectAsSuperuser(2);
  const organizationId = crypto.randomUUID();
  const counter = fc.record({
    hoursAgo: fc.integer({ min: 0, max: 30 }),
    dataset: fc.constantFrom("price-alerts", "supplier-data", "location-data"),
    hits: fc.nat(1000),
    stale: fc.nat(100),
    misses: fc.nat(100),
    waits: fc.nat(300),
    bucket: fc.integer({ min: 0, max: 13 }),
  });
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(counter, { selector: (c) => `${c.hoursAgo}:${c.dataset}`, maxLength: 12 }),
        fc.integer({ min: 1, max: 36 }),
        async (counters, windowHours) => {
          await sql`delete from cache.counters where organization_id = ${organizationId}`;
          for (const c of counters) {
            await sql`
              insert into cache.counters (organization_id, dataset, bucket_start, hits, stale_hits,
                misses, waits, hit_latency_ms)
              values (${organizationId}, ${c.dataset},
                date_trunc('hour', now()) - make_interval(hours => ${c.hoursAgo}),
                ${c.hits}, ${c.stale}, ${c.misses}, ${c.waits},
                ${histogram(c.bucket, c.hits)}::bigint[])`;
          }
          const now = new Date();
          const query = { organizationId, now, windowHours };
          const [series, snapshot] = await Promise.all([
            readMetricsSeries(sql, { ...query, dataset: null }),
            readMetricsSnapshot(sql, query),
          ]);
          const total = totalOf(snapshot.datasets);
          const sum = (pick: (p: (typeof series.overall)[number]) => number) =>
            series.overall.reduce((acc, point) => acc + pick(point), 0);
          assert.equal(series.overall.length, windowHours);
          assert.equal(sum((p) => p.hits), total.hits);
          assert.equal(sum((p) => p.stale_hits), total.staleHits);
          assert.equal(sum((p) => p.misses), total.misses);
          assert.equal(sum((p) => p.waits), total.waits);
          const hitLatency = series.overall.reduce(
            (acc, point) => acc.map((n, i) => n + point.latency.hit[i]!),
            histogram(0, 0),
          );
          assert.deepEqual(hitLatency, total.latency.hit);
        },
      ),
      { numRuns: 25 },
    );
  } finally {
    await sql`delete from cache.counters where organization_id = ${organizationId}`;
    await sql.end();
  }
});
