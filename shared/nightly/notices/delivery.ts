/**
 * Delivers the outbox's due notices to the webhook, each on its own schedule.
 *
 * @module
 */
import type { Sql } from "postgres";
import type { Clock } from "../../util/clock.ts";
import { intervalOf, type NightlySettings } from "../settings.ts";
import { type AttemptOutcome, classifyAnswer, REASON_MAX_CHARS } from "./attempt_outcome.ts";
import { InvalidNoticeError, parseNotice } from "./events.ts";
import { redactSecrets } from "./redact.ts";
import { renderSlackMessage } from "./slack_message.ts";

/** What one delivery pass did. */
export interface DeliveryReport {
  readonly delivered: number;
  /** Attempts that failed and will be retried. */
  readonly failed: number;
  /** Notices refused for good in this pass (see `nightly.notice_status`). */
  readonly parked?: number;
  /** Why the pass ended early, if it did. */
  readonly note?: string;
}

/** What a delivery pass needs. */
export interface DeliveryOptions {
  readonly sql: Sql;
  readonly clock: Clock;
  /** Where to post; undefined: nothing is sent and notices keep waiting. */
  readonly webhookUrl: string | undefined;
  readonly settings: Pick<
    NightlySettings,
    | "NIGHTLY_WEBHOOK_TIMEOUT"
    | "NIGHTLY_WEBHOOK_RETRY_BASE_DELAY"
    | "NIGHTLY_WEBHOOK_RETRY_MAX_DELAY"
  >;
  /** Stop claiming notices after this `performance.now()` reading. */
  readonly deadline: number;
  /** Values that must never appear in a posted message or a stored error. */
  readonly secrets: readonly (string | undefined)[];
  /** @default {globalThis.fetch} */
  readonly fetch?: typeof fetch;
}

interface ClaimedNotice {
  id: string;
  kind: string;
  event: unknown;
  attempts: number;
  idempotency_key: string;
}

/** The first `maxChars` characters of a body, without reading the rest. */
async function answerPrefix(response: Response, maxChars: number): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    while (text.length < maxChars) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return text.slice(0, maxChars);
}

/**
 * Posts due notices one at a time, oldest due first, until none is due or the
 * deadline passes. Each notice stands alone: a failure moves only that notice
 * to its next attempt (backoff), a permanent refusal (4xx other than 408/429)
 * parks it, and the pass goes on with the next one. Only a receiver's
 * `Retry-After` (429, 503) holds back every pending notice, and ends the pass.
 * Each POST carries the notice's idempotency key (body `idempotency_key`,
 * header `Idempotency-Key`), the same on every attempt. Never throws for a
 * receiver's failure.
 */
export async function deliverPendingNotices(options: DeliveryOptions): Promise<DeliveryReport> {
  const { sql, clock, webhookUrl, settings } = options;
  if (!webhookUrl) {
    return { delivered: 0, failed: 0, note: "no webhook URL configured: notices wait" };
  }
  const post = options.fetch ?? fetch;
  const secrets = [...options.secrets, webhookUrl];
  const counts = { delivered: 0, failed: 0, parked: 0 };
  // A claim outlives one POST by 30 s.
  const claimFor = intervalOf(settings.NIGHTLY_WEBHOOK_TIMEOUT + 30_000);
  while (performance.now() < options.deadline) {
    const [notice] = await sql<ClaimedNotice[]>`
      select id::text, kind, event, attempts, idempotency_key::text
      from nightly.claim_next_notice(${new Date(clock.now())}, ${claimFor}::interval)`;
    if (!notice) return counts;

    const result = await attempt(notice, webhookUrl, post, options, secrets);
    const error = result.outcome === "delivered" ? null : redactSecrets(result.error, secrets);
    const notBefore = result.outcome === "retry" && result.notBefore !== undefined
      ? new Date(result.notBefore)
      : null;
    await sql`
      select nightly.record_notice_attempt(
        ${notice.id}, ${new Date(clock.now())}, ${result.outcome}, ${result.status}, ${error},
        ${notBefore}, ${intervalOf(settings.NIGHTLY_WEBHOOK_RETRY_BASE_DELAY)}::interval,
        ${intervalOf(settings.NIGHTLY_WEBHOOK_RETRY_MAX_DELAY)}::interval)`;
    if (result.outcome === "delivered") counts.delivered++;
    else if (result.outcome === "parked") counts.parked++;
    else {
      counts.failed++;
      if (notBefore) {
        return { ...counts, note: `receiver asked to wait until ${notBefore.toISOString()}` };
      }
    }
  }
  return { ...counts, note: "delivery deadline reached" };
}

async function attempt(
  notice: ClaimedNotice,
  webhookUrl: string,
  post: typeof fetch,
  options: DeliveryOptions,
  secrets: readonly (string | undefined)[],
): Promise<AttemptOutcome> {
  let body: string;
  try {
    const message = redactSecrets(
      renderSlackMessage(parseNotice(notice.kind, notice.event)),
      secrets,
    );
    body = JSON.stringify({ ...message, idempotency_key: notice.idempotency_key });
  } catch (cause) {
    if (!(cause instanceof InvalidNoticeError)) throw cause;
    // This version cannot render it; a later one may: retry with backoff.
    return { outcome: "retry", status: null, error: cause.message };
  }
  const timeoutMs = options.settings.NIGHTLY_WEBHOOK_TIMEOUT;
  try {
    const response = await post(webhookUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Idempotency-Key": notice.idempotency_key },
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    const answer = response.ok ? "" : await answerPrefix(response, REASON_MAX_CHARS);
    if (response.ok) await response.body?.cancel();
    return classifyAnswer(response, answer, options.clock.now());
  } catch (cause) {
    const error = cause as Error;
    if (error.name === "TimeoutError") {
      return {
        outcome: "retry",
        status: null,
        error: `Webhook did not answer within ${timeoutMs} ms: it may have received the notice ` +
          `(sent again with the same idempotency key)`,
      };
    }
    return { outcome: "retry", status: null, error: `Webhook unreachable: ${error.message}` };
  }
}
