/**
 * Cache configuration from the environment, validated with zod at startup.
 *
 * Variables (all optional; durations like `30s`, `10m`, `24h`, `1h30m`):
 *
 * | variable | default | meaning |
 * | --- | --- | --- |
 * | `CACHE_ENABLED` | `true` | `false`: the kill switch — every read is computed, nothing cached (`X-Cache: BYPASS`) |
 * | `CACHE_DEFAULT_DURATION` | `10m` (MODERATE) | stale time of a dataset without a tier of its own |
 * | `CACHE_DEFAULT_RETENTION` | `15m` (MEDIUM) | retention of a dataset without a tier of its own |
 * | `CACHE_DURATION_<DATASET>` | its tier | stale time of one dataset, e.g. `CACHE_DURATION_PRICE_ALERTS=1m` |
 * | `CACHE_RETENTION_<DATASET>` | its tier | retention of one dataset, e.g. `CACHE_RETENTION_SUPPLIER_DATA=2h` |
 * | `CACHE_L1_MAX_ENTRIES` | `1000` | entries kept per isolate |
 * | `CACHE_L1_MAX_BYTES` | `32mb` | body bytes kept per isolate (`<n>`, `<n>kb`, `<n>mb`) |
 * | `CACHE_L1_REVALIDATE_INTERVAL` | `1s` | L1 staleness bound: tag snapshot age before a resync |
 * | `CACHE_LEASE_TTL` | `30s` | how long one instance may compute a key before another takes over |
 * | `CACHE_REVALIDATE_TIMEOUT` | `0s` | how long a stale read waits for its refresh (0: answer stale at once) |
 * | `CACHE_HIT_FLUSH_INTERVAL` | `10s` | longest time hit counts wait in an isolate |
 * | `CACHE_HIT_FLUSH_MAX_KEYS` | `500` | distinct keys that trigger an early flush |
 *
 * `<DATASET>` is the dataset name upper-cased with `-` as `_`.
 *
 * @module
 */
import { z } from "zod";
import { durationSchema, formatDuration } from "../util/durations.ts";
import { CacheConfigError } from "./errors.ts";
import { FRESHNESS, RETENTION, type TierCatalogue } from "./tiers.ts";

/** Freshness of one dataset's entries. */
export interface CachePolicy {
  readonly dataset: string;
  /** Tier name for responses (`meta.tier`), or `CUSTOM` when overridden by environment. */
  readonly tier: string;
  /** Fresh for this long after generation. */
  readonly staleTimeMs: number;
  /** Kept (and servable stale) for this long after generation. */
  readonly retentionMs: number;
}

/** Everything the cache reads from the environment. */
export interface CacheConfig {
  /**
   * `false` turns the cache off (the rollback switch): every read is computed
   * and answered as `BYPASS`, and neither tier is read or written. @default true
   */
  readonly enabled?: boolean;
  readonly defaultPolicy: Omit<CachePolicy, "dataset">;
  readonly datasets: Readonly<Record<string, CachePolicy>>;
  readonly l1: {
    readonly maxEntries: number;
    readonly maxBytes: number;
    readonly revalidateIntervalMs: number;
  };
  readonly leaseTtlMs: number;
  readonly revalidateTimeoutMs: number;
  readonly hitFlushIntervalMs: number;
  readonly hitFlushMaxKeys: number;
}

/** Environment name of a dataset, e.g. `price-alerts` → `PRICE_ALERTS`. */
export function datasetEnvName(dataset: string): string {
  return dataset.toUpperCase().replaceAll("-", "_");
}

/**
 * Every variable {@linkcode readCacheConfig} reads with `catalogue`, for
 * `.env.example` and the README.
 */
export function cacheEnvVars(catalogue: TierCatalogue): readonly string[] {
  return [
    "CACHE_ENABLED",
    ...GENERIC_ENV_VARS.slice(0, 2),
    ...Object.keys(catalogue).flatMap((name) => [
      `CACHE_DURATION_${datasetEnvName(name)}`,
      `CACHE_RETENTION_${datasetEnvName(name)}`,
    ]),
    ...GENERIC_ENV_VARS.slice(2),
  ];
}

const GENERIC_ENV_VARS: readonly string[] = [
  "CACHE_DEFAULT_DURATION",
  "CACHE_DEFAULT_RETENTION",
  "CACHE_L1_MAX_ENTRIES",
  "CACHE_L1_MAX_BYTES",
  "CACHE_L1_REVALIDATE_INTERVAL",
  "CACHE_LEASE_TTL",
  "CACHE_REVALIDATE_TIMEOUT",
  "CACHE_HIT_FLUSH_INTERVAL",
  "CACHE_HIT_FLUSH_MAX_KEYS",
];

const positiveInteger = (max: number) =>
  z.string().regex(/^\d+$/, "must be a whole number").transform(Number).pipe(
    z.number().int().min(1, "must be at least 1").max(max, `must be at most ${max}`),
  );

const byteSize = z.string().regex(/^\d+(kb|mb)?$/i, "must be bytes such as 1048576, 512kb or 32mb")
  .transform((text) => {
    const unit = text.slice(-2).toLowerCase();
    const factor = unit === "kb" ? 1024 : unit === "mb" ? 1024 * 1024 : 1;
    return Number.parseInt(text, 10) * factor;
  }).pipe(
    z.number().int().min(1024, "must be at least 1kb").max(1024 ** 3, "must be at most 1024mb"),
  );

