/**
 * What the client knows of each dataset: its tier (→ `staleTime` / `gcTime`),
 * its source (nightly / live) and the types of its parameters and rows.
 *
 * Names, sources, tiers and parameters come from the server's dataset registry
 * (`shared/datasets/registry.ts`, with tier durations from `shared/cache/tiers.ts`),
 * compiled into the package at build time, so they cannot disagree. Row types
 * are column specs ({@linkcode DATASET_ROW_SPECS}) that a test compares with the
 * SQL catalogue and real rows (`tests/client/dataset_types_test.ts`).
 *
 * @module
 */
import { FRESHNESS, RETENTION } from "../../shared/cache/tiers.ts";
import {
  DATASET_NAMES,
  type DatasetName,
  DATASETS,
  datasetsBySource,
  isDatasetName,
  type ParameterKind,
} from "../../shared/datasets/registry.ts";
import { DATASET_ROW_SPECS, type SpecValues } from "./dataset_specs.ts";

export { DATASET_NAMES, type DatasetName, isDatasetName, type ParameterKind };
export { DATASET_ROW_SPECS };

/** Datasets rebuilt by the nightly refresh (only it invalidates them). */
export const NIGHTLY_DATASETS: readonly DatasetName[] = datasetsBySource("nightly");

/** One row of a dataset, as the SQL returns it (numbers are JSON numbers, dates `YYYY-MM-DD`). */
export type DatasetRow<N extends DatasetName> = SpecValues<(typeof DATASET_ROW_SPECS)[N]>;

/** The value of a parameter of a kind: dates `YYYY-MM-DD` and UUIDs as strings, limit and percent as numbers. */
export type ParameterValue<K extends ParameterKind> = K extends "limit" | "percent" ? number
  : string;

type RegistryParameters<N extends DatasetName> = (typeof DATASETS)[N]["parameters"];

/**
 * The parameters a dataset accepts besides `organization_id` (from the registry),
 * all optional (undefined = not given); none for a dataset without parameters.
 */
export type DatasetParameters<N extends DatasetName> = string extends keyof RegistryParameters<N>
  ? Record<never, never>
  : {
    readonly [K in keyof RegistryParameters<N>]?:
      | ParameterValue<RegistryParameters<N>[K] & ParameterKind>
      | undefined;
  };

/** What `fetchDataset` takes: the organization plus the dataset's own parameters. */
export type DatasetQuery<N extends DatasetName> = DatasetParameters<N> & {
  /** The organization whose data is read (UUID). */
  readonly organization_id: string;
};

/** How long a dataset's data is fresh, then kept, in milliseconds (its server tiers). */
export interface DatasetTiming {
  readonly source: "nightly" | "live";
  readonly freshness: string;
  readonly staleTimeMs: number;
  readonly gcTimeMs: number;
}

/**
 * True when the dataset's rows depend on the signed-in user, not only the
 * organization (registry `userScoped`: user-preferences, price-alerts): its query
 * keys and stored ETag bodies carry the user id.
 */
export function isUserScoped(name: DatasetName): boolean {
  return (DATASETS[name] as { userScoped?: boolean } | undefined)?.userScoped === true;
}

/** The timing of a dataset, from the registry's tiers. */
export function datasetTiming(name: DatasetName): DatasetTiming {
  const definition = DATASETS[name];
  return {
    source: definition.source,
    freshness: definition.freshness,
    staleTimeMs: FRESHNESS[definition.freshness],
    gcTimeMs: RETENTION[definition.retention],
  };
}
