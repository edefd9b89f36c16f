/** Options of the CORS policy for browser callers. */
export interface CorsOptions {
  /** Allowed origins, or `["*"]` for any. @default ["*"] */
  readonly allowedOrigins?: readonly string[];
  /** Methods browsers may use. @default ["GET", "POST", "OPTIONS"] */
  readonly allowedMethods?: readonly string[];
}

const ALLOWED_HEADERS = "authorization, x-client-info, apikey, content-type, if-none-match";
const EXPOSED_HEADERS = "etag, age, x-cache, cache-control";

/**
 * CORS response headers for a request: supabase-js's headers are allowed and
 * the cache headers are exposed so browser code can read `ETag` and `X-Cache`.
 * A request from an origin not on the list gets no `Access-Control-Allow-Origin`.
 */
export function corsHeaders(request: Request, options: CorsOptions = {}): Headers {
  const origins = options.allowedOrigins ?? ["*"];
  const origin = request.headers.get("origin");
  const headers = new Headers({
    "Access-Control-Allow-Headers": ALLOWED_HEADERS,
    "Access-Control-Allow-Methods": (options.allowedMethods ?? ["GET", "POST", "OPTIONS"]).join(
      ", ",
    ),
    "Access-Control-Expose-Headers": EXPOSED_HEADERS,
    "Access-Control-Max-Age": "600",
  });
  if (origins.includes("*")) headers.set("Access-Control-Allow-Origin", "*");
  else if (origin && origins.includes(origin)) {
    headers.set("Access-Control-Allow-Origin", origin);
    headers.set("Vary", "Origin");
  }
  return headers;
}

/** The answer to a CORS preflight (`OPTIONS`). */
export function preflightResponse(request: Request, options: CorsOptions = {}): Response {
  return new Response(null, { status: 204, headers: corsHeaders(request, options) });
}
