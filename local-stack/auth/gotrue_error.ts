/**
 * GoTrue's error responses (supabase/auth `internal/api/errors.go`,
 * `handleResponseErrorHTTP`; `internal/api/apiversions.go`). A request with
 * `X-Supabase-Api-Version: 2024-01-01` or later (supabase-js sends it) gets
 * `{"code": "<error code>", "message": "…"}` and the version echoed; an older or
 * missing version gets `{"code": <status>, "error_code": "…", "msg": "…"}`.
 * Both carry the `x-sb-error-code` header.
 */
export class GoTrueError extends Error {
  override name = "GoTrueError";

  constructor(
    /** HTTP status. */
    readonly status: number,
    /** GoTrue error code (`apierrors/errorcode.go`), e.g. `invalid_credentials`. */
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** An OAuth-style error (`apierrors.NewOAuthError`): `{"error", "error_description"}`, 400. */
export class GoTrueOAuthError extends Error {
  override name = "GoTrueOAuthError";

  constructor(readonly error: string, readonly description: string) {
    super(description);
  }
}

/** The API version header supabase-js sends and GoTrue echoes. */
export const API_VERSION_HEADER = "X-Supabase-Api-Version";
const API_VERSION_2024_01_01 = "2024-01-01";

/** True when the request asks for the 2024-01-01 API (any valid date on or after it). */
export function usesApiVersion20240101(request: Request): boolean {
  const value = request.headers.get(API_VERSION_HEADER);
  if (!value || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const parsed = Date.parse(`${value}T00:00:00Z`);
  return Number.isFinite(parsed) && parsed >= Date.parse(`${API_VERSION_2024_01_01}T00:00:00Z`);
}

/** Headers GoTrue adds to every answer of a versioned request. */
export function versionHeaders(request: Request): Record<string, string> {
  return usesApiVersion20240101(request) ? { [API_VERSION_HEADER]: API_VERSION_2024_01_01 } : {};
}

/** Renders an error the way GoTrue does for this request. */
export function goTrueErrorResponse(request: Request, error: GoTrueError | GoTrueOAuthError) {
  if (error instanceof GoTrueOAuthError) {
    return Response.json({ error: error.error, error_description: error.description }, {
      status: 400,
      headers: versionHeaders(request),
    });
  }
  const headers = { ...versionHeaders(request), "x-sb-error-code": error.code };
  const body = usesApiVersion20240101(request)
    ? { code: error.code, message: error.message }
    : { code: error.status, error_code: error.code, msg: error.message };
  return Response.json(body, { status: error.status, headers });
}
