/**
 * The body and headers of a dataset read, and why they keep the invalidation
 * promise towards HTTP caches (README "HTTP caching").
 *
 * - The body holds only what the SQL returned (`rows`, and for nightly datasets
 *   the snapshot's `as_of_date` / `rebuilt_at`) plus the dataset's identity, so
 *   its strong ETag (SHA-256 of the bytes, `shared/cache/etag.ts`) derives from the
 *   data: equal rows give equal bytes, hence the same ETag, across recomputations.
 *   The cache's own times travel in headers (`X-Generated-At`, `X-Fresh-Until`,
 *   `Age`), which a 304 carries too.
 * - `Cache-Control: private, no-cache`: a browser (or any private cache) may store
 *   the body but must revalidate before every reuse (RFC 9111 §5.2.2.4), so a purge
 *   is honoured at the next read; shared caches must not store it (§5.2.2.7). A max-age
 *   would promise freshness that an invalidation could not take back.
 *   The revalidation is a 304 answered from the server cache without a body.
 *
 * @module
 */
import type { CacheResult } from "../cache/cache_result.ts";
import { etagMatches } from "../cache/etag.ts";
import type { HeaderRecord } from "../http/header_record.ts";
import type { DatasetDocument } from "./dataset_query.ts";

/** What browsers and proxies are told: store privately, revalidate before every reuse. */
export const DATASET_CACHE_CONTROL = "private, no-cache";

/** The body the datasets function serves (serialized once, at cache-write time). */
export interface DatasetBody {
  readonly data: readonly unknown[];
  readonly meta: {
    readonly dataset: string;
    readonly organization_id: string;
    readonly tier: string;
    /** Nightly datasets: the local date the snapshot was computed for. */
    readonly as_of_date?: string | null;
    /** Nightly datasets: when the snapshot was rebuilt (changes only with a rebuild). */
    readonly rebuilt_at?: string | null;
  };
}

/**
 * Serializes a computed document into the served body: a function of the data
 * and the dataset's identity only (never of when it was computed), so equal
 * rows serialize to equal bytes.
 */
export function serializeDatasetBody(
  document: DatasetDocument,
  target: { readonly dataset: string; readonly organizationId: string; readonly tier: string },
): string {
  const body: DatasetBody = {
    data: document.rows,
    meta: {
      dataset: target.dataset,
      organization_id: target.organizationId,
      tier: target.tier,
      ...("as_of_date" in document
        ? { as_of_date: document.as_of_date ?? null, rebuilt_at: document.rebuilt_at ?? null }
        : {}),
    },
  };
  return JSON.stringify(body);
}

/** `Authorization` among the names of a `Vary` value. */
const VARIES_ON_AUTHORIZATION = /(^|,)\s*authorization\s*(,|$)/i;

/** Most epoch-ms times whose ISO text is remembered ({@linkcode isoTime}). */
const MAX_ISO_TIMES = 4096;
const isoTimes = new Map<number, string>();

/**
 * `new Date(ms).toISOString()`, remembered: a cached entry's two times are the same
 * on every read of it, so the text is built once per entry, not once per response
 * (for every caller of `datasetResponse` alike). Forgets everything past
 * {@linkcode MAX_ISO_TIMES} times.
 */
function isoTime(ms: number): string {
  let text = isoTimes.get(ms);
  if (text === undefined) {
    if (isoTimes.size >= MAX_ISO_TIMES) isoTimes.clear();
    text = new Date(ms).toISOString();
    isoTimes.set(ms, text);
  }
  return text;
}

/** The last shell `Vary` seen and the answer's `Vary` made of it (one shell per process). */
let lastShellVary: string | undefined;
let lastAnswerVary = "Authorization";

/** The shell's `Vary` with `Authorization` added unless named there. */
function answerVary(vary: string | undefined): string {
  if (vary === undefined) return "Authorization";
  if (vary !== lastShellVary) {
    lastAnswerVary = VARIES_ON_AUTHORIZATION.test(vary) ? vary : `${vary}, Authorization`;
    lastShellVary = vary;
  }
  return lastAnswerVary;
}

/**
 * The HTTP response of a cached read: the stored body as it is, with `ETag`,
 * `Cache-Control: private, no-cache`, `Age`, `X-Cache`, `X-Generated-At` and
 * `X-Fresh-Until` (ISO 8601, the server cache's window) and `Vary` naming
 * `Authorization` (added to the `Vary` of `shellHeaders` unless named there), on
 * top of `shellHeaders` (the shell's CORS, `Vary` and request id, see
 * `shellHeadersOf` in shared/http/app.ts); 304 with the same headers and no body
 * when `If-None-Match` matches; no body for HEAD. Headers are a plain record (a
 * `Headers` object costs more on this hot path).
 */
export function datasetResponse(
  request: Request,
  result: CacheResult,
  shellHeaders: HeaderRecord,
): Response {
  const headers: Record<string, string> = {
    ...shellHeaders,
    "ETag": result.etag,
    "Cache-Control": DATASET_CACHE_CONTROL,
    "Age": String(result.ageSeconds),
    "X-Cache": result.status,
    "X-Generated-At": isoTime(result.generatedAt.getTime()),
    "X-Fresh-Until": isoTime(result.freshUntil.getTime()),
    "Vary": answerVary(shellHeaders.Vary),
  };
  if (etagMatches(request.headers.get("if-none-match"), result.etag)) {
    return new Response(null, { status: 304, headers });
  }
  headers["Content-Type"] = "application/json; charset=utf-8";
  return new Response(request.method === "HEAD" ? null : result.body, { status: 200, headers });
}
