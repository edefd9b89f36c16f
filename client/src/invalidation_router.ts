/**
 * Turns invalidation notices (`shared/invalidation/invalidation_notice.ts`) into
 * TanStack Query invalidations of exactly the affected keys:
 *
 * - `datasets` named → those datasets' queries;
 * - `datasets: null` → every query of the organization;
 * - no datasets but tags (custom tags) → every query of the organization
 *   (the client cannot tell which queries a custom tag covers);
 * - `cause: "nightly"` → the named datasets (the nightly ones when none are
 *   named) and the organization's nightly status;
 * - `expire` → `invalidateQueries` (active queries refetch; the old data shows
 *   meanwhile, as the server may serve it stale); `purge` → `resetQueries` (the
 *   data is dropped, never shown again; active queries refetch).
 *
 * A notice whose `seq` was already seen is ignored (sequences commit out of
 * order, so this keeps a set, not a maximum). A notice of another organization is
 * ignored; one of this organization in an unknown shape invalidates the whole
 * organization, to be safe.
 *
 * @module
 */
import type { QueryClient, QueryKey } from "@tanstack/query-core";
import {
  type InvalidationNotice,
  invalidationNotice,
} from "../../shared/invalidation/invalidation_notice.ts";
import { type DatasetName, isDatasetName, NIGHTLY_DATASETS } from "./dataset_catalogue.ts";
import type { NightshiftClient } from "./nightshift_client.ts";
import { nightshiftKeys } from "./query_keys.ts";

/** What a notice did. */
export interface NoticeOutcome {
  readonly applied: boolean;
  /** Why a notice was not applied: `duplicate`, `other-organization`. */
  readonly ignored?: "duplicate" | "other-organization";
  readonly action: "expire" | "purge";
  /** The key prefixes invalidated (or reset). */
  readonly keys: readonly QueryKey[];
  /** The parsed notice; undefined for an unknown shape. */
  readonly notice?: InvalidationNotice;
}

/** Remembers this many `seq`s per organization. */
const SEEN_LIMIT = 1000;

/** The keys a notice affects (prefixes). */
export function affectedKeys(notice: InvalidationNotice): QueryKey[] {
  const organization = notice.organization_id;
  if (notice.cause === "nightly") {
    const datasets = (notice.datasets ?? NIGHTLY_DATASETS).filter(
      isDatasetName,
    );
    return [
      ...datasets.map((dataset: DatasetName) => nightshiftKeys.dataset(organization, dataset)),
      nightshiftKeys.nightlyStatus(organization),
    ];
  }
  if (notice.datasets === null) {
    return [nightshiftKeys.organization(organization)];
  }
  if (notice.datasets.length > 0) {
    const known = notice.datasets.filter(isDatasetName);
    // A dataset this client does not know: be safe with the whole organization.
    if (known.length < notice.datasets.length) {
      return [nightshiftKeys.organization(organization)];
    }
    return known.map((dataset) => nightshiftKeys.dataset(organization, dataset));
  }
  return notice.tags.length > 0 ? [nightshiftKeys.organization(organization)] : [];
}

/** Applies notices of one organization to a QueryClient. */
export class InvalidationRouter {
  readonly #queryClient: QueryClient;
  readonly #organizationId: string;
  readonly #seen = new Set<number>();
  readonly #client: NightshiftClient | undefined;

  /**
   * @param client When given, refetches after a notice ask the server to
   * revalidate its in-isolate cache (`NightshiftClient.revalidateOrganization`),
   * so they see the invalidation at once rather than within the server's 1 s bound.
   */
  constructor(
    queryClient: QueryClient,
    organizationId: string,
    client?: NightshiftClient,
  ) {
    this.#queryClient = queryClient;
    this.#organizationId = organizationId.toLowerCase();
    this.#client = client;
  }

  /**
   * Handles one broadcast payload; resolves once the invalidation (and the
   * refetch of active queries) is done.
   */
  async handle(payload: unknown): Promise<NoticeOutcome> {
    const parsed = invalidationNotice.safeParse(payload);
    if (!parsed.success) {
      const organization = (payload as { organization_id?: unknown } | null)
        ?.organization_id;
      if (
        typeof organization !== "string" ||
        organization.toLowerCase() !== this.#organizationId
      ) {
        return {
          applied: false,
          ignored: "other-organization",
          action: "expire",
          keys: [],
        };
      }
      const keys = [nightshiftKeys.organization(this.#organizationId)];
      await this.#apply("purge", keys);
      return { applied: true, action: "purge", keys };
    }
    const notice = parsed.data;
    if (notice.organization_id.toLowerCase() !== this.#organizationId) {
      return {
        applied: false,
        ignored: "other-organization",
        action: notice.action,
        keys: [],
        notice,
      };
    }
    if (this.#seen.has(notice.seq)) {
      return {
        applied: false,
        ignored: "duplicate",
        action: notice.action,
        keys: [],
        notice,
      };
    }
    this.#remember(notice.seq);
    const keys = affectedKeys(notice);
    await this.#apply(notice.action, keys);
    return { applied: true, action: notice.action, keys, notice };
  }

  /**
   * After a (re)subscription: notices may have been missed while not listening,
   * so every query of the organization is invalidated.
   */
  async resubscribed(): Promise<void> {
    await this.#apply("expire", [
      nightshiftKeys.organization(this.#organizationId),
    ]);
  }

  async #apply(action: "expire" | "purge", keys: readonly QueryKey[]): Promise<void> {
    if (keys.length > 0) this.#client?.revalidateOrganization(this.#organizationId);
    await Promise.all(
      keys.map((queryKey) =>
        action === "purge"
          ? this.#queryClient.resetQueries({ queryKey })
          : this.#queryClient.invalidateQueries({ queryKey })
      ),
    );
  }

  #remember(seq: number): void {
    this.#seen.add(seq);
    if (this.#seen.size > SEEN_LIMIT) {
      this.#seen.delete(this.#seen.values().next().value!);
    }
  }
}
