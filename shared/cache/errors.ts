/**
 * Errors of the cache, together, each with a stable `name` and `code`.
 *
 * They extend the classes of `shared/http/errors.ts`, so `errorResponse` maps them to
 * HTTP statuses without a second table: bad input is `invalid_request` (400), a failed
 * computation is `internal_error` (500), an unreachable or busy store is
 * `service_unavailable` (503). Configuration problems are not requests' fault and are
 * plain errors thrown at startup (`CacheConfigError`).
 *
 * @module
 */
import { STATUS_BY_CODE } from "../http/error_response.ts";
import { AppError, InvalidRequestError, ServiceUnavailableError } from "../http/errors.ts";

/** A duration string (`30s`, `10m`, `24h`) that cannot be parsed. Code `invalid_request`. */
export class InvalidDurationError extends InvalidRequestError {
  override name = "InvalidDurationError";
  constructor(readonly value: string, reason: string) {
    super(`Invalid duration: ${reason}: received ${JSON.stringify(value)}`, { value });
  }
}

/** Cache key parts (organization, dataset, parameters) that cannot form a key. Code `invalid_request`. */
export class InvalidCacheKeyError extends InvalidRequestError {
  override name = "InvalidCacheKeyError";
  constructor(message: string, details?: unknown) {
    super(message, details);
  }
}

/** A tag that is empty, too long, malformed, or too many tags. Code `invalid_request`. */
export class InvalidTagError extends InvalidRequestError {
  override name = "InvalidTagError";
  constructor(message: string, details?: unknown) {
    super(message, details);
  }
}

/**
 * The computation of a value failed and no stale value could be served instead.
 * Code `internal_error`; the original error is the `cause` (never shown to callers).
 */
export class CacheComputeError extends AppError {
  override name = "CacheComputeError";
  constructor(readonly key: string, options?: ErrorOptions) {
    super(
      "internal_error",
      "Internal error: the data could not be computed",
      undefined,
      options,
    );
  }
}

/** A computed value that cannot be stored: the serializer did not return a string. Code `internal_error`. */
export class CacheSerializationError extends AppError {
  override name = "CacheSerializationError";
  constructor(readonly key: string, options?: ErrorOptions) {
    super("internal_error", "Internal error: the data could not be serialized", undefined, options);
  }
}

/** The L2 store (Postgres) failed. Code `service_unavailable`; the driver error is the `cause`. */
export class CacheStoreError extends ServiceUnavailableError {
  override name = "CacheStoreError";
  constructor(readonly operation: string, options?: ErrorOptions) {
    super(`Cache store unavailable: ${operation} failed`, options);
  }
}

/**
 * Another instance held the computation lease of a key for longer than this caller
 * was willing to wait. Code `service_unavailable` (retry later).
 */
export class CacheLeaseTimeoutError extends ServiceUnavailableError {
  override name = "CacheLeaseTimeoutError";
  constructor(readonly key: string, readonly waitedMs: number) {
    super(`Cache busy: another instance is computing this data: waited ${waitedMs} ms`);
  }
}

/** Cache configuration (environment or options) that is invalid; thrown at startup. */
export class CacheConfigError extends Error {
  override name = "CacheConfigError";
  /** Stable code of configuration errors. */
  readonly code = "cache_config_invalid";
}

/**
 * Whether a computation's error counts as a failure of the dataset (for metrics
 * and health): anything but an error of the request itself, i.e. an `AppError`
 * whose code maps to a 4xx status (a revoked membership, bad parameters).
 */
export function isComputeFailure(error: unknown): boolean {
  return !(error instanceof AppError) || (STATUS_BY_CODE[error.code] ?? 500) >= 500;
}
