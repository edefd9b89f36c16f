/** Options of the CORS policy for browser callers. */
export interface CorsOptions {
  /** Allowed origins, or `["*"]` for any. @default ["*"] */
  readonly allowedOrigins?: readonly string[];
  /** Methods browsers may use. @default ["GET", "POST", "OPTIONS"] */
  readonly allowedMethods?: readonly string[];
}

const ALLOWED_HEADERS =
  "authorization, x-client-info, apikey, content-type, if-none-match, cache-control";
const EXPOSED_HEADERS = "etag, age, x-cache, cache-control, x-generated-at, x-fresh-until";

/** Response headers as a plain record: cheaper than `Headers` on a hot path. */
export type HeaderRecord = Readonly<Record<string, string>>;

const policies = new WeakMap<CorsOptions, { base: HeaderRecord; any: HeaderRecord }>();

function policyHeaders(options: CorsOptions): { base: HeaderRecord; any: HeaderRecord } {
  let headers = policies.get(options);
  if (!headers) {
    const base = {
      "Access-Control-Allow-Headers": ALLOWED_HEADERS,
      "Access-Control-Allow-Methods": (options.allowedMethods ?? ["GET", "POST", "OPTIONS"])
        .join(", "),
      "Access-Control-Expose-Headers": EXPOSED_HEADERS,
      "Access-Control-Max-Age": "600",
    };
    headers = { base, any: { ...base, "Access-Control-Allow-Origin": "*" } };
    policies.set(options, headers);
  }
  return headers;
}

/**
 * CORS response headers for a request: supabase-js's headers are allowed and
 * the cache headers are exposed so browser code can read `ETag` and `X-Cache`.
 * A request from an origin not on the list gets no `Access-Control-Allow-Origin`.
 * The records of a policy are built once (keep the options object).
 */
export function corsHeaders(request: Request, options: CorsOptions = {}): HeaderRecord {
  const { base, any } = policyHeaders(options);
  const origins = options.allowedOrigins ?? ["*"];
  if (origins.includes("*")) return any;
  const origin = request.headers.get("origin");
  if (origin && origins.includes(origin)) {
    return { ...base, "Access-Control-Allow-Origin": origin, Vary: "Origin" };
  }
  return base;
}

/** The answer to a CORS preflight (`OPTIONS`). */
export function preflightResponse(request: Request, options: CorsOptions = {}): Response {
  return new Response(null, { status: 204, headers: corsHeaders(request, options) });
}
