import type { Sql } from "postgres";
import { type AccessTokenVerifier, bearerToken } from "../auth/access_token.ts";
import type { CacheParams } from "../cache/cache_key.ts";
import type { CacheStack } from "../cache/cache_stack.ts";
import { type CacheConfig, policyFor } from "../cache/config.ts";
import { corsHeaders, preflightResponse } from "../http/cors.ts";
import { errorResponse } from "../http/error_response.ts";
import { ForbiddenError, MethodNotAllowedError, UnauthorizedError } from "../http/errors.ts";
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
  readonly verifyToken: AccessTokenVerifier;
  readonly membership: MembershipChecker;
  readonly allowedOrigins: readonly string[];
}

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
  const token = await deps.verifyToken(bearerToken(request));
  if (token.role === "service_role") {
    return { caller: { role: "service_role", claims: token.claims }, userId: undefined };
  }
  if (token.role !== "authenticated" || !token.userId) {
    throw new UnauthorizedError("Sign in first: datasets are served to organization members");
  }
  if (!(await deps.membership.isMember(token.userId, target.organizationId))) {
    throw new ForbiddenError(`Not a member of organization ${target.organizationId}`);
  }
  return { caller: { role: "authenticated", claims: token.claims }, userId: token.userId };
}

/**
 * `GET|HEAD /datasets/<dataset>?organization_id=<uuid>[&params]`: authorize,
 * then serve from the cache (L1 → L2 → compute); `OPTIONS` answers CORS preflights.
 */
export function createDatasetsHandler(
  deps: DatasetsHandlerDependencies,
): (request: Request) => Promise<Response> {
  const cors = { allowedOrigins: deps.allowedOrigins, allowedMethods: ["GET", "HEAD", "OPTIONS"] };
  const parser = new DatasetRequestParser();
  return async function serveDataset(request: Request): Promise<Response> {
    if (request.method === "OPTIONS") return preflightResponse(request, cors);
    const headers = corsHeaders(request, cors);
    try {
      if (request.method !== "GET" && request.method !== "HEAD") {
        throw new MethodNotAllowedError(["GET", "HEAD", "OPTIONS"]);
      }
      const target = parser.parse(request.url);
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
      return datasetResponse(request, result, headers);
    } catch (error) {
      return errorResponse(error, headers);
    }
  };
}
