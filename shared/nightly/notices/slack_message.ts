/**
 * Renders notices as Slack-compatible webhook messages: `text` (the
 * notification and the fallback for clients without blocks) plus Block Kit
 * `blocks`. Anything else that accepts JSON webhooks can read `text` alone.
 *
 * @module
 */
import type { Notice, OrganizationFailedEvent, OverdueEvent, RunEvent } from "./events.ts";

/** A Block Kit block (only the kinds used here). */
export type SlackBlock =
  | {
    readonly type: "header";
    readonly text: { readonly type: "plain_text"; readonly text: string };
  }
  | {
    readonly type: "section";
    readonly text?: { readonly type: "mrkdwn"; readonly text: string };
    readonly fields?: readonly { readonly type: "mrkdwn"; readonly text: string }[];
  }
  | {
    readonly type: "context";
    readonly elements: readonly { readonly type: "mrkdwn"; readonly text: string }[];
  };

/** The JSON body posted to the webhook. */
export interface SlackMessage {
  readonly text: string;
  readonly blocks: readonly SlackBlock[];
}

const FIGURE_LABELS: Readonly<Record<string, string>> = {
  booked_spend_12_months: "booked spend (12 months)",
  booked_invoices_12_months: "booked invoices (12 months)",
  products_purchased: "products purchased (12 months)",
  spend_last_30_days: "spend (last 30 days)",
  active_suppliers_last_90_days: "active suppliers (last 90 days)",
};

/** Slack's limit for a section's text is 3000 characters; stay well below. */
const MAX_SECTION = 2800;
const MAX_ERROR = 300;

/** Escapes the three characters Slack's mrkdwn treats as control characters. */
export function escapeMrkdwn(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

function organizations(count: number): string {
  return `${count} organization${count === 1 ? "" : "s"}`;
}

/** The `text` fallback: Slack reads it as mrkdwn too; bounded like a section. */
const MAX_TEXT = 3000;

/**
 * Shortens `text` to at most `max` UTF-16 code units, ending in `…`, without
 * splitting a surrogate pair (which would not be well-formed UTF-16) or an
 * escaped entity (`&amp;`, `&lt;`, `&gt;`).
 */
function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let head = text.slice(0, max - 1);
  const last = head.charCodeAt(head.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) head = head.slice(0, -1);
  const amp = head.lastIndexOf("&");
  if (amp >= 0 && amp >= head.length - 4 && !head.slice(amp).includes(";")) {
    head = head.slice(0, amp);
  }
  return `${head}…`;
}

function formatNumber(value: number): string {
  return value.toLocaleString("en-US", { maximumFractionDigits: 2 });
}

function organizationLabel(ref: { organization_id: string; organization_name: string | null }) {
  return `*${escapeMrkdwn(ref.organization_name ?? "(deleted organization)")}*`;
}

function section(text: string): SlackBlock {
  return { type: "section", text: { type: "mrkdwn", text: truncate(text, MAX_SECTION) } };
}

function header(text: string): SlackBlock {
  return { type: "header", text: { type: "plain_text", text: truncate(text, 150) } };
}

function context(text: string): SlackBlock {
  return { type: "context", elements: [{ type: "mrkdwn", text: truncate(text, MAX_SECTION) }] };
}

function bulletList(title: string, lines: readonly string[], total: number): string {
  const more = total > lines.length ? `\n…and ${total - lines.length} more` : "";
  return `${title}\n${lines.map((line) => `• ${line}`).join("\n")}${more}`;
}

const RUN_TITLES: Readonly<Record<RunEvent["status"], string>> = {
  completed: "Nightly refresh completed",
  partial: "Nightly refresh partially failed",
  failed: "Nightly refresh failed",
  timed_out: "Nightly refresh timed out",
  running: "Nightly refresh running",
};

