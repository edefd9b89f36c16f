import { AppError, MethodNotAllowedError } from "./errors.ts";

/** HTTP status of every error code: the one place codes meet statuses. */
export const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal_error: 500,
  service_unavailable: 503,
};

/** The JSON body of every error: `{"error": {"code", "message", "details"?}}`. */
export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly details?: unknown };
}

/**
 * Turns anything thrown by a handler into a JSON error response. Known errors
 * keep their code and message; anything else becomes a 500 without internals
 * (logged server-side).
 */
export function errorResponse(error: unknown, headers?: HeadersInit): Response {
  const responseHeaders = new Headers(headers);
  if (error instanceof AppError) {
    if (error instanceof MethodNotAllowedError) {
      responseHeaders.set("Allow", error.allowed.join(", "));
    }
    const body: ErrorBody = {
      error: {
        code: error.code,
        message: error.message,
        ...(error.details === undefined ? {} : { details: error.details }),
      },
    };
    return Response.json(body, {
      status: STATUS_BY_CODE[error.code] ?? 500,
      headers: responseHeaders,
    });
  }
  console.error("Unhandled error:", error);
  const body: ErrorBody = {
    error: {
      code: "internal_error",
      message: "Internal error: the request could not be completed",
    },
  };
  return Response.json(body, { status: 500, headers: responseHeaders });
}
