import type { CacheResult } from "../cache/cache_result.ts";
import { etagMatches } from "../cache/etag.ts";
import type { HeaderRecord } from "../http/header_record.ts";

/** The body the datasets function serves (serialized once, at cache-write time). */
export interface DatasetBody {
  readonly data: readonly unknown[];
  readonly meta: {
    readonly dataset: string;
    readonly organization_id: string;
    readonly generated_at: string;
    readonly fresh_until: string;
    readonly tier: string;
    readonly as_of_date?: string | null;
    readonly rebuilt_at?: string | null;
  };
}

/**
 * The HTTP response of a cached read: the stored body as it is, with `ETag`,
 * `Cache-Control` (private, max-age = remaining freshness,
 * stale-while-revalidate = remaining retention), `Age` and `X-Cache`; 304 with
 * no body when `If-None-Match` matches; no body for HEAD. Headers are a plain
 * record (a `Headers` object costs more on this hot path).
 */
export function datasetResponse(
  request: Request,
  result: CacheResult,
  cors: HeaderRecord,
): Response {
  const headers: Record<string, string> = {
    ...cors,
    "ETag": result.etag,
    "Cache-Control":
      `private, max-age=${result.freshForSeconds}, stale-while-revalidate=${result.staleWhileRevalidateSeconds}`,
    "Age": String(result.ageSeconds),
    "X-Cache": result.status,
    "Vary": cors.Vary ? `${cors.Vary}, Authorization` : "Authorization",
  };
  if (etagMatches(request.headers.get("if-none-match"), result.etag)) {
    return new Response(null, { status: 304, headers });
  }
  headers["Content-Type"] = "application/json; charset=utf-8";
  return new Response(request.method === "HEAD" ? null : result.body, { status: 200, headers });
}
