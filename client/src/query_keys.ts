/**
 * Query keys of everything the client caches, under one prefix per
 * organization, so an invalidation names exactly what it affects:
 *
 * - `["nightshift", <org>]` — everything of the organization;
 * - `["nightshift", <org>, "datasets", <dataset>]` — every query of one dataset;
 * - `["nightshift", <org>, "datasets", <dataset>, <params>]` — one query
 *   (params canonical: sorted, absent ones dropped, `organization_id` excluded);
 * - `["nightshift", <org>, "nightly-status"]`.
 *
 * @module
 */
import type { DatasetName, DatasetQuery } from "./dataset_catalogue.ts";
import { canonicalParams, type QueryValue } from "./dataset_url.ts";

/** Root of every Nightshift key. */
export const QUERY_KEY_ROOT = "nightshift";

/** The query-key factory. */
export const nightshiftKeys = {
  /** Every Nightshift query. */
  all: () => [QUERY_KEY_ROOT] as const,
  /** Every query of an organization. */
  organization: (organizationId: string) => [QUERY_KEY_ROOT, organizationId.toLowerCase()] as const,
  /** Every query of one dataset of an organization. */
  dataset: (organizationId: string, dataset: DatasetName) =>
    [
      ...nightshiftKeys.organization(organizationId),
      "datasets",
      dataset,
    ] as const,
  /** One dataset query. */
  datasetQuery: <N extends DatasetName>(dataset: N, query: DatasetQuery<N>) => {
    const { organization_id: organizationId, ...params } = query;
    return [
      ...nightshiftKeys.dataset(organizationId, dataset),
      canonicalParams(params as Readonly<Record<string, QueryValue>>),
    ] as const;
  },
  /** The nightly status of an organization. */
  nightlyStatus: (organizationId: string) =>
    [...nightshiftKeys.organization(organizationId), "nightly-status"] as const,
};
