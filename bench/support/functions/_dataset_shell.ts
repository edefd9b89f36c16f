/**
 * The code around the cache that the `datasets` function runs, reused by the
 * benchmark's baselines and peers so that only the cache differs between them:
 * request parsing (the endpoint's parser), token verification, the membership
 * check (the endpoint's {@linkcode MembershipChecker}), the cache key, and the
 * response headers (`datasetResponse`). Never deployed.
 *
 * @module
 */
import { bearerToken } from "../../../shared/auth/access_token.ts";
import { cacheKey } from "../../../shared/cache/cache_key.ts";
import { cacheResult, type CacheStatus } from "../../../shared/cache/cache_result.ts";
import { policyFor, readCacheConfig } from "../../../shared/cache/config.ts";
import type { CacheEntry } from "../../../shared/cache/entry.ts";
import { computeEtag } from "../../../shared/cache/etag.ts";
import {
  datasetResponse,
  serializeDatasetBody,
} from "../../../shared/datasets/dataset_response.ts";
import {
  type DatasetRequest,
  DatasetRequestParser,
} from "../../../shared/datasets/dataset_request.ts";
import { queryDataset } from "../../../shared/datasets/dataset_query.ts";
import { readDatasetsConfig } from "../../../shared/datasets/datasets_config.ts";
import { MembershipChecker } from "../../../shared/datasets/membership.ts";
import { createDatabaseClient } from "../../../shared/db/client.ts";
import { readFunctionEnv } from "../../../shared/env.ts";
import { projectTokenVerifier, readFunctionSettings } from "../../../shared/function_settings.ts";
import { corsHeaders } from "../../../shared/http/cors.ts";
import { errorResponse } from "../../../shared/http/error_response.ts";
import { ForbiddenError, UnauthorizedError } from "../../../shared/http/errors.ts";

const env = readFunctionEnv();
const settings = readFunctionSettings();
const cacheConfig = readCacheConfig();

/** The function's database client (the endpoint's settings: 5 connections). */
export const sql = createDatabaseClient(env.SUPABASE_DB_URL, { maxConnections: 5 });
const verifyToken = projectTokenVerifier(settings, env.SUPABASE_URL);
const membership = new MembershipChecker(sql, {
  ttlMs: readDatasetsConfig().DATASETS_MEMBERSHIP_TTL,
});
const parser = new DatasetRequestParser();
const cors = { allowedOrigins: settings.CORS_ALLOWED_ORIGINS, allowedMethods: ["GET", "HEAD"] };

/** An authorized request: what it asks for, its cache key, and who asks. */
export interface AuthorizedRead {
  readonly target: DatasetRequest;
  readonly key: string;
  readonly claims: Readonly<Record<string, unknown>>;
}

/** Parses, authenticates and authorizes (membership) as the endpoint does. */
export async function authorize(request: Request): Promise<AuthorizedRead> {
  const target = parser.parse(request.url);
  const token = await verifyToken(bearerToken(request));
  if (token.role !== "authenticated" || !token.userId) throw new UnauthorizedError("Sign in");
  if (!(await membership.isMember(token.userId, target.organizationId))) {
    throw new ForbiddenError(`Not a member of organization ${target.organizationId}`);
  }
  const key = cacheKey({
    organizationId: target.organizationId,
    dataset: target.dataset,
    params: target.params,
  });
  return { target, key, claims: token.claims };
}

/** Computes an entry as the endpoint does on a miss: query as the caller, serialize, ETag. */
export async function computeEntry(read: AuthorizedRead): Promise<CacheEntry> {
  const { target } = read;
  const policy = policyFor(cacheConfig, target.dataset);
  const generatedAt = Date.now();
  const document = await queryDataset(
    sql,
    { role: "authenticated", claims: read.claims },
    target.dataset,
    target.organizationId,
    target.params,
  );
  const freshUntil = generatedAt + policy.staleTimeMs;
  const text = serializeDatasetBody(document, {
    dataset: target.dataset,
    organizationId: target.organizationId,
    tier: policy.tier,
  });
  return {
    key: read.key,
    organizationId: target.organizationId,
    dataset: target.dataset,
    body: text,
    etag: computeEtag(text),
    tagVersions: {},
    generatedAt,
    freshUntil,
    expiresAt: generatedAt + policy.retentionMs,
  };
}

/** The endpoint's response for an entry (headers, ETag, 304), with `X-Cache: status`. */
export function respond(request: Request, entry: CacheEntry, status: CacheStatus): Response {
  const tier = policyFor(cacheConfig, entry.dataset).tier;
  const result = cacheResult(entry, { status, source: "l1", tier, now: Date.now() });
  return datasetResponse(request, result, corsHeaders(request, cors));
}

/** Serves `handler` with the endpoint's error mapping. */
export function serve(handler: (request: Request) => Promise<Response>): void {
  Deno.serve(async (request) => {
    try {
      return await handler(request);
    } catch (error) {
      return errorResponse(error, corsHeaders(request, cors));
    }
  });
}
