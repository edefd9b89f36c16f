/**
 * The one payload every invalidation broadcasts (base-table writes, admin
 * invalidation, maintenance purges, the nightly refresh), typed once for the
 * server and the client package.
 *
 * Sent by the SQL invalidation API with
 * `realtime.send(payload, 'cache_invalidation', 'cache-invalidation:<organization id>', true)`
 * inside the committing transaction (ARCHITECTURE.md, decision 10). Realtime wraps it
 * as `{ event: "cache_invalidation", payload }` on the organization's private channel.
 *
 * @module
 */
import { z } from "zod";

/** Version of this payload shape; bumped on any incompatible change. */
export const INVALIDATION_NOTICE_VERSION = 1;

/** Realtime broadcast event name of every invalidation notice. */
export const INVALIDATION_EVENT = "cache_invalidation";

/** Private Realtime topic of an organization's invalidation notices. */
export function invalidationTopic(organizationId: string): string {
  return `cache-invalidation:${organizationId}`;
}

/**
 * What caused an invalidation:
 * - `write`: a statement on a base table (one notice per statement and organization);
 * - `admin`: `POST cache-admin/invalidate`;
 * - `maintenance`: a maintenance purge (emergency clear, …);
 * - `nightly`: the organization's nightly rebuild committed.
 */
export const invalidationCause = z.enum(["write", "admin", "maintenance", "nightly"]);
export type InvalidationCause = z.infer<typeof invalidationCause>;

/**
 * `expire`: entries may still be served stale while revalidating;
 * `purge`: entries must not be served again (ARCHITECTURE.md, decision 5).
 */
export const invalidationAction = z.enum(["expire", "purge"]);
export type InvalidationAction = z.infer<typeof invalidationAction>;

/** Schema of one notice, as the client receives it in `payload`. */
export const invalidationNotice = z.object({
  /** Payload shape version: {@linkcode INVALIDATION_NOTICE_VERSION}. */
  v: z.literal(INVALIDATION_NOTICE_VERSION),
  /** Monotonic per organization (a database sequence): ignore a notice whose `seq` you have seen. */
  seq: z.number().int().nonnegative(),
  organization_id: z.uuid(),
  cause: invalidationCause,
  action: invalidationAction,
  /**
   * Datasets whose entries were invalidated; `null` means every dataset of the
   * organization (an organization-wide purge).
   */
  datasets: z.array(z.string()).nullable(),
  /** Tags whose versions were bumped (includes the dataset tags). */
  tags: z.array(z.string()),
  /** Commit-side time of the invalidation, ISO 8601 UTC. */
  at: z.iso.datetime({ offset: true }),
  /** Cause-specific context: `tables` for writes, `reason` for admin/maintenance, `run_id` for nightly. */
  details: z.record(z.string(), z.unknown()).optional(),
  /** Added by upstream `realtime.send` (a UUID per message). */
  id: z.string().optional(),
});

/** One invalidation notice. */
export type InvalidationNotice = z.infer<typeof invalidationNotice>;
