/**
 * Thin React hooks over the core (`@tanstack/react-query`): a dataset query, the
 * invalidation listener for the lifetime of a component, and nightly status.
 *
 * @module
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useSyncExternalStore } from "react";
import { type DatasetName, type DatasetQuery, isUserScoped } from "./dataset_catalogue.ts";
import {
  type InvalidationListenerOptions,
  listenForInvalidations,
} from "./invalidation_listener.ts";
import type { NightshiftClient } from "./nightshift_client.ts";
import { datasetQueryOptions, nightlyStatusQueryOptions } from "./query_options.ts";

/**
 * `useQuery` of one dataset query, with the dataset's tier timings and 4xx-free
 * retries. Re-renders when the signed-in user changes, so a user-scoped dataset
 * is keyed (and fetched) for the current user; disabled until the user is known.
 */
export function useDataset<N extends DatasetName>(
  client: NightshiftClient,
  dataset: N,
  query: DatasetQuery<N>,
) {
  const userId = useSyncExternalStore(
    (changed: () => void) => client.onUserChange(changed),
    () => client.userId,
    () => client.userId,
  );
  return useQuery({
    ...datasetQueryOptions(client, dataset, query),
    enabled: !isUserScoped(dataset) || userId !== undefined,
  });
}

/** `useQuery` of an organization's nightly status (owners and admins). */
export function useNightlyStatus(
  client: NightshiftClient,
  organizationId: string,
) {
  return useQuery(nightlyStatusQueryOptions(client, organizationId));
}

/**
 * Listens for the organization's invalidation notices while the component is
 * mounted, applying them to the nearest QueryClient.
 */
export function useInvalidationListener(
  client: NightshiftClient,
  organizationId: string | undefined,
  callbacks: Pick<InvalidationListenerOptions, "onNotice" | "onStatus"> = {},
): void {
  const queryClient = useQueryClient();
  useEffect(() => {
    if (!organizationId) return;
    let stopped = false;
    let stop: (() => Promise<void>) | undefined;
    listenForInvalidations({ client, queryClient, organizationId, ...callbacks }).then(
      (listener) => {
        if (stopped) void listener.stop();
        else stop = listener.stop;
      },
      (error) => callbacks.onStatus?.("CHANNEL_ERROR", error as Error),
    );
    return () => {
      stopped = true;
      void stop?.();
    };
    // Callbacks are read once per subscription; pass stable ones.
  }, [client, queryClient, organizationId]);
}
