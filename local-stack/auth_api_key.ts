/**
 * The API key check hosted Supabase's gateway makes on `/auth/v1`: a request
 * without an `apikey` (header, or `?apikey=` as Kong's key-auth also reads) is
 * refused with 401 before it reaches Auth, except on the routes it leaves open.
 *
 * Sources: self-hosted Supabase's Kong config (supabase/supabase
 * `docker/volumes/api/kong.yml`): `auth-v1-open`, `auth-v1-open-callback`,
 * `auth-v1-open-authorize` and `auth-v1-open-jwks` carry only `cors`, the catch-all
 * `auth-v1` route (`/auth/v1/`) adds `key-auth`. The answer's body is hosted's
 * (`message` and `hint`), with the project's `error` shape beside it. `supabase
 * start` (supabase/cli `internal/start/templates/kong.yml`) checks no key here:
 * the local stack follows hosted. Whether the key is a valid one is not checked.
 */

/** Path prefixes under `/auth/v1` that pass without an API key (Kong prefix routes). */
export const OPEN_AUTH_PATHS: readonly string[] = [
  "/auth/v1/verify",
  "/auth/v1/callback",
  "/auth/v1/authorize",
  "/auth/v1/.well-known/jwks.json",
  // The local stack's alias of the JWKS (not a hosted route).
  "/auth/v1/jwks",
];

/** Whether a request to `url` (under `/auth/v1`) needs an `apikey`. */
export function authPathNeedsApiKey(url: URL): boolean {
  return !OPEN_AUTH_PATHS.some((open) => url.pathname.startsWith(open));
}

/** Whether `request` carries a non-empty `apikey` header or `apikey` query parameter. */
export function hasApiKey(request: Request, url: URL): boolean {
  return Boolean(request.headers.get("apikey") || url.searchParams.get("apikey"));
}

/** 401 JSON as hosted's gateway answers a request without an API key. */
export function missingApiKeyResponse(): Response {
  const message = "No API key found in request";
  return Response.json({
    message,
    hint: "No `apikey` request header or url param was found.",
    error: { code: "no_api_key", message, details: null },
  }, { status: 401 });
}
