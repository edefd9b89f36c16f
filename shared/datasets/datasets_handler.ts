import type { Sql } from "postgres";
import type { CallerVerifier } from "../auth/caller.ts";
import type { CacheParams } from "../cache/cache_key.ts";
import type { CacheStack } from "../cache/cache_stack.ts";
import { type CacheConfig, policyFor } from "../cache/config.ts";
import type { ShellContext, ShellHeaders } from "../http/app.ts";
import { ForbiddenError, UnauthorizedError } from "../http/errors.ts";
import { checkRequestShape } from "../http/route.ts";
import { datasetResponse, serializeDatasetBody } from "./dataset_response.ts";
import { type DatasetRequest, DatasetRequestParser } from "./dataset_request.ts";
import { type DatasetDocument, type QueryCaller, queryDataset } from "./dataset_query.ts";
import type { MembershipChecker } from "./membership.ts";
import { DATASETS } from "./registry.ts";

/** What the datasets handler is built from (module-scope objects of the function). */
export interface DatasetsHandlerDependencies {
  readonly sql: Sql;
  readonly cache: CacheStack;
  /** The configuration `cache` was built with (for `meta.tier`). */
  readonly cacheConfig: CacheConfig;
  readonly verifyCaller: CallerVerifier;
  readonly membership: MembershipChecker;
  /** The shell's headers for a request (`shellHeadersOf(app)`), put into each answer. */
  readonly shellHeaders: ShellHeaders;
}

/** The shape of a datasets request: a query (validated per dataset), no body. */
export const DATASETS_ROUTE = { method: "GET", path: "/datasets/<dataset>", query: true } as const;

const NO_CACHE = /\bno-cache\b/i;

/**
 * Decides who may read before any cache lookup: a member of the organization
 * (checked through {@linkcode MembershipChecker}) or the service role.
 */
async function authorize(
  request: Request,
  target: DatasetRequest,
  deps: DatasetsHandlerDependencies,
): Promise<{ caller: QueryCaller; userId: string | undefined }> {
  const caller = await deps.verifyCaller(request);
  if (caller.role === "service_role") {
    return { caller: { role: "service_role", claims: caller.claims }, userId: undefined };
  }
  if (caller.role !== "authenticated" || !caller.userId) {
    throw new UnauthorizedError("Sign in first: datasets are served to organization members");
  }
  if (!(await deps.membership.isMember(caller.userId, target.organizationId))) {
    throw new ForbiddenError(`Not a member of organization ${target.organizationId}`);
  }
  return { caller: { role: "authenticated", claims: caller.claims }, userId: caller.userId };
}

/**
 * `GET|HEAD /datasets/<dataset>?organization_id=<uuid>[&params]`: validate,
 * authorize, then serve from the cache (L1 → L2 → compute). Errors are thrown to
 * the shell's `onError`.
 */
export function createDatasetsHandler(
  deps: DatasetsHandlerDependencies,
): (c: ShellContext) => Promise<Response> {
  const parser = new DatasetRequestParser();
  return async function serveDataset(c: ShellContext): Promise<Response> {
    const request = c.req.raw;
    checkRequestShape(request, DATASETS_ROUTE);
    const target = parser.parse(request.url);
    const log = c.get("log");
    log.dataset = target.dataset;
    log.organization_id = target.organizationId;
    const { caller, userId } = await authorize(request, target, deps);
    // The URL's key, computed once per URL, unless the rows depend on the caller.
    const userScoped = DATASETS[target.dataset].userScoped;
    const params: CacheParams = userScoped
      ? { ...target.params, user: userId ?? "service_role" }
      : target.params;
    const result = await deps.cache.get<DatasetDocument>({
      organizationId: target.organizationId,
      dataset: target.dataset,
      params,
      // `Cache-Control: no-cache`: the caller knows of an invalidation (a broadcast).
      revalidate: NO_CACHE.test(request.headers.get("cache-control") ?? ""),
      ...(userScoped ? {} : { key: target.key }),
      compute: () =>
        queryDataset(deps.sql, caller, target.dataset, target.organizationId, target.params),
      serialize: (document) =>
        serializeDatasetBody(document, {
          dataset: target.dataset,
          organizationId: target.organizationId,
          tier: policyFor(deps.cacheConfig, target.dataset).tier,
        }),
    });
    log.cache = result.status;
    return datasetResponse(request, result, deps.shellHeaders(c));
  };
}