const enabledSchema = z.enum(["true", "false"], { message: 'must be "true" or "false"' })
  .optional();

const shape: Record<string, z.ZodType<number | undefined, string | undefined>> = {
  CACHE_DEFAULT_DURATION: durationSchema(1).optional(),
  CACHE_DEFAULT_RETENTION: durationSchema(1).optional(),
  CACHE_L1_MAX_ENTRIES: positiveInteger(1_000_000).optional(),
  CACHE_L1_MAX_BYTES: byteSize.optional(),
  CACHE_L1_REVALIDATE_INTERVAL: durationSchema(0).optional(),
  CACHE_LEASE_TTL: durationSchema(1_000).optional(),
  CACHE_REVALIDATE_TIMEOUT: durationSchema(0).optional(),
  CACHE_HIT_FLUSH_INTERVAL: durationSchema(0).optional(),
  CACHE_HIT_FLUSH_MAX_KEYS: positiveInteger(100_000).optional(),
};

/** The environment schema for a catalogue: the generic variables plus two per dataset. */
function envSchema(catalogue: TierCatalogue) {
  const withDatasets = { ...shape };
  for (const name of Object.keys(catalogue)) {
    withDatasets[`CACHE_DURATION_${datasetEnvName(name)}`] = durationSchema(1).optional();
    withDatasets[`CACHE_RETENTION_${datasetEnvName(name)}`] = durationSchema(1).optional();
  }
  return z.object(withDatasets);
}

/**
 * Reads and validates the cache configuration for the datasets of `catalogue`
 * (their tiers; the datasets' own catalogue is `datasetTiers()` of
 * shared/datasets/registry.ts). A dataset outside the catalogue gets the default
 * policy. Throws {@linkcode CacheConfigError} listing every invalid variable, and
 * any dataset whose retention is shorter than its stale time.
 */
export function readCacheConfig(
  source: (name: string) => string | undefined = (name) => Deno.env.get(name),
  catalogue: TierCatalogue = {},
): CacheConfig {
  const { CACHE_ENABLED, ...values } = Object.fromEntries(
    cacheEnvVars(catalogue).map((name) => [name, source(name)?.trim() || undefined]),
  );
  const parsed = envSchema(catalogue).safeParse(values);
  const enabled = enabledSchema.safeParse(CACHE_ENABLED);
  if (!parsed.success || !enabled.success) {
    const problems = [
      ...(parsed.error?.issues ?? []),
      ...(enabled.error?.issues.map((issue) => ({ ...issue, path: ["CACHE_ENABLED"] })) ?? []),
    ].map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new CacheConfigError(`Invalid cache configuration: ${problems.join("; ")}`);
  }
  const env = parsed.data;
  const defaultPolicy = {
    tier: env.CACHE_DEFAULT_DURATION === undefined && env.CACHE_DEFAULT_RETENTION === undefined
      ? "MODERATE"
      : "CUSTOM",
    staleTimeMs: env.CACHE_DEFAULT_DURATION ?? FRESHNESS.MODERATE,
    retentionMs: env.CACHE_DEFAULT_RETENTION ?? RETENTION.MEDIUM,
  };
  const datasets: Record<string, CachePolicy> = {};
  for (const [name, tiers] of Object.entries(catalogue)) {
    const staleOverride = env[`CACHE_DURATION_${datasetEnvName(name)}`];
    const retentionOverride = env[`CACHE_RETENTION_${datasetEnvName(name)}`];
    datasets[name] = {
      dataset: name,
      tier: staleOverride === undefined && retentionOverride === undefined
        ? tiers.freshness
        : "CUSTOM",
      staleTimeMs: staleOverride ?? FRESHNESS[tiers.freshness],
      retentionMs: retentionOverride ?? RETENTION[tiers.retention],
    };
  }
  const problems = [{ ...defaultPolicy, dataset: "default" }, ...Object.values(datasets)]
    .filter((policy) => policy.retentionMs < policy.staleTimeMs)
    .map((policy) =>
      `${policy.dataset}: retention ${formatDuration(policy.retentionMs)} is shorter than ` +
      `stale time ${formatDuration(policy.staleTimeMs)}`
    );
  if (problems.length > 0) {
    throw new CacheConfigError(`Invalid cache configuration: ${problems.join("; ")}`);
  }
  return {
    enabled: enabled.data !== "false",
    defaultPolicy,
    datasets,
    l1: {
      maxEntries: env.CACHE_L1_MAX_ENTRIES ?? 1000,
      maxBytes: env.CACHE_L1_MAX_BYTES ?? 32 * 1024 * 1024,
      revalidateIntervalMs: env.CACHE_L1_REVALIDATE_INTERVAL ?? 1_000,
    },
    leaseTtlMs: env.CACHE_LEASE_TTL ?? 30_000,
    revalidateTimeoutMs: env.CACHE_REVALIDATE_TIMEOUT ?? 0,
    hitFlushIntervalMs: env.CACHE_HIT_FLUSH_INTERVAL ?? 10_000,
    hitFlushMaxKeys: env.CACHE_HIT_FLUSH_MAX_KEYS ?? 500,
  };
}

/** The policy of `dataset`: its own tier (or override), else the default policy. */
export function policyFor(config: CacheConfig, dataset: string): CachePolicy {
  return Object.hasOwn(config.datasets, dataset)
    ? config.datasets[dataset]!
    : { ...config.defaultPolicy, dataset };
}
