/**
 * The facts a notice reports, as the outbox stores them (`nightly.webhook_outbox.event`,
 * written by SQL). Validated at delivery, the boundary where they leave the database.
 *
 * @module
 */
import { z } from "zod";

const organizationRef = {
  organization_id: z.string(),
  organization_name: z.string().nullable(),
};

const changeSchema = z.object({
  currency: z.string(),
  figure: z.string(),
  previous: z.number(),
  current: z.number(),
  change_percent: z.number().nullable(),
});

/** A run closed: its counts, duration, significant changes, failures and deferrals. */
export const runEventSchema = z.object({
  run_id: z.string(),
  status: z.enum(["running", "completed", "partial", "failed", "timed_out"]),
  continues_run_id: z.string().nullable(),
  started_at: z.string(),
  finished_at: z.string().nullable(),
  duration_seconds: z.number(),
  counts: z.object({
    organizations: z.number(),
    refreshed: z.number(),
    skipped: z.number(),
    deferred: z.number(),
    failed: z.number(),
  }),
  local_dates: z.array(z.string()),
  significant_changes: z.array(z.object({ ...organizationRef, changes: z.array(changeSchema) })),
  organizations_with_significant_changes: z.number(),
  failures: z.array(
    z.object({ ...organizationRef, attempts: z.number(), error: z.string().nullable() }),
  ),
  continued_by_run_id: z.string().nullable(),
  deferred: z.array(z.object(organizationRef)),
});

/** An organization exhausted its retries. */
export const organizationFailedEventSchema = z.object({
  ...organizationRef,
  run_id: z.string(),
  local_date: z.string(),
  time_zone: z.string(),
  attempts: z.number(),
  error: z.string(),
});

/** The hourly check found active organizations without a recent successful refresh. */
export const overdueEventSchema = z.object({
  checked_at: z.string(),
  overdue_after_hours: z.number(),
  count: z.number(),
  organizations: z.array(z.object({
    ...organizationRef,
    time_zone: z.string(),
    last_refreshed_at: z.string().nullable(),
    last_status: z.string().nullable(),
    last_error: z.string().nullable(),
  })),
});

/** A run's notice (summary or time-out). */
export type RunEvent = z.infer<typeof runEventSchema>;
/** An organization's failure notice. */
export type OrganizationFailedEvent = z.infer<typeof organizationFailedEventSchema>;
/** The overdue alert. */
export type OverdueEvent = z.infer<typeof overdueEventSchema>;

/** A notice as it leaves the outbox. */
export type Notice =
  | { readonly kind: "run_summary" | "run_timed_out"; readonly event: RunEvent }
  | { readonly kind: "organization_failed"; readonly event: OrganizationFailedEvent }
  | { readonly kind: "overdue_alert"; readonly event: OverdueEvent };

const noticeSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.enum(["run_summary", "run_timed_out"]), event: runEventSchema }),
  z.object({ kind: z.literal("organization_failed"), event: organizationFailedEventSchema }),
  z.object({ kind: z.literal("overdue_alert"), event: overdueEventSchema }),
]);

/** Thrown when an outbox row does not hold a notice this version can render. */
export class InvalidNoticeError extends Error {
  override name = "InvalidNoticeError";
}

/** Validates an outbox row's kind and event; throws {@linkcode InvalidNoticeError}. */
export function parseNotice(kind: string, event: unknown): Notice {
  const parsed = noticeSchema.safeParse({ kind, event });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) =>
      `${issue.path.join(".")}: ${issue.message}`
    );
    throw new InvalidNoticeError(`Invalid ${kind} notice: ${problems.join("; ")}`);
  }
  return parsed.data as Notice;
}
