/**
 * Freshness tiers and the (stale time, retention) pair of every dataset, from the
 * seed plan. An entry is FRESH for its stale time after it was generated, then STALE
 * (served while being revalidated) until its retention ends, then gone.
 *
 * @module
 */

/** How long an entry stays fresh, by tier, in milliseconds. */
export const FRESHNESS = {
  REAL_TIME: 30_000,
  FREQUENT: 120_000,
  MODERATE: 600_000,
  STABLE: 1_800_000,
  REFERENCE: 86_400_000,
  NIGHTLY_REFRESH: 86_400_000,
} as const;

/** How long an entry may be kept (and served stale), by tier, in milliseconds. */
export const RETENTION = {
  SHORT: 300_000,
  MEDIUM: 900_000,
  LONG: 3_600_000,
  VERY_LONG: 86_400_000,
  NIGHTLY_CACHE: 90_000_000,
} as const;

/** Name of a freshness tier. */
export type FreshnessTier = keyof typeof FRESHNESS;
/** Name of a retention tier. */
export type RetentionTier = keyof typeof RETENTION;

/** The tiers of one dataset. */
export interface DatasetTiers {
  readonly freshness: FreshnessTier;
  readonly retention: RetentionTier;
  /** `nightly`: rebuilt by the nightly refresh; `live`: computed from base tables. */
  readonly source: "nightly" | "live";
}

/** Every dataset served to frontends with its tiers (ARCHITECTURE.md, reference domain). */
export const DATASET_TIERS = {
  "dashboard-metrics": {
    freshness: "NIGHTLY_REFRESH",
    retention: "NIGHTLY_CACHE",
    source: "nightly",
  },
  "product-metrics": {
    freshness: "NIGHTLY_REFRESH",
    retention: "NIGHTLY_CACHE",
    source: "nightly",
  },
  "cogs-analysis": { freshness: "NIGHTLY_REFRESH", retention: "NIGHTLY_CACHE", source: "nightly" },
  "supplier-metrics": {
    freshness: "NIGHTLY_REFRESH",
    retention: "NIGHTLY_CACHE",
    source: "nightly",
  },
  "invoice-analytics": {
    freshness: "NIGHTLY_REFRESH",
    retention: "NIGHTLY_CACHE",
    source: "nightly",
  },
  "price-alerts": { freshness: "REAL_TIME", retention: "SHORT", source: "live" },
  "supplier-data": { freshness: "STABLE", retention: "LONG", source: "live" },
  "location-data": { freshness: "STABLE", retention: "VERY_LONG", source: "live" },
  "user-preferences": { freshness: "STABLE", retention: "VERY_LONG", source: "live" },
} as const satisfies Record<string, DatasetTiers>;

/** Name of a dataset served to frontends. */
export type DatasetName = keyof typeof DATASET_TIERS;

/** Every dataset name, in table order. */
export const DATASET_NAMES: readonly DatasetName[] = Object.keys(DATASET_TIERS) as DatasetName[];

/** Datasets rebuilt nightly: only the nightly refresh invalidates them. */
export const NIGHTLY_DATASETS: readonly DatasetName[] = DATASET_NAMES.filter(
  (name) => DATASET_TIERS[name].source === "nightly",
);

/** True when `name` is a dataset of {@linkcode DATASET_TIERS}. */
export function isDatasetName(name: string): name is DatasetName {
  return Object.hasOwn(DATASET_TIERS, name);
}
