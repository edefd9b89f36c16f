/**
 * Lease takeovers — a computation lease taken over from a holder whose lease
 * expired — are reported: `cache.acquire_lease` names the holder replaced and when
 * its lease expired, the cache stack emits `cache:lease-takeover`, and
 * `logCacheEvents` writes one warning line with the key, the organization and the
 * previous holder's age. Leases given back, won fresh, or still held are not
 * takeovers.
 */
import assert from "node:assert/strict";
import type { LogRecord } from "@logtape/logtape";
import { cacheKey } from "../../shared/cache/cache_key.ts";
import type { CacheEventMap } from "../../shared/cache/events.ts";
import { PostgresCacheStore } from "../../shared/cache/postgres_store.ts";
import { entryTags } from "../../shared/cache/tags.ts";
import { logCacheEvents } from "../../shared/log/cache_event_log.ts";
import { configureLogging, formatLogLine, logger } from "../../shared/log/logging.ts";
import { FakeClock } from "../../shared/util/clock.ts";
import { connectAsServiceRole, createStack, newOrganizationId } from "./support.ts";

const T0 = Date.parse("2026-05-01T06:00:00Z");

Deno.test("cache.acquire_lease reports a takeover of an expired lease, and only that", async () => {
  const sql = connectAsServiceRole(1);
  const store = new PostgresCacheStore(sql);
  const org = newOrganizationId();
  const key = cacheKey({ organizationId: org, dataset: "price-alerts", params: {} });
  const tags = entryTags(org, "price-alerts");
  try {
    const first = await store.acquireLease(key, "h1", tags, 5_000, T0);
    assert.equal(first.acquired, true);
    assert.equal(first.takeover, undefined, "a new lease replaces nothing");
    const held = await store.acquireLease(key, "h2", tags, 5_000, T0 + 4_999);
    assert.deepEqual(held, { acquired: false }, "a live lease is not taken over");
    const takenOver = await store.acquireLease(key, "h3", tags, 5_000, T0 + 7_000);
    assert.equal(takenOver.acquired, true);
    assert.deepEqual(takenOver.takeover, { previousHolder: "h1", previousExpiresAt: T0 + 5_000 });
    assert.equal(await store.releaseLease(key, "h3"), true);
    const afterRelease = await store.acquireLease(key, "h4", tags, 5_000, T0 + 8_000);
    assert.equal(afterRelease.acquired, true);
    assert.equal(afterRelease.takeover, undefined, "a lease given back is not taken over");
  } finally {
    await sql`delete from cache.leases where key = ${key}`;
    await sql.end();
  }
});

Deno.test("a lease takeover is a cache:lease-takeover event and one warning log line", async () => {
  const lines: Record<string, unknown>[] = [];
  configureLogging({
    level: "info",
    sink: (record: LogRecord) => lines.push(JSON.parse(formatLogLine(record))),
  });
  const sql = connectAsServiceRole(2);
  const clock = new FakeClock(T0);
  const stack = createStack(sql, clock);
  const stopLogging = logCacheEvents(stack.events, logger("datasets", "cache"));
  const takeovers: CacheEventMap["cache:lease-takeover"][] = [];
  stack.events.on("cache:lease-takeover", (event) => takeovers.push(event));
  const org = newOrganizationId();
  const request = { organizationId: org, dataset: "price-alerts", params: { limit: 5 } };
  const key = cacheKey(request);
  try {
    // An instance took the lease 32 s ago with the default 30 s TTL and never came back.
    await sql`insert into cache.leases (key, holder, expires_at)
      values (${key}, 'crashed-instance', ${new Date(T0 - 2_000)})`;
    const result = await stack.get({ ...request, compute: () => Promise.resolve({ rows: [] }) });
    assert.equal(result.status, "MISS");
    assert.deepEqual(takeovers, [{
      key,
      organizationId: org,
      dataset: "price-alerts",
      previousHolder: "crashed-instance",
      expiredForMs: 2_000,
      previousHolderAgeMs: 32_000,
    }]);
    const logged = lines.filter((line) => line.event === "cache:lease-takeover");
    assert.equal(logged.length, 1);
    assert.equal(logged[0]!.level, "WARN");
    assert.equal(logged[0]!.logger, "nightshift.datasets.cache");
    assert.equal(logged[0]!.key, key);
    assert.equal(logged[0]!.organizationId, org);
    assert.equal(logged[0]!.previousHolderAgeMs, 32_000);
    assert.match(String(logged[0]!.message), /expired 2000 ms ago/);

    // The next miss of the key takes a fresh lease: no takeover, no line.
    clock.advance(10 * 60_000);
    await stack.get({ ...request, compute: () => Promise.resolve({ rows: [1] }) });
    assert.equal(takeovers.length, 1);
  } finally {
    stopLogging();
    configureLogging({ level: "warning" });
    await stack.idle();
    await sql`delete from cache.entries where organization_id = ${org}`;
    await sql`delete from cache.leases where key = ${key}`;
    await sql.end();
  }
});
