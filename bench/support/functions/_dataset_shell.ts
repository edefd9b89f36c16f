/**
 * The code around the cache that the `datasets` function runs, reused by the
 * benchmark's baselines and peers so that only the cache differs between them:
 * request parsing (the endpoint's parser), token verification, the membership
 * check (the endpoint's {@linkcode MembershipChecker}), the cache key (the
 * parser's, once per URL), the response headers (`datasetResponse`), the
 * request's shape check and the request line's fields (`dataset`,
 * `organization_id`, `cache`). Never deployed.
 *
 * @module
 */
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
import { readDatasetsSettings } from "../../../shared/datasets/datasets_settings.ts";
import { MembershipChecker } from "../../../shared/datasets/membership.ts";
import { datasetTiers } from "../../../shared/datasets/registry.ts";
import { createDatabaseClient } from "../../../shared/db/client.ts";
import { readFunctionEnv } from "../../../shared/env.ts";
import { callerVerifier, readFunctionSettings } from "../../../shared/function_settings.ts";
import { createShell, type RequestLogFields, shellHeadersOf } from "../../../shared/http/app.ts";
import { checkRequestShape } from "../../../shared/http/route.ts";
import { DATASETS_ROUTE } from "../../../shared/datasets/datasets_handler.ts";
import type { HeaderRecord } from "../../../shared/http/header_record.ts";
import { ForbiddenError, UnauthorizedError } from "../../../shared/http/errors.ts";
import { configureLogging, logger } from "../../../shared/log/logging.ts";

const env = readFunctionEnv();
const settings = readFunctionSettings();
configureLogging({ level: settings.LOG_LEVEL });
const cacheConfig = readCacheConfig(undefined, datasetTiers());

/** The function's database client (the endpoint's settings: 5 connections). */
export const sql = createDatabaseClient(env.SUPABASE_DB_URL, { maxConnections: 5 });
const verifyCaller = callerVerifier(settings, env);
const membership = new MembershipChecker(sql, {
  ttlMs: readDatasetsSettings().DATASETS_MEMBERSHIP_TTL,
});
const parser = new DatasetRequestParser();

/** An authorized request: what it asks for, its cache key, and who asks. */
export interface AuthorizedRead {
  readonly target: DatasetRequest;
  readonly key: string;
  readonly claims: Readonly<Record<string, unknown>>;
}

/**
 * Parses, authenticates and authorizes (membership) as the endpoint does, naming the
 * dataset and organization in the request line (`log`, from {@linkcode serve}).
 */
export async function authorize(request: Request, log?: RequestLogFields): Promise<AuthorizedRead> {
  const target = parser.parse(request.url);
  if (log) {
    log.dataset = target.dataset;
    log.organization_id = target.organizationId;
  }
  const caller = await verifyCaller(request);
  if (caller.role !== "authenticated" || !caller.userId) throw new UnauthorizedError("Sign in");
  if (!(await membership.isMember(caller.userId, target.organizationId))) {
    throw new ForbiddenError(`Not a member of organization ${target.organizationId}`);
  }
  // The key as the endpoint takes it: computed once per URL by the parser.
  return { target, key: target.key, claims: caller.claims };
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

/**
 * The endpoint's response for an entry (headers, ETag, 304), with `X-Cache: status`,
 * on top of the shell's headers (CORS, Vary, request id), as the endpoint answers;
 * the request line says `cache: status` (`log`, from {@linkcode serve}).
 */
export function respond(
  request: Request,
  entry: CacheEntry,
  status: CacheStatus,
  shellHeaders: HeaderRecord,
  log?: RequestLogFields,
): Response {
  if (log) log.cache = status;
  const tier = policyFor(cacheConfig, entry.dataset).tier;
  const result = cacheResult(entry, { status, source: "l1", tier, now: Date.now() });
  return datasetResponse(request, result, shellHeaders);
}

/**
 * Serves `handler` inside the endpoint's shell (CORS, Vary, request log, error
 * mapping), after the endpoint's request shape check. `shellHeaders()` gives the
 * shell's headers for the request, as the endpoint's handler takes them: call it
 * only for the answer (an error thrown after it would miss them). `log` is the
 * request line's fields, for `authorize` and `respond`.
 */
export function serve(
  handler: (
    request: Request,
    shellHeaders: () => HeaderRecord,
    log: RequestLogFields,
  ) => Promise<Response>,
): void {
  const app = createShell({
    name: "datasets",
    allowedOrigins: settings.CORS_ALLOWED_ORIGINS,
    log: logger("bench"),
    vary: ["Authorization", "apikey"],
  });
  const headersOf = shellHeadersOf(app);
  app.on(["GET", "HEAD"], "/*", (c) => {
    checkRequestShape(c.req.raw, DATASETS_ROUTE);
    return handler(c.req.raw, () => headersOf(c), c.get("log"));
  });
  Deno.serve(app.fetch);
}
