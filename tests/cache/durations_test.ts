import assert from "node:assert/strict";
import { thrownBy } from "./support.ts";
import { cacheEnvVars, policyFor, readCacheConfig } from "../../shared/cache/config.ts";
import {
  formatDuration,
  InvalidDurationError,
  parseDuration,
} from "../../shared/util/durations.ts";
import { CacheConfigError } from "../../shared/cache/errors.ts";
import { FRESHNESS, RETENTION } from "../../shared/cache/tiers.ts";
import { DATASET_NAMES, datasetTiers } from "../../shared/datasets/registry.ts";

Deno.test("parseDuration reads units and combinations", () => {
  assert.deepEqual(parseDuration("250ms"), 250);
  assert.deepEqual(parseDuration("30s"), 30_000);
  assert.deepEqual(parseDuration("10m"), 600_000);
  assert.deepEqual(parseDuration("24h"), 86_400_000);
  assert.deepEqual(parseDuration("2d"), 172_800_000);
  assert.deepEqual(parseDuration("1h30m"), 5_400_000);
  assert.deepEqual(parseDuration(" 5M "), 300_000);
  assert.deepEqual(parseDuration("0s"), 0);
});

Deno.test("parseDuration rejects bad input with what to fix", async (t) => {
  const cases: Array<[string, RegExp]> = [
    ["", /expected a number with a unit/],
    ["10", /with a unit \(ms, s, m, h, d\)/],
    ["-5m", /whole numbers with a unit/],
    ["1.5h", /whole numbers with a unit/],
    ["10x", /whole numbers with a unit/],
    ["m", /whole numbers with a unit/],
    ["10 m", /whole numbers with a unit/],
    ["31d", /must be at most 30d/],
  ];
  for (const [input, message] of cases) {
    await t.step(JSON.stringify(input), () => {
      const error = thrownBy(() => parseDuration(input));
      assert.ok(error instanceof InvalidDurationError);
      assert.equal(error.code, "E_INVALID_DURATION");
      assert.match(error.message, /^Invalid duration: /);
      assert.match(error.message, message);
      assert.ok(error.message.endsWith(`: received ${JSON.stringify(input)}`), error.message);
    });
  }
});

Deno.test("formatDuration round-trips through parseDuration", () => {
  for (const ms of [0, 1, 999, 30_000, 90_000, 5_400_000, 90_000_000]) {
    assert.deepEqual(parseDuration(formatDuration(ms)), ms);
  }
  assert.deepEqual(formatDuration(90_000_000), "1d1h");
});

Deno.test("readCacheConfig defaults to the brief's tiers", () => {
  const config = readCacheConfig(() => undefined, datasetTiers());
  const expected: Record<string, [number, number, string]> = {
    "dashboard-metrics": [FRESHNESS.NIGHTLY_REFRESH, RETENTION.NIGHTLY_CACHE, "NIGHTLY_REFRESH"],
    "product-metrics": [FRESHNESS.NIGHTLY_REFRESH, RETENTION.NIGHTLY_CACHE, "NIGHTLY_REFRESH"],
    "cogs-analysis": [FRESHNESS.NIGHTLY_REFRESH, RETENTION.NIGHTLY_CACHE, "NIGHTLY_REFRESH"],
    "supplier-metrics": [FRESHNESS.NIGHTLY_REFRESH, RETENTION.NIGHTLY_CACHE, "NIGHTLY_REFRESH"],
    "invoice-analytics": [FRESHNESS.NIGHTLY_REFRESH, RETENTION.NIGHTLY_CACHE, "NIGHTLY_REFRESH"],
    "price-alerts": [30_000, 300_000, "REAL_TIME"],
    "supplier-data": [1_800_000, 3_600_000, "STABLE"],
    "location-data": [1_800_000, 86_400_000, "STABLE"],
    "user-preferences": [1_800_000, 86_400_000, "STABLE"],
  };
  assert.deepEqual([...DATASET_NAMES].sort(), Object.keys(expected).sort());
  for (const [dataset, [stale, retention, tier]] of Object.entries(expected)) {
    assert.deepEqual(policyFor(config, dataset), {
      dataset,
      tier,
      staleTimeMs: stale,
      retentionMs: retention,
    });
  }
  assert.deepEqual(FRESHNESS.NIGHTLY_REFRESH, 24 * 3_600_000);
  assert.deepEqual(RETENTION.NIGHTLY_CACHE, 25 * 3_600_000);
  assert.deepEqual(policyFor(config, "something-new"), {
    dataset: "something-new",
    tier: "MODERATE",
    staleTimeMs: 600_000,
    retentionMs: 900_000,
  });
  assert.deepEqual(config.l1, {
    maxEntries: 1000,
    maxBytes: 32 * 1024 * 1024,
    revalidateIntervalMs: 1000,
  });
});