function renderRun(event: RunEvent): SlackMessage {
  const { counts } = event;
  const title = RUN_TITLES[event.status];
  const summary = `${counts.refreshed} refreshed, ${counts.skipped} skipped, ${counts.deferred} ` +
    `deferred, ${counts.failed} failed of ${organizations(counts.organizations)} in ` +
    `${formatNumber(event.duration_seconds)} s`;
  const blocks: SlackBlock[] = [
    header(title),
    {
      type: "section",
      fields: [
        { type: "mrkdwn", text: `*Refreshed*\n${counts.refreshed}` },
        { type: "mrkdwn", text: `*Skipped (unchanged)*\n${counts.skipped}` },
        { type: "mrkdwn", text: `*Deferred*\n${counts.deferred}` },
        { type: "mrkdwn", text: `*Failed*\n${counts.failed}` },
        { type: "mrkdwn", text: `*Duration*\n${formatNumber(event.duration_seconds)} s` },
        { type: "mrkdwn", text: `*Nights*\n${event.local_dates.join(", ") || "–"}` },
      ],
    },
  ];
  if (event.significant_changes.length > 0) {
    blocks.push(section(bulletList(
      `*Significant changes* (${organizations(event.organizations_with_significant_changes)})`,
      event.significant_changes.map((organization) =>
        `${organizationLabel(organization)}: ${
          organization.changes.map((change) => {
            const percent = change.change_percent === null
              ? "new"
              : `${change.change_percent > 0 ? "+" : ""}${formatNumber(change.change_percent)}%`;
            return `${escapeMrkdwn(change.currency)} ${
              FIGURE_LABELS[change.figure] ?? escapeMrkdwn(change.figure)
            } ${formatNumber(change.previous)} → ${formatNumber(change.current)} (${percent})`;
          }).join("; ")
        }`
      ),
      event.organizations_with_significant_changes,
    )));
  }
  if (event.failures.length > 0) {
    blocks.push(section(bulletList(
      "*Failed organizations*",
      event.failures.map((failure) =>
        `${organizationLabel(failure)} after ${failure.attempts} attempts: ${
          escapeMrkdwn(truncate(failure.error ?? "unknown error", MAX_ERROR))
        }`
      ),
      counts.failed,
    )));
  }
  if (event.deferred.length > 0) {
    blocks.push(section(bulletList(
      `*Deferred past the deadline* (continuing in run ${event.continued_by_run_id ?? "–"})`,
      event.deferred.map(organizationLabel),
      counts.deferred,
    )));
  }
  const continues = event.continues_run_id ? ` · continues run ${event.continues_run_id}` : "";
  blocks.push(context(`run ${event.run_id}${continues} · started ${event.started_at}`));
  return { text: truncate(`${title}: ${summary}`, MAX_TEXT), blocks };
}

function renderOrganizationFailed(event: OrganizationFailedEvent): SlackMessage {
  const name = event.organization_name ?? "(deleted organization)";
  const error = truncate(event.error, MAX_ERROR);
  return {
    text: truncate(
      `Nightly refresh failed for ${escapeMrkdwn(name)} after ${event.attempts} attempts: ` +
        escapeMrkdwn(error),
      MAX_TEXT,
    ),
    blocks: [
      header(`Nightly refresh failed: ${name.replace(/\s+/g, " ")}`),
      section(
        `${organizationLabel(event)} (\`${event.organization_id}\`) failed its refresh of ` +
          `${event.local_date} (${escapeMrkdwn(event.time_zone)}) after ${event.attempts} ` +
          `attempts. Its previous datasets stay in place.\n*Error:* ${escapeMrkdwn(error)}`,
      ),
      context(`run ${event.run_id}`),
    ],
  };
}

function renderOverdue(event: OverdueEvent): SlackMessage {
  const hours = formatNumber(event.overdue_after_hours);
  return {
    text: `${organizations(event.count)} ${event.count === 1 ? "has" : "have"} had no successful ` +
      `nightly refresh for more than ${hours} h`,
    blocks: [
      header(`Nightly refresh overdue: ${organizations(event.count)}`),
      section(bulletList(
        `No successful refresh for more than ${hours} h:`,
        event.organizations.map((organization) =>
          `${organizationLabel(organization)} (${escapeMrkdwn(organization.time_zone)}), last ` +
          `refreshed ${organization.last_refreshed_at ?? "never"}${
            organization.last_error
              ? `: ${escapeMrkdwn(truncate(organization.last_error, MAX_ERROR))}`
              : ""
          }`
        ),
        event.count,
      )),
      context(`checked ${event.checked_at}`),
    ],
  };
}

/** Renders a notice as a Slack webhook message. */
export function renderSlackMessage(notice: Notice): SlackMessage {
  switch (notice.kind) {
    case "run_summary":
    case "run_timed_out":
      return renderRun(notice.event);
    case "organization_failed":
      return renderOrganizationFailed(notice.event);
    case "overdue_alert":
      return renderOverdue(notice.event);
  }
}
