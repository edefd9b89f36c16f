/**
 * Reading datasets and nightly status through `supabase.functions.invoke`
 * (GET), with ETag revalidation and typed errors.
 *
 * `functions.invoke` treats every status outside 200–299 as an error: a 304 comes
 * back as `FunctionsHttpError` with the response in `error.context` and no data.
 * The client turns that 304 into the stored body, and every other error into a
 * {@linkcode NightshiftError}.
 *
 * @module
 */
import {
  FunctionsFetchError,
  FunctionsHttpError,
  FunctionsRelayError,
  type SupabaseClient,
} from "@supabase/supabase-js";
import {
  type DatasetName,
  type DatasetQuery,
  type DatasetRow,
  isUserScoped,
} from "./dataset_catalogue.ts";
import { datasetPath } from "./dataset_url.ts";
import { errorFromResponse, NightshiftError } from "./errors.ts";
import { type EtagStore, MemoryEtagStore } from "./etag_store.ts";
import type { NightlyStatus } from "./nightly_status.ts";

/** `meta` of a dataset body. */
export interface DatasetMeta {
  readonly dataset: DatasetName;
  readonly organization_id: string;
  readonly tier: string;
  /** Nightly datasets: the local date of the snapshot (`YYYY-MM-DD`), null before the first rebuild. */
  readonly as_of_date?: string | null;
  /** Nightly datasets: when the snapshot was rebuilt (ISO 8601), null before the first rebuild. */
  readonly rebuilt_at?: string | null;
}

/** A dataset read. */
export interface DatasetResult<N extends DatasetName> {
  readonly data: readonly DatasetRow<N>[];
  readonly meta: DatasetMeta;
  /** The strong ETag of the body (derived from the data). */
  readonly etag: string;
  /** True when the server answered 304 and the stored body was reused. */
  readonly revalidated: boolean;
  /** How the server cache answered: `HIT`, `MISS` or `STALE`. */
  readonly cache: string | null;
  /** When the server computed this body (ISO 8601), from `X-Generated-At`. */
  readonly generatedAt: string | null;
  /** Until when the server cache holds it fresh (ISO 8601), from `X-Fresh-Until`. */
  readonly freshUntil: string | null;
}

/** Options of a {@linkcode NightshiftClient}. */
export interface NightshiftClientOptions {
  /** Where bodies and ETags are kept for revalidation. @default {new MemoryEtagStore()} */
  readonly etagStore?: EtagStore;
  /** Name of the datasets function. @default "datasets" */
  readonly datasetsFunction?: string;
  /** Name of the nightly function. @default "nightly-refresh" */
  readonly nightlyFunction?: string;
  /**
   * The caller's token when supabase-js was created with its `accessToken`
   * option (third-party auth, where `supabase.auth` is unavailable): pass the
   * same function. @default the supabase-js session's `access_token`
   */
  readonly accessToken?: () => Promise<string | null>;
}

/** Called when the signed-in user changes; `previous` is undefined the first time the user is learned. */
export type UserChangeListener = (
  next: string | null,
  previous: string | null | undefined,
) => void;

/** How long reads ask for server revalidation after a notice (covers a refetch's retries). */
export const REVALIDATE_AFTER_NOTICE_MS = 5_000;

/** Per-call options. */
export interface CallOptions {
  readonly signal?: AbortSignal;
}

/** Options of a dataset read. */
export interface FetchDatasetOptions extends CallOptions {
  /**
   * User-scoped datasets: the user the result is for (the user id in its query
   * key). When another user is signed in, nothing is sent and the read throws a
   * `user_changed` {@linkcode NightshiftError}, so one user's rows never land
   * under another's key.
   */
  readonly userId?: string | null;
}

/**
 * Reads Nightshift's functions as the signed-in user of `supabase`.
 *
 * It follows the signed-in user (`userId`: the JWT `sub`, null when signed out,
 * undefined until learned; `ready` resolves once learned): from supabase-js auth
 * events (SIGNED_IN, SIGNED_OUT, …, synchronously within `signIn…`/`signOut`),
 * and from the token of every user-scoped read (the only source with the
 * `accessToken` option; call `refreshUser()` after switching tokens there).
 * When the user changes it clears its ETag store and tells `onUserChange`
 * listeners (`dropQueriesOnUserChange` drops the QueryClient's Nightshift queries).
 */
export class NightshiftClient {
  readonly supabase: SupabaseClient;
  readonly etagStore: EtagStore;
  /** Resolves once the signed-in user is known (`userId` is not undefined). */
  readonly ready: Promise<void>;
  readonly #datasetsFunction: string;
  readonly #nightlyFunction: string;
  readonly #accessToken: (() => Promise<string | null>) | undefined;
  /** Organization → clock time until which reads ask the server to revalidate. */
  readonly #revalidateUntil = new Map<string, number>();
  #userId: string | null | undefined = undefined;
  /** Grows on every user change: a read started before one stores nothing. */
  #userGeneration = 0;
  readonly #userListeners = new Set<UserChangeListener>();
  #unsubscribeAuth: (() => void) | undefined;

