/**
 * Errors of the cache, together, each with a stable `E_…` code and context fields
 * (as BentoCache names its errors). The cache knows nothing of HTTP: the function
 * shell (`shared/http/error_status.ts`) chooses a status for each code.
 *
 * | code                     | meaning                                                      |
 * | ------------------------ | ------------------------------------------------------------ |
 * | `E_INVALID_CACHE_KEY`    | organization, dataset or parameters cannot form a key        |
 * | `E_INVALID_TAG`          | a tag is empty, too long, malformed, or too many             |
 * | `E_INVALID_INPUT`        | the cache's SQL API refused its arguments (SQLSTATE 22023)   |
 * | `E_COMPUTE_FAILED`       | a computation failed and nothing stale could be served       |
 * | `E_SERIALIZATION_FAILED` | the serializer did not return a string                       |
 * | `E_STORE_UNAVAILABLE`    | the L2 store (Postgres) failed                               |
 * | `E_LEASE_TIMEOUT`        | another instance held the computation lease for too long     |
 * | `E_INVALID_CONFIG`       | the cache's configuration is invalid (start-up)              |
 *
 * @module
 */

/** Stable code of a cache error. */
export type CacheErrorCode =
  | "E_INVALID_CACHE_KEY"
  | "E_INVALID_TAG"
  | "E_INVALID_INPUT"
  | "E_COMPUTE_FAILED"
  | "E_SERIALIZATION_FAILED"
  | "E_STORE_UNAVAILABLE"
  | "E_LEASE_TIMEOUT"
  | "E_INVALID_CONFIG";

/** Base class of every cache error: a stable `code` and JSON-safe `context` (no secrets). */
export class CacheError extends Error {
  override name = "CacheError";
  constructor(
    readonly code: CacheErrorCode,
    message: string,
    readonly context: Readonly<Record<string, unknown>> = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Cache key parts (organization, dataset, parameters) that cannot form a key. */
export class InvalidCacheKeyError extends CacheError {
  override name = "InvalidCacheKeyError";
  constructor(message: string, context?: Record<string, unknown>) {
    super("E_INVALID_CACHE_KEY", message, context);
  }
}

/** A tag that is empty, too long, malformed, or too many tags. */
export class InvalidTagError extends CacheError {
  override name = "InvalidTagError";
  constructor(message: string, context?: Record<string, unknown>) {
    super("E_INVALID_TAG", message, context);
  }
}

/** Arguments the cache's SQL API refused (SQLSTATE 22023); the message is the database's. */
export class InvalidCacheInputError extends CacheError {
  override name = "InvalidCacheInputError";
  constructor(message: string, readonly operation: string) {
    super("E_INVALID_INPUT", message, { operation });
  }
}

/** The computation of a value failed and no stale value could be served; `cause` says why. */
export class CacheComputeError extends CacheError {
  override name = "CacheComputeError";
  constructor(readonly key: string, options?: ErrorOptions) {
    super("E_COMPUTE_FAILED", "Cache computation failed", { key }, options);
  }
}

/** A computed value that cannot be stored: the serializer did not return a string. */
export class CacheSerializationError extends CacheError {
  override name = "CacheSerializationError";
  constructor(readonly key: string, options?: ErrorOptions) {
    super("E_SERIALIZATION_FAILED", "Cache serialization failed", { key }, options);
  }
}

/** The L2 store (Postgres) failed; the driver error is the `cause`. */
export class CacheStoreError extends CacheError {
  override name = "CacheStoreError";
  constructor(readonly operation: string, options?: ErrorOptions) {
    super(
      "E_STORE_UNAVAILABLE",
      `Cache store unavailable: ${operation} failed`,
      { operation },
      options,
    );
  }
}

/** Another instance held the computation lease of a key for longer than this caller waits. */
export class CacheLeaseTimeoutError extends CacheError {
  override name = "CacheLeaseTimeoutError";
  constructor(readonly key: string, readonly waitedMs: number) {
    super(
      "E_LEASE_TIMEOUT",
      `Cache busy: another instance is computing this data: waited ${waitedMs} ms`,
      { key, waitedMs },
    );
  }
}

/** Cache configuration (environment or options) that is invalid; thrown at start-up. */
export class CacheConfigError extends CacheError {
  override name = "CacheConfigError";
  constructor(message: string) {
    super("E_INVALID_CONFIG", message);
  }
}

/**
 * Whether an error thrown by a computation is the caller's fault (a revoked
 * membership, bad parameters): such errors are passed through unchanged and are
 * not counted as failures of the dataset. An error says so with a `callerFault`
 * property that is `true` (the shell's request errors do); anything else is a
 * failure.
 */
export function isCallerFault(error: unknown): boolean {
  return (error as { callerFault?: unknown } | null)?.callerFault === true;
}

/** Whether a computation's error counts as a failure of the dataset (metrics, health). */
export function isComputeFailure(error: unknown): boolean {
  return !isCallerFault(error);
}