Deno.test("readCacheConfig applies environment overrides", () => {
  const env: Record<string, string> = {
    CACHE_DEFAULT_DURATION: "1m",
    CACHE_DEFAULT_RETENTION: "2m",
    CACHE_DURATION_PRICE_ALERTS: "10s",
    CACHE_RETENTION_PRICE_ALERTS: "1h",
    CACHE_L1_MAX_ENTRIES: "50",
    CACHE_L1_MAX_BYTES: "512kb",
    CACHE_L1_REVALIDATE_INTERVAL: "2s",
    CACHE_LEASE_TTL: "10s",
    CACHE_REVALIDATE_TIMEOUT: "150ms",
    CACHE_HIT_FLUSH_INTERVAL: "5s",
    CACHE_HIT_FLUSH_MAX_KEYS: "20",
  };
  for (const name of Object.keys(env)) {
    assert.deepEqual(cacheEnvVars(datasetTiers()).includes(name), true, name);
  }
  const config = readCacheConfig((name) => env[name], datasetTiers());
  assert.deepEqual(policyFor(config, "price-alerts"), {
    dataset: "price-alerts",
    tier: "CUSTOM",
    staleTimeMs: 10_000,
    retentionMs: 3_600_000,
  });
  assert.deepEqual(policyFor(config, "supplier-data").tier, "STABLE");
  assert.deepEqual(policyFor(config, "other").staleTimeMs, 60_000);
  assert.deepEqual(config.l1, { maxEntries: 50, maxBytes: 512 * 1024, revalidateIntervalMs: 2000 });
  assert.deepEqual(config.leaseTtlMs, 10_000);
  assert.deepEqual(config.revalidateTimeoutMs, 150);
  assert.deepEqual(config.hitFlushIntervalMs, 5_000);
  assert.deepEqual(config.hitFlushMaxKeys, 20);
});

Deno.test("readCacheConfig rejects bad variables, naming each", async (t) => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ CACHE_DEFAULT_DURATION: "10" }, /CACHE_DEFAULT_DURATION: Invalid duration: .*received "10"/],
    [{ CACHE_DURATION_SUPPLIER_DATA: "soon" }, /CACHE_DURATION_SUPPLIER_DATA: Invalid duration/],
    [{ CACHE_RETENTION_PRICE_ALERTS: "0s" }, /CACHE_RETENTION_PRICE_ALERTS: .*at least 1ms/],
    [{ CACHE_LEASE_TTL: "10ms" }, /CACHE_LEASE_TTL: .*at least 1s/],
    [{ CACHE_L1_MAX_ENTRIES: "0" }, /CACHE_L1_MAX_ENTRIES: must be at least 1/],
    [{ CACHE_L1_MAX_ENTRIES: "ten" }, /CACHE_L1_MAX_ENTRIES: must be a whole number/],
    [{ CACHE_L1_MAX_BYTES: "32gb" }, /CACHE_L1_MAX_BYTES: must be bytes such as/],
    [
      { CACHE_DURATION_PRICE_ALERTS: "10m" },
      /price-alerts: retention 5m is shorter than stale time 10m/,
    ],
  ];
  for (const [env, message] of cases) {
    await t.step(JSON.stringify(env), () => {
      const error = thrownBy(() => readCacheConfig((name) => env[name], datasetTiers()));
      assert.ok(error instanceof CacheConfigError);
      assert.deepEqual(error.code, "E_INVALID_CONFIG");
      assert.match(error.message, message);
    });
  }
  const both = thrownBy(() =>
    readCacheConfig((name) => ({ CACHE_LEASE_TTL: "x", CACHE_HIT_FLUSH_INTERVAL: "y" })[name])
  );
  assert.match(both.message, /CACHE_LEASE_TTL.*; CACHE_HIT_FLUSH_INTERVAL/);
});