  constructor(supabase: SupabaseClient, options: NightshiftClientOptions = {}) {
    this.supabase = supabase;
    this.etagStore = options.etagStore ?? new MemoryEtagStore();
    this.#datasetsFunction = options.datasetsFunction ?? "datasets";
    this.#nightlyFunction = options.nightlyFunction ?? "nightly-refresh";
    this.#accessToken = options.accessToken;
    if (!this.#accessToken) {
      try {
        const { data } = supabase.auth.onAuthStateChange((_event, session) => {
          this.#setUser(session?.user?.id ?? null);
        });
        this.#unsubscribeAuth = () => data.subscription.unsubscribe();
      } catch {
        // supabase-js created with `accessToken` and no `accessToken` option here:
        // user-scoped reads fail (the user cannot be known); the others work.
      }
    }
    this.ready = this.refreshUser().then(() => {}, () => {});
  }

  /** The signed-in user's id (JWT `sub`), null when signed out, undefined until learned. */
  get userId(): string | null | undefined {
    return this.#userId;
  }

  /** Reads the current token's user and records it (a change clears the ETag store). */
  async refreshUser(): Promise<string | null> {
    return (await this.#caller()).userId;
  }

  /** Calls `listener` on every change of the signed-in user; returns the unsubscribe. */
  onUserChange(listener: UserChangeListener): () => void {
    this.#userListeners.add(listener);
    return () => this.#userListeners.delete(listener);
  }

  /** Stops following supabase-js auth events. */
  close(): void {
    this.#unsubscribeAuth?.();
    this.#userListeners.clear();
  }

  #setUser(userId: string | null): void {
    const previous = this.#userId;
    if (previous === userId) return;
    this.#userId = userId;
    if (previous !== undefined) {
      this.#userGeneration++;
      // An async store that fails to clear still cannot serve another user:
      // user-scoped bodies are stored per user.
      void Promise.resolve(this.etagStore.clear?.()).catch(() => {});
    }
    for (const listener of this.#userListeners) listener(userId, previous);
  }

  /** The token functions.invoke would send and its user. */
  async #caller(): Promise<{ token: string | null; userId: string | null }> {
    const token = this.#accessToken
      ? await this.#accessToken()
      : (await this.supabase.auth.getSession()).data.session?.access_token ?? null;
    const userId = subjectOf(token);
    this.#setUser(userId);
    return { token, userId };
  }

  /**
   * Makes the next reads of an organization's datasets (for `forMs`) send
   * `Cache-Control: no-cache`, so the server re-checks its in-isolate cache
   * against the latest invalidations before answering (instead of within its
   * 1 s bound). The invalidation router calls this on every notice.
   */
  revalidateOrganization(
    organizationId: string,
    forMs = REVALIDATE_AFTER_NOTICE_MS,
  ): void {
    this.#revalidateUntil.set(organizationId.toLowerCase(), Date.now() + forMs);
  }

