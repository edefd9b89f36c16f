/**
 * Nightshift's client: typed dataset reads with ETag revalidation, TanStack
 * Query helpers, the invalidation listener and nightly status. React hooks are
 * in `@nightshift/client/react`.
 *
 * @example
 * ```ts ignore
 * import { createClient } from "@supabase/supabase-js";
 * import { QueryClient } from "@tanstack/query-core";
 * import {
 *   datasetQueryOptions,
 *   dropQueriesOnUserChange,
 *   listenForInvalidations,
 *   NightshiftClient,
 * } from "@nightshift/client";
 *
 * const supabase = createClient(SUPABASE_URL, SUPABASE_ANON_KEY);
 * await supabase.auth.signInWithPassword({ email, password });
 * const nightshift = new NightshiftClient(supabase);
 * const queryClient = new QueryClient();
 * dropQueriesOnUserChange(nightshift, queryClient);
 * await nightshift.ready;
 * const alerts = await queryClient.fetchQuery(
 *   datasetQueryOptions(nightshift, "price-alerts", { organization_id: org, limit: 20 }),
 * );
 * await listenForInvalidations({ client: nightshift, queryClient, organizationId: org });
 * ```
 *
 * @module
 */
export * from "./dataset_catalogue.ts";
export type { ColumnKind, ColumnSpec, SpecValues } from "./dataset_specs.ts";
export { canonicalParams, datasetPath } from "./dataset_url.ts";
export { type ClientErrorCode, errorFromResponse, NightshiftError } from "./errors.ts";
export { type EtagStore, MemoryEtagStore, type StoredBody } from "./etag_store.ts";
export * from "./invalidation_listener.ts";
export * from "./invalidation_router.ts";
export * from "./nightly_status.ts";
export * from "./nightshift_client.ts";
export * from "./query_keys.ts";
export * from "./query_options.ts";
export * from "./user_change.ts";
export {
  INVALIDATION_EVENT,
  INVALIDATION_NOTICE_VERSION,
  type InvalidationNotice,
  invalidationNotice,
  invalidationTopic,
} from "../../shared/invalidation/invalidation_notice.ts";
