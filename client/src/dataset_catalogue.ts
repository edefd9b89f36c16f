/**
 * What the client knows of each dataset: its tier (→ `staleTime` / `gcTime`),
 * its source (nightly / live) and the types of its parameters and rows.
 *
 * Tiers and sources come from the server's catalogue (`shared/cache/tiers.ts`),
 * bundled into the package at build time, so they cannot disagree. Parameter
 * and row types are column specs ({@linkcode DATASET_PARAMETER_SPECS},
 * {@linkcode DATASET_ROW_SPECS}) that a test compares with the SQL catalogue and
 * the server's parameter parser (`tests/client/dataset_types_test.ts`).
 *
 * @module
 */
import {
  DATASET_NAMES,
  DATASET_TIERS,
  type DatasetName,
  FRESHNESS,
  NIGHTLY_DATASETS,
  RETENTION,
} from "../../shared/cache/tiers.ts";
import { DATASET_PARAMETER_SPECS, DATASET_ROW_SPECS, type SpecValues } from "./dataset_specs.ts";

export { DATASET_NAMES, type DatasetName, NIGHTLY_DATASETS };
export { DATASET_PARAMETER_SPECS, DATASET_ROW_SPECS };

/** One row of a dataset, as the SQL returns it (numbers are JSON numbers, dates `YYYY-MM-DD`). */
export type DatasetRow<N extends DatasetName> = SpecValues<
  (typeof DATASET_ROW_SPECS)[N]
>;

/** The parameters a dataset accepts besides `organization_id`, all optional (undefined = not given). */
export type DatasetParameters<N extends DatasetName> = {
  readonly [K in keyof SpecValues<(typeof DATASET_PARAMETER_SPECS)[N]>]?:
    | SpecValues<(typeof DATASET_PARAMETER_SPECS)[N]>[K]
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

/** The timing of a dataset, from the server's tier table. */
export function datasetTiming(name: DatasetName): DatasetTiming {
  const tiers = DATASET_TIERS[name];
  return {
    source: tiers.source,
    freshness: tiers.freshness,
    staleTimeMs: FRESHNESS[tiers.freshness],
    gcTimeMs: RETENTION[tiers.retention],
  };
}

/** True when `name` is a dataset the client knows. */
export function isDatasetName(name: string): name is DatasetName {
  return (DATASET_NAMES as readonly string[]).includes(name);
}