  /**
   * Reads a dataset of an organization. Sends `If-None-Match` with the stored
   * ETag; a 304 returns the stored body (`revalidated: true`). A user-scoped
   * dataset is read with the token whose user keys its stored body (URL + user
   * id), and refused with `user_changed` when `options.userId` is not that user.
   * Throws {@linkcode NightshiftError} (`code`, `status`, `details`, the server's message).
   */
  async fetchDataset<N extends DatasetName>(
    name: N,
    query: DatasetQuery<N>,
    options: FetchDatasetOptions = {},
  ): Promise<DatasetResult<N>> {
    const path = datasetPath(this.#datasetsFunction, name, query);
    const headers: Record<string, string> = {};
    let storeKey = path;
    if (isUserScoped(name)) {
      const caller = await this.#caller();
      if (options.userId !== undefined && options.userId !== caller.userId) {
        throw new NightshiftError({
          code: "user_changed",
          status: 401,
          message: `${name} was asked for user ${options.userId} while ${
            caller.userId ?? "nobody"
          } is signed in`,
        });
      }
      storeKey = `${path}#user=${caller.userId ?? ""}`;
      if (caller.token) headers["Authorization"] = `Bearer ${caller.token}`;
    }
    // Taken after learning the caller: a user change from here on stores nothing.
    const generation = this.#userGeneration;
    const stored = await this.etagStore.get(storeKey);
    if (stored) headers["If-None-Match"] = stored.etag;
    const organization = query.organization_id.toLowerCase();
    const until = this.#revalidateUntil.get(organization);
    if (until !== undefined) {
      if (Date.now() < until) headers["Cache-Control"] = "no-cache";
      else this.#revalidateUntil.delete(organization);
    }
    const { response, data: body } = await this.#get(path, headers, options);
    if (response.status === 304) {
      if (!stored) {
        throw new NightshiftError({
          code: "unexpected_status",
          status: 304,
          message: "Not Modified without a stored body: the If-None-Match was not ours",
        });
      }
      return datasetResult<N>(stored.body, stored.etag, response, true);
    }
    const etag = response.headers.get("etag");
    if (etag && generation === this.#userGeneration) {
      await this.etagStore.set(storeKey, { etag, body });
    }
    return datasetResult<N>(body, etag ?? "", response, false);
  }

  /**
   * The nightly status of an organization (`GET nightly-refresh/status`):
   * last refresh, next night, running / queued jobs, last result. Owners and
   * admins only: a member gets a `forbidden` {@linkcode NightshiftError}.
   */
  async fetchNightlyStatus(
    organizationId: string,
    options: CallOptions = {},
  ): Promise<NightlyStatus> {
    const query = new URLSearchParams({ organization_id: organizationId });
    const { response, data } = await this.#get(
      `${this.#nightlyFunction}/status?${query}`,
      {},
      options,
    );
    const document = data as {
      last_run: NightlyStatus["lastRun"];
      queue: NightlyStatus["queue"];
      organizations: NightlyStatus["organization"][];
      generated_at: string;
    };
    const organization = document.organizations?.find((row) =>
      row.organization_id === organizationId
    );
    if (!organization) {
      throw new NightshiftError({
        code: "invalid_response",
        status: response.status,
        message: `Nightly status without organization ${organizationId}`,
        details: document,
      });
    }
    return {
      organization,
      lastRun: document.last_run,
      queue: document.queue,
      generatedAt: document.generated_at,
      running: document.queue.running > 0,
      failed: organization.last_result?.status === "failed",
    };
  }

  /**
   * GET through `functions.invoke`; resolves with a 2xx response and its parsed
   * body, or a 304 (no body), throws otherwise.
   */
  async #get(
    path: string,
    headers: Record<string, string>,
    options: CallOptions,
  ): Promise<{ response: Response; data: unknown }> {
    const { data, error, response } = await this.supabase.functions.invoke(
      path,
      {
        method: "GET",
        headers,
        ...(options.signal ? { signal: options.signal } : {}),
      },
    );
    if (!error && response) return { response, data };
    if (error instanceof FunctionsHttpError) {
      const failed = error.context as Response;
      if (failed.status === 304) return { response: failed, data: undefined };
      throw await errorFromResponse(failed);
    }
    if (error instanceof FunctionsRelayError) {
      const failed = error.context as Response;
      throw new NightshiftError(
        {
          code: "relay_error",
          status: failed.status,
          message: `Relay error: ${failed.statusText}`,
        },
        { cause: error },
      );
    }
    if (
      error instanceof FunctionsFetchError ||
      (error as Error | null)?.name === "AbortError"
    ) {
      throw new NightshiftError(
        {
          code: "network_error",
          status: 0,
          message: `Network error: ${messageOf(error)}`,
        },
        { cause: error },
      );
    }
    throw new NightshiftError(
      {
        code: "network_error",
        status: 0,
        message: `Request failed: ${messageOf(error)}`,
      },
      { cause: error },
    );
  }
}

/** The `sub` claim of a JWT, null without a token or a subject (the anon key). */
function subjectOf(token: string | null): string | null {
  const payload = token?.split(".")[1];
  if (!payload) return null;
  try {
    const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
    const sub = (JSON.parse(json) as { sub?: unknown }).sub;
    return typeof sub === "string" && sub !== "" ? sub : null;
  } catch {
    return null;
  }
}

function messageOf(error: unknown): string {
  const cause = (error as { context?: unknown })?.context;
  return cause instanceof Error
    ? cause.message
    : error instanceof Error
    ? error.message
    : String(error);
}

function datasetResult<N extends DatasetName>(
  body: unknown,
  etag: string,
  response: Response,
  revalidated: boolean,
): DatasetResult<N> {
  const document = body as { data?: unknown; meta?: unknown };
  if (
    !Array.isArray(document?.data) || typeof document.meta !== "object" ||
    !document.meta
  ) {
    throw new NightshiftError({
      code: "invalid_response",
      status: response.status,
      message: "The dataset body has no data array or meta",
    });
  }
  return {
    data: document.data as DatasetRow<N>[],
    meta: document.meta as DatasetMeta,
    etag: response.headers.get("etag") ?? etag,
    revalidated,
    cache: response.headers.get("x-cache"),
    generatedAt: response.headers.get("x-generated-at"),
    freshUntil: response.headers.get("x-fresh-until"),
  };
}
