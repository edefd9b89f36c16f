/**
 * The one place errors meet HTTP statuses: request errors (`AppError` codes), cache
 * errors (`E_…` codes), authentication errors of `@supabase/server`, and outages
 * (connection refused, timeouts, pool exhaustion, a database shutting down) found
 * anywhere in a cause chain, which answer 503 with `Retry-After`.
 *
 * @module
 */
import { CacheError, type CacheErrorCode } from "../cache/errors.ts";
import { InvalidDurationError } from "../util/durations.ts";
import { AppError, MethodNotAllowedError, ServiceUnavailableError } from "./errors.ts";

/** HTTP status of every request error code. */
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

/** Request error code of every cache error code. */
const CODE_OF_CACHE_ERROR: Readonly<Record<CacheErrorCode, string>> = {
  E_INVALID_CACHE_KEY: "invalid_request",
  E_INVALID_TAG: "invalid_request",
  E_INVALID_INPUT: "invalid_request",
  E_COMPUTE_FAILED: "internal_error",
  E_SERIALIZATION_FAILED: "internal_error",
  E_STORE_UNAVAILABLE: "service_unavailable",
  E_LEASE_TIMEOUT: "service_unavailable",
  E_INVALID_CONFIG: "internal_error",
};

/** Seconds a client is told to wait after an outage, unless the error says otherwise. */
export const DEFAULT_RETRY_AFTER_SECONDS = 5;

/**
 * Codes of failures to reach or keep a dependency: Node/Deno socket errors,
 * postgres.js connection errors, and SQLSTATEs of a database that is shutting
 * down, refusing connections, out of connections, cancelling on timeout, or
 * aborting a transaction that may be retried (serialization, deadlock).
 * Sources: postgres.js `src/errors.js`; PostgreSQL Appendix A (classes 08, 53, 57, 40).
 */
const OUTAGE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "57P01",
  "57P02",
  "57P03",
  "57014",
  "53300",
  "53400",
  "40001",
  "40P01",
]);

/** Deno's own network error classes (`Deno.errors.*`). */
const OUTAGE_NAMES = new Set([
  "ConnectionRefused",
  "ConnectionReset",
  "ConnectionAborted",
  "TimedOut",
  "NotConnected",
  "BrokenPipe",
]);

/** What an error answers with. */
export interface ErrorAnswer {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly details?: unknown;
  /** Set for 503: seconds for `Retry-After`. */
  readonly retryAfterSeconds?: number;
  /** Set for 405: methods for `Allow`. */
  readonly allow?: readonly string[];
}

function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current = error;
  while (current !== undefined && current !== null && chain.length < 8) {
    chain.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  return chain;
}

/** True when `error` or one of its causes is an outage (see {@linkcode OUTAGE_CODES}). */
export function isOutage(error: unknown): boolean {
  return causes(error).some((link) => {
    const code = (link as { code?: unknown }).code;
    const sqlState = (link as { sqlState?: unknown }).sqlState;
    return (typeof code === "string" && (OUTAGE_CODES.has(code) || code.startsWith("08"))) ||
      (typeof sqlState === "string" && OUTAGE_CODES.has(sqlState)) ||
      (link instanceof Error && OUTAGE_NAMES.has(link.name)) ||
      link instanceof ServiceUnavailableError ||
      (link instanceof CacheError &&
        (link.code === "E_STORE_UNAVAILABLE" || link.code === "E_LEASE_TIMEOUT"));
  });
}

/**
 * Chooses the answer to `error`: its status, code, a message safe to show, and
 * `Retry-After` / `Allow` where they apply. Unknown errors are 500 with a
 * generic message (their cause is logged, never shown).
 */
export function answerOf(error: unknown): ErrorAnswer {
  if (error instanceof AppError && error.code !== "internal_error") {
    if (error.code === "service_unavailable") {
      const seconds = error instanceof ServiceUnavailableError
        ? error.retryAfterSeconds
        : undefined;
      return {
        status: 503,
        code: error.code,
        message: error.message,
        retryAfterSeconds: seconds ?? DEFAULT_RETRY_AFTER_SECONDS,
      };
    }
    return {
      status: STATUS_BY_CODE[error.code] ?? 500,
      code: error.code,
      message: error.message,
      ...(error.details === undefined ? {} : { details: error.details }),
      ...(error instanceof MethodNotAllowedError ? { allow: error.allowed } : {}),
    };
  }
  if (isOutage(error)) {
    return {
      status: 503,
      code: "service_unavailable",
      message: "Service unavailable: a dependency did not answer; retry later",
      retryAfterSeconds: DEFAULT_RETRY_AFTER_SECONDS,
    };
  }
  if (error instanceof InvalidDurationError) {
    return { status: 400, code: "invalid_request", message: error.message };
  }
  if (error instanceof CacheError) {
    const code = CODE_OF_CACHE_ERROR[error.code];
    if (code === "invalid_request") {
      return { status: 400, code, message: error.message, details: error.context };
    }
  }
  return {
    status: 500,
    code: "internal_error",
    message: "Internal error: the request could not be completed",
  };
}
