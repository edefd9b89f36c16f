/**
 * The one error type the client throws: the server's `{"error":{code,message,details}}`
 * with the HTTP status, or a client-side code for what never reached a function.
 *
 * @module
 */

/**
 * Codes besides the server's (`invalid_request`, `unauthorized`, `forbidden`,
 * `not_found`, `method_not_allowed`, `rate_limited`, `internal_error`,
 * `service_unavailable`, …): `network_error` (no response, status 0),
 * `relay_error` (the platform's relay failed), `invalid_response` (a body that is
 * not what the function sends), `unexpected_status`, `user_changed` (status
 * 401: a user-scoped query keyed for one user while another is signed in; the
 * request is not sent).
 */
export type ClientErrorCode =
  | "network_error"
  | "relay_error"
  | "invalid_response"
  | "unexpected_status"
  | "user_changed";

/** A failed Nightshift call. */
export class NightshiftError extends Error {
  override name = "NightshiftError";
  /** Stable, machine-readable code, e.g. `forbidden`. */
  readonly code: string;
  /** HTTP status, 0 when no response arrived. */
  readonly status: number;
  /** The server's `details` (validation issues, allowed methods, …), if any. */
  readonly details: unknown;
  /** Seconds to wait before retrying, from `Retry-After` (429, 503). */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    init: {
      code: string;
      status: number;
      message: string;
      details?: unknown;
      retryAfterSeconds?: number | undefined;
    },
    options?: ErrorOptions,
  ) {
    super(init.message, options);
    this.code = init.code;
    this.status = init.status;
    this.details = init.details;
    this.retryAfterSeconds = init.retryAfterSeconds;
  }

  /** True for 4xx: the request itself is wrong (or not allowed); retrying will not help. */
  get isClientError(): boolean {
    return this.status >= 400 && this.status < 500;
  }
}

/**
 * The error a function answered with, from its response: the JSON error body when
 * there is one (`{"error":{...}}`, or the gateway's `{"msg": ...}`), else the status.
 */
export async function errorFromResponse(
  response: Response,
): Promise<NightshiftError> {
  let body: unknown;
  try {
    body = await response.clone().json();
  } catch {
    body = undefined;
  }
  const error = (body as { error?: unknown } | undefined)?.error;
  const retryAfter = Number(response.headers.get("retry-after") ?? NaN);
  const retryAfterSeconds = Number.isFinite(retryAfter) ? retryAfter : undefined;
  if (
    error && typeof error === "object" &&
    typeof (error as { code?: unknown }).code === "string"
  ) {
    const { code, message, details } = error as {
      code: string;
      message?: unknown;
      details?: unknown;
    };
    return new NightshiftError({
      code,
      status: response.status,
      message: typeof message === "string" ? message : `${code} (HTTP ${response.status})`,
      details,
      retryAfterSeconds,
    });
  }
  const msg = (body as { msg?: unknown } | undefined)?.msg;
  return new NightshiftError({
    code: CODE_BY_STATUS[response.status] ?? "unexpected_status",
    status: response.status,
    message: typeof msg === "string"
      ? msg
      : `HTTP ${response.status} ${response.statusText}`.trim(),
    details: body,
    retryAfterSeconds,
  });
}

const CODE_BY_STATUS: Readonly<Record<number, string>> = {
  400: "invalid_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  429: "rate_limited",
  500: "internal_error",
  503: "service_unavailable",
};
