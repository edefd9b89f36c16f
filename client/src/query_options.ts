/**
 * TanStack Query options for datasets and nightly status: keys from
 * {@linkcode nightshiftKeys}, `staleTime` / `gcTime` from the dataset's server
 * tier, and retries that skip 4xx (retrying a bad or forbidden request cannot help).
 *
 * @module
 */
import type { QueryFunctionContext } from "@tanstack/query-core";
import {
  type DatasetName,
  type DatasetQuery,
  datasetTiming,
  isUserScoped,
} from "./dataset_catalogue.ts";
import { NightshiftError } from "./errors.ts";
import type { DatasetResult, NightshiftClient } from "./nightshift_client.ts";
import type { NightlyStatus } from "./nightly_status.ts";
import { nightshiftKeys } from "./query_keys.ts";

/** Retries at most this many times, and never a 4xx. */
export const MAX_RETRIES = 3;

/**
 * TanStack's `retry`: false for 4xx {@linkcode NightshiftError}s, else up to
 * {@linkcode MAX_RETRIES} attempts.
 */
export function shouldRetry(failureCount: number, error: unknown): boolean {
  if (error instanceof NightshiftError && error.isClientError) return false;
  return failureCount < MAX_RETRIES;
}

/**
 * TanStack's `retryDelay`: the server's `Retry-After` when it gave one, else
 * exponential backoff from 1 s capped at 30 s.
 */
export function retryDelay(failureCount: number, error: unknown): number {
  if (
    error instanceof NightshiftError && error.retryAfterSeconds !== undefined
  ) {
    return error.retryAfterSeconds * 1000;
  }
  return Math.min(1000 * 2 ** failureCount, 30_000);
}

/**
 * Options for `useQuery` / `queryClient.fetchQuery` of one dataset query. The
 * key of a user-scoped dataset carries `client.userId` (null while not yet
 * known: `await client.ready` before a `fetchQuery` right after creating the
 * client), and its query function refuses (`user_changed`) to fetch as anyone else.
 */
export function datasetQueryOptions<N extends DatasetName>(
  client: NightshiftClient,
  dataset: N,
  query: DatasetQuery<N>,
) {
  const timing = datasetTiming(dataset);
  const userId = isUserScoped(dataset) ? client.userId ?? null : undefined;
  return {
    queryKey: nightshiftKeys.datasetQuery(dataset, query, userId),
    queryFn: ({ signal }: QueryFunctionContext): Promise<DatasetResult<N>> =>
      client.fetchDataset(dataset, query, userId === undefined ? { signal } : { signal, userId }),
    staleTime: timing.staleTimeMs,
    gcTime: timing.gcTimeMs,
    retry: shouldRetry,
    retryDelay,
  };
}

/** Options for the nightly status of an organization (fresh for a minute). */
export function nightlyStatusQueryOptions(
  client: NightshiftClient,
  organizationId: string,
) {
  return {
    queryKey: nightshiftKeys.nightlyStatus(organizationId),
    queryFn: ({ signal }: QueryFunctionContext): Promise<NightlyStatus> =>
      client.fetchNightlyStatus(organizationId, { signal }),
    staleTime: 60_000,
    gcTime: 300_000,
    retry: shouldRetry,
    retryDelay,
  };
}
