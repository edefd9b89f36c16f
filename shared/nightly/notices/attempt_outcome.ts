/**
 * What one webhook answer means for its notice: delivered, retried later, or
 * parked for good.
 *
 * @module
 */
import { retryNotBefore } from "../../outbound/retry_after.ts";

/** The fate of one delivery attempt, as `nightly.record_notice_attempt` records it. */
export type AttemptOutcome =
  | { readonly outcome: "delivered"; readonly status: number }
  | {
    readonly outcome: "retry";
    readonly status: number | null;
    readonly error: string;
    /** The receiver's `Retry-After`, epoch ms: nothing is sent to it sooner. */
    readonly notBefore?: number;
  }
  | { readonly outcome: "parked"; readonly status: number; readonly error: string };

/** Most characters of a receiver's answer kept in an error or parking reason. */
export const REASON_MAX_CHARS = 300;

/**
 * Classifies an answer: 2xx delivered; 408 (timeout), 429 (rate limit), 3xx
 * left unfollowed and 5xx retried (429 and 503 with their `Retry-After`);
 * every other 4xx is permanent (the same notice would be refused again) and
 * parks the notice with the receiver's reason.
 *
 * @param answer The first {@linkcode REASON_MAX_CHARS} characters of the response body.
 * @param now Our clock, epoch milliseconds.
 */
export function classifyAnswer(response: Response, answer: string, now: number): AttemptOutcome {
  const { status } = response;
  if (status >= 200 && status < 300) return { outcome: "delivered", status };
  const reason = answer.trim().replace(/\s+/g, " ").slice(0, REASON_MAX_CHARS);
  const detail = reason ? `: ${reason}` : "";
  if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
    return {
      outcome: "parked",
      status,
      error: `Webhook refused the notice: HTTP ${status}${detail}`,
    };
  }
  const notBefore = retryNotBefore(response, now);
  return {
    outcome: "retry",
    status,
    error: `Webhook answered HTTP ${status}${detail}`,
    ...(notBefore === undefined ? {} : { notBefore }),
  };
}
