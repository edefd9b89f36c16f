/**
 * `Retry-After` (RFC 9110 §10.2.3): how long a server asked us to wait before
 * calling it again, as delay-seconds (`600`) or an HTTP-date
 * (`Wed, 21 Oct 2026 07:28:00 GMT`). Every outbound call the project retries
 * (the webhook outbox today) reads the hint here and never retries sooner.
 *
 * @module
 */

/** The longest wait a hint can impose: 24 h (a larger value is read as 24 h). */
export const MAX_RETRY_AFTER_MS = 24 * 3_600_000;

/** Statuses whose `Retry-After` is a backoff hint (RFC 9110 §15.6.4, RFC 6585 §4). */
export const BACKOFF_STATUSES: ReadonlySet<number> = new Set([429, 503]);

const DELAY_SECONDS = /^\s*(\d{1,12})\s*$/;
// IMF-fixdate, obsolete RFC 850 and asctime formats, which recipients must accept.
const HTTP_DATE =
  /^\s*(?:[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT|[A-Z][a-z]+, \d{2}-[A-Z][a-z]{2}-\d{2} \d{2}:\d{2}:\d{2} GMT|[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} \d{4})\s*$/;

/**
 * The wait a `Retry-After` value asks for, in milliseconds (0..{@linkcode MAX_RETRY_AFTER_MS}),
 * or `undefined` when the value is absent or malformed. An HTTP-date is read
 * against the response's own `Date` header when it has one (so a receiver
 * whose clock differs from ours still gets the wait it meant), else `now`.
 *
 * @param value The header's value (`null` when absent).
 * @param now Our clock, epoch milliseconds.
 * @param responseDate The response's `Date` header, if any.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { retryAfterMs } from "./retry_after.ts";
 *
 * assert.equal(retryAfterMs("600", 0), 600_000);
 * assert.equal(
 *   retryAfterMs("Sun, 06 Nov 1994 08:49:37 GMT", 0, "Sun, 06 Nov 1994 08:48:37 GMT"),
 *   60_000,
 * );
 * assert.equal(retryAfterMs("soon", 0), undefined);
 * ```
 */
export function retryAfterMs(
  value: string | null | undefined,
  now: number,
  responseDate?: string | null,
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const seconds = DELAY_SECONDS.exec(value);
  if (seconds) return Math.min(Number(seconds[1]) * 1_000, MAX_RETRY_AFTER_MS);
  if (!HTTP_DATE.test(value)) return undefined;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  const sentAt = responseDate && HTTP_DATE.test(responseDate) ? Date.parse(responseDate) : NaN;
  const reference = Number.isNaN(sentAt) ? now : sentAt;
  return Math.min(Math.max(at - reference, 0), MAX_RETRY_AFTER_MS);
}

/**
 * The earliest time (epoch ms) a response allows the next call, or `undefined`
 * when it gives no backoff hint (only 429 and 503 do).
 */
export function retryNotBefore(response: Response, now: number): number | undefined {
  if (!BACKOFF_STATUSES.has(response.status)) return undefined;
  const wait = retryAfterMs(
    response.headers.get("retry-after"),
    now,
    response.headers.get("date"),
  );
  return wait === undefined ? undefined : now + wait;
}
