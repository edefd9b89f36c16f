/**
 * Freshness and retention tiers, from the seed plan. An entry is FRESH for its
 * stale time after it was generated, then STALE (served while being revalidated)
 * until its retention ends, then gone. Which dataset has which tier is the dataset
 * registry's business (shared/datasets/registry.ts).
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

/** The tiers of one cached dataset: fresh for `freshness`, kept for `retention`. */
export interface DatasetTiers {
  readonly freshness: FreshnessTier;
  readonly retention: RetentionTier;
}

/**
 * Tiers by dataset name. The cache is generic: the product's catalogue lives in
 * the dataset registry (shared/datasets/registry.ts, `datasetTiers()`).
 */
export type TierCatalogue = Readonly<Record<string, DatasetTiers>>;
