/**
 * Delivers the outbox's pending notices to the webhook, oldest first.
 *
 * @module
 */
import type { Sql } from "postgres";
import type { Clock } from "../../util/clock.ts";
import { intervalOf, type NightlySettings } from "../settings.ts";
import { InvalidNoticeError, parseNotice } from "./events.ts";
import { redactSecrets } from "./redact.ts";
import { renderSlackMessage } from "./slack_message.ts";

/** What one delivery pass did. */
export interface DeliveryReport {
  readonly delivered: number;
  readonly failed: number;
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
    "webhookTimeoutMs" | "webhookRetryBaseDelayMs" | "webhookRetryMaxDelayMs"
  >;
  /** Stop claiming notices after this `performance.now()` reading. */
  readonly deadline: number;
  /** Values that must never appear in a posted message or a stored error. */
  readonly secrets: readonly (string | undefined)[];
  /** @default {globalThis.fetch} */
  readonly fetch?: typeof fetch;
}

/**
 * Posts pending notices one at a time: each success is marked delivered; the
 * first failure is scheduled for a retry (backoff) and ends the pass, since
 * the receiver is likely down for the notices behind it too. Never throws for
 * a receiver's failure; a refresh never waits on this beyond its deadline.
 */
export async function deliverPendingNotices(options: DeliveryOptions): Promise<DeliveryReport> {
  const { sql, clock, webhookUrl, settings } = options;
  if (!webhookUrl) {
    return { delivered: 0, failed: 0, note: "no webhook URL configured: notices wait" };
  }
  const post = options.fetch ?? fetch;
  const secrets = [...options.secrets, webhookUrl];
  let delivered = 0;
  while (performance.now() < options.deadline) {
    const now = new Date(clock.now());
    const [notice] = await sql<{ id: string; kind: string; event: unknown; attempts: number }[]>`
      select id::text, kind, event, attempts
      from nightly.claim_next_notice(
        ${now}, ${intervalOf(settings.webhookTimeoutMs + 30_000)}::interval)`;
    if (!notice) return { delivered, failed: 0 };

    let status: number | null = null;
    let error: string | null = null;
    try {
      const message = redactSecrets(
        renderSlackMessage(parseNotice(notice.kind, notice.event)),
        secrets,
      );
      const response = await post(webhookUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(message),
        signal: AbortSignal.timeout(settings.webhookTimeoutMs),
      });
      status = response.status;
      await response.body?.cancel();
      if (!response.ok) error = `Webhook answered HTTP ${response.status}`;
    } catch (cause) {
      error = cause instanceof InvalidNoticeError
        ? cause.message
        : `Webhook unreachable: ${(cause as Error).message}`;
    }
    await sql`
      select nightly.record_notice_delivery(
        ${notice.id}, ${new Date(clock.now())}, ${error === null}, ${status},
        ${error === null ? null : redactSecrets(error, secrets)},
        ${intervalOf(settings.webhookRetryBaseDelayMs)}::interval,
        ${intervalOf(settings.webhookRetryMaxDelayMs)}::interval)`;
    if (error !== null) return { delivered, failed: 1, note: redactSecrets(error, secrets) };
    delivered++;
  }
  return { delivered, failed: 0, note: "delivery deadline reached" };
}
