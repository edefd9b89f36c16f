/**
 * Every error a function answers with deliberately. Each class has a stable
 * `code`; `shared/http/error_status.ts` maps codes to HTTP statuses in one place.
 */
export class AppError extends Error {
  override name = "AppError";
  constructor(
    /** Stable, machine-readable code, e.g. `invalid_request`. */
    readonly code: string,
    message: string,
    /** Extra JSON-safe context for the caller (never secrets, never stack traces). */
    readonly details?: unknown,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  /**
   * True for errors of the request itself (4xx): the cache passes them through
   * unchanged and does not count them as failures (see `isCallerFault`).
   */
  get callerFault(): boolean {
    return this.code !== "internal_error" && this.code !== "service_unavailable";
  }
}

/** The request is malformed: bad parameters, bad JSON, failed validation. */
export class InvalidRequestError extends AppError {
  override name = "InvalidRequestError";
  constructor(message: string, details?: unknown) {
    super("invalid_request", message, details);
  }
}

/** No or invalid credentials. */
export class UnauthorizedError extends AppError {
  override name = "UnauthorizedError";
  constructor(message = "Authentication required: send a valid bearer token") {
    super("unauthorized", message);
  }
}

/** Valid credentials that do not allow this action. */
export class ForbiddenError extends AppError {
  override name = "ForbiddenError";
  constructor(message = "You are not allowed to do this") {
    super("forbidden", message);
  }
}

/** The route or resource does not exist. */
export class NotFoundError extends AppError {
  override name = "NotFoundError";
  constructor(message = "Not found") {
    super("not_found", message);
  }
}

/** The route exists but not for this method. */
export class MethodNotAllowedError extends AppError {
  override name = "MethodNotAllowedError";
  constructor(readonly allowed: readonly string[]) {
    super("method_not_allowed", `Method not allowed: use ${allowed.join(", ")}`, { allowed });
  }
}

/** The request conflicts with the current state. */
export class ConflictError extends AppError {
  override name = "ConflictError";
  constructor(message: string, details?: unknown) {
    super("conflict", message, details);
  }
}

/** The body or query is larger than accepted. */
export class PayloadTooLargeError extends AppError {
  override name = "PayloadTooLargeError";
  constructor(message: string) {
    super("payload_too_large", message);
  }
}

/** The body is not in a format the route accepts. */
export class UnsupportedMediaTypeError extends AppError {
  override name = "UnsupportedMediaTypeError";
  constructor(message = "Unsupported media type: send Content-Type: application/json") {
    super("unsupported_media_type", message);
  }
}

/** A dependency (the database) is unavailable. */
export class ServiceUnavailableError extends AppError {
  override name = "ServiceUnavailableError";
  constructor(
    message: string,
    options?: ErrorOptions & {
      /** Seconds for `Retry-After`. @default 5 */
      readonly retryAfterSeconds?: number;
    },
  ) {
    super("service_unavailable", message, undefined, options);
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }

  /** Seconds for `Retry-After`, when the error knows better than the default. */
  readonly retryAfterSeconds: number | undefined;
}
