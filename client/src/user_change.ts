/**
 * Drops a QueryClient's Nightshift queries when the signed-in user changes
 * (sign-out, or another user signing in on the same QueryClient): the queries of
 * organization-wide datasets were authorized by the previous user's membership,
 * and those of user-scoped datasets hold the previous user's rows (their keys
 * carry the user id already, so they are never served to another user; this
 * frees them). In-flight fetches are cancelled first, so none lands afterwards.
 *
 * @module
 */
import type { QueryClient } from "@tanstack/query-core";
import type { NightshiftClient } from "./nightshift_client.ts";
import { nightshiftKeys } from "./query_keys.ts";

/**
 * Subscribes `queryClient` to `client`'s user changes; returns the unsubscribe.
 * Learning the first user (after `new NightshiftClient`) drops nothing.
 */
export function dropQueriesOnUserChange(
  client: NightshiftClient,
  queryClient: QueryClient,
): () => void {
  return client.onUserChange((_next, previous) => {
    if (previous === undefined) return;
    const filters = { queryKey: nightshiftKeys.all() };
    void queryClient.cancelQueries(filters);
    queryClient.removeQueries(filters);
  });
}
