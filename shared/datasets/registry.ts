/**
 * The dataset registry: every dataset served to frontends, with everything the
 * code needs to know about it, in one place. The cache's tiers, the request
 * parser, the admin API's dataset list, the README table (and the client
 * package) are built from it; the SQL registry `analytics.datasets` holds the
 * same names, sources, tiers and source tables (a test keeps them equal:
 * tests/domain/dataset_registry_sql_test.ts). ARCHITECTURE.md, "Adding a nightly
 * dataset", walks through adding one.
 *
 * Plain data without dependencies, so browser bundles (the dashboard, the client
 * package) import it as is; the zod schemas of the parameters are built from it in
 * `dataset_parameters.ts`. Sources of the figures: the design brief's dataset table
 * (tiers) and the SQL that computes each dataset (source tables).
 *
 * @module
 */
import type { FreshnessTier, RetentionTier } from "../cache/tiers.ts";

/**
 * A base table (schema `public`) whose writes can change a dataset. `organizations`
 * counts only through its `time_zone` (the default date windows of live datasets end
 * today in the organization's time zone): the write trigger ignores its other columns.
 */
export type BaseTable =
  | "organizations"
  | "suppliers"
  | "locations"
  | "products"
  | "invoices"
  | "invoice_lines"
  | "user_preferences";

/**
 * What a query parameter holds: `date` a calendar date `YYYY-MM-DD`, `uuid` a UUID,
 * `limit` a whole number 1..1000, `percent` a number 0..1000. Every parameter is
 * optional; `from` after `to` is refused.
 */
export type ParameterKind = "date" | "uuid" | "limit" | "percent";

/** Everything known about one dataset. */
export interface DatasetDefinition {
  /**
   * `nightly`: a per-organization snapshot rebuilt by the nightly refresh (base-table
   * writes mark the organization dirty but do not invalidate it);
   * `live`: computed from base tables at request time (writes to its source tables expire it).
   */
  readonly source: "nightly" | "live";
  /** How long an entry stays fresh (`FRESHNESS` in shared/cache/tiers.ts). */
  readonly freshness: FreshnessTier;
  /** How long an entry may be kept and served stale (`RETENTION`). */
  readonly retention: RetentionTier;
  /** Accepted query parameters besides `organization_id`, by name (any other is refused). */
  readonly parameters: Readonly<Record<string, ParameterKind>>;
  /** Base tables the computation reads (`public.<table>`), sorted. */
  readonly sourceTables: readonly BaseTable[];
  /**
   * True when rows depend on the caller, not only the organization: the cache key adds the user.
   * Every dataset reading per-user state (`user_preferences`) is (the SQL registry's check
   * `datasets_per_user_state_is_user_scoped` refuses one that is not).
   */
  readonly userScoped: boolean;
  /** One line for the README table. */
  readonly description: string;
}

/** The filters of the live datasets over invoices. */
const WINDOW = {
  from: "date",
  to: "date",
  location_id: "uuid",
  limit: "limit",
} as const satisfies Record<string, ParameterKind>;

const nightly = (
  sourceTables: readonly BaseTable[],
  description: string,
): DatasetDefinition => ({
  source: "nightly",
  freshness: "NIGHTLY_REFRESH",
  retention: "NIGHTLY_CACHE",
  parameters: {},
  sourceTables,
  userScoped: false,
  description,
});

/** Every dataset, in the order of the README table. */
export const DATASETS = {
  "dashboard-metrics": nightly(
    ["invoice_lines", "invoices"],
    "headline spend per currency: 30/90-day spend and change, invoice count, active suppliers",
  ),
  "product-metrics": nightly(
    ["invoice_lines", "invoices", "products"],
    "per product and currency over 12 months: quantity, spend, unit prices and their change",
  ),
  "cogs-analysis": nightly(
    ["invoice_lines", "invoices", "products"],
    "spend per month, product category and currency, with shares",
  ),
  "supplier-metrics": nightly(
    ["invoice_lines", "invoices", "suppliers"],
    "per supplier and currency over 12 months: spend, invoices, share, price variance",
  ),
  "invoice-analytics": nightly(
    ["invoice_lines", "invoices"],
    "invoices per month, status and currency: count, total, average",
  ),
  "price-alerts": {
    source: "live",
    freshness: "REAL_TIME",
    retention: "SHORT",
    parameters: { ...WINDOW, supplier_id: "uuid", threshold_percent: "percent" },
    // organizations: the default window ends today in its time zone.
    // user_preferences: the default threshold is the caller's preference, so the
    // rows depend on the caller (user-scoped).
    sourceTables: [
      "invoice_lines",
      "invoices",
      "organizations",
      "products",
      "suppliers",
      "user_preferences",
    ],
    userScoped: true,
    description: "latest prices that moved by at least a threshold against earlier purchases",
  },
  "supplier-data": {
    source: "live",
    freshness: "STABLE",
    retention: "LONG",
    parameters: { ...WINDOW, supplier_id: "uuid" },
    // organizations: the default window ends today in its time zone.
    sourceTables: ["invoice_lines", "invoices", "organizations", "suppliers"],
    userScoped: false,
    description: "suppliers with their recent activity",
  },
  "location-data": {
    source: "live",
    freshness: "STABLE",
    retention: "VERY_LONG",
    parameters: WINDOW,
    // organizations: the default window ends today in its time zone.
    sourceTables: ["invoices", "locations", "organizations"],
    userScoped: false,
    description: "locations with their recent activity",
  },
  "user-preferences": {
    source: "live",
    freshness: "STABLE",
    retention: "VERY_LONG",
    parameters: {},
    // locations: the default location's name.
    sourceTables: ["locations", "user_preferences"],
    userScoped: true,
    description: "the caller's preferences for the organization",
  },
} as const satisfies Record<string, DatasetDefinition>;

/** Name of a dataset served to frontends. */
export type DatasetName = keyof typeof DATASETS;

/** Every dataset name, in registry order. */
export const DATASET_NAMES: readonly DatasetName[] = Object.keys(DATASETS) as DatasetName[];

/** True when `name` is a dataset of {@linkcode DATASETS}. */
export function isDatasetName(name: string): name is DatasetName {
  return Object.hasOwn(DATASETS, name);
}

/** The definition of a dataset. */
export function datasetDefinition(name: DatasetName): DatasetDefinition {
  return DATASETS[name];
}

/** The datasets of one source, in registry order. */
export function datasetsBySource(source: "nightly" | "live"): readonly DatasetName[] {
  return DATASET_NAMES.filter((name) => DATASETS[name].source === source);
}

/** The datasets that read `table`, in registry order (what a write to it changes). */
export function datasetsReading(table: BaseTable): readonly DatasetName[] {
  return DATASET_NAMES.filter((name) =>
    (DATASETS[name].sourceTables as readonly BaseTable[]).includes(table)
  );
}

/** Every dataset's tiers, for the generic cache configuration (`readCacheConfig`). */
export function datasetTiers(): Readonly<
  Record<DatasetName, { freshness: FreshnessTier; retention: RetentionTier }>
> {
  return Object.fromEntries(
    DATASET_NAMES.map((name) => [name, {
      freshness: DATASETS[name].freshness,
      retention: DATASETS[name].retention,
    }]),
  ) as Record<DatasetName, { freshness: FreshnessTier; retention: RetentionTier }>;
}
