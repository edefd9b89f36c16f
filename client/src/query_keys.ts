/**
 * Query keys of everything the client caches, under one prefix per
 * organization, so an invalidation names exactly what it affects:
 *
 * - `["nightshift", <org>]` — everything of the organization;
 * - `["nightshift", <org>, "datasets", <dataset>]` — every query of one dataset
 *   (of every user, for a user-scoped dataset);
 * - `["nightshift", <org>, "datasets", <dataset>, <params>]` — one query of an
 *   organization-wide dataset (params canonical: sorted, absent ones dropped,
 *   `organization_id` excluded);
 * - `["nightshift", <org>, "datasets", <dataset>, "user", <user id>, <params>]` —
 *   one query of a user-scoped dataset (`isUserScoped`: user-preferences,
 *   price-alerts), whose rows depend on the signed-in user: one browser's
 *   QueryClient reused across sign-out and sign-in never serves one user's rows
 *   to the next. `<user id>` is the JWT `sub` of the caller, null when signed out;
 * - `["nightshift", <org>, "nightly-status"]`.
 *
 * @module
 */
import { type DatasetName, type DatasetQuery, isUserScoped } from "./dataset_catalogue.ts";
import { canonicalParams, type QueryValue } from "./dataset_url.ts";

/** Root of every Nightshift key. */
export const QUERY_KEY_ROOT = "nightshift";

/** The query-key factory. */
export const nightshiftKeys = {
  /** Every Nightshift query. */
  all: () => [QUERY_KEY_ROOT] as const,
  /** Every query of an organization. */
  organization: (organizationId: string) => [QUERY_KEY_ROOT, organizationId.toLowerCase()] as const,
  /** Every query of one dataset of an organization (all users' for a user-scoped one). */
  dataset: (organizationId: string, dataset: DatasetName) =>
    [
      ...nightshiftKeys.organization(organizationId),
      "datasets",
      dataset,
    ] as const,
  /** Every query of one user of a user-scoped dataset. */
  userDataset: (organizationId: string, dataset: DatasetName, userId: string | null) =>
    [...nightshiftKeys.dataset(organizationId, dataset), "user", userId] as const,
  /**
   * One dataset query. `userId` (the caller's JWT `sub`, null when signed out)
   * is part of the key of a user-scoped dataset only, where it is required.
   */
  datasetQuery: <N extends DatasetName>(
    dataset: N,
    query: DatasetQuery<N>,
    userId?: string | null,
  ) => {
    const { organization_id: organizationId, ...params } = query;
    const canonical = canonicalParams(params as Readonly<Record<string, QueryValue>>);
    if (!isUserScoped(dataset)) {
      return [...nightshiftKeys.dataset(organizationId, dataset), canonical] as const;
    }
    if (userId === undefined) {
      throw new TypeError(
        `Cannot key ${dataset}: it is user-scoped and needs the user id (null when signed out)`,
      );
    }
    return [...nightshiftKeys.userDataset(organizationId, dataset, userId), canonical] as const;
  },
  /** The nightly status of an organization. */
  nightlyStatus: (organizationId: string) =>
    [...nightshiftKeys.organization(organizationId), "nightly-status"] as const,
};
