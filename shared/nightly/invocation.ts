/**
 * One invocation of the nightly refresh: what pg_cron's tick (or the hourly
 * overdue check) sets in motion, bounded by a time budget for claiming work and
 * by the Edge Runtime's wall-clock limit for everything: every job's statement
 * timeout is the time left before the answer is due, and notices are only
 * posted while a POST can still end in time. Any number of invocations may run at once: the
 * queue hands each job to one of them.
 *
 * @module
 */
import type { Sql } from "postgres";
import { type Clock, systemClock } from "../util/clock.ts";
import { errorChain } from "../log/error_chain.ts";
import { logger } from "../log/logging.ts";
import { measureDatabaseLoad } from "./database_load.ts";
import { deliverPendingNotices, type DeliveryReport } from "./notices/delivery.ts";
import { resolveWebhookUrl } from "./notices/webhook_url.ts";
import {
  type ClaimedJob,
  claimJobs,
  deferTimedOutRuns,
  type EnqueuedRun,
  enqueueDueOrganizations,
  type JobOutcome,
  processJob,
  recordOverdueAlert,
  requestFollowUpInvocation,
} from "./queue.ts";
import type { NightlySettings } from "./settings.ts";

/** What an invocation is asked to do (`{"task": ...}` in pg_cron's request body). */
export type NightlyTask = "tick" | "overdue-check" | "deliver-notices";

/** Why a tick stopped claiming work. */
export type StopReason = "queue_empty" | "time_budget" | "batch_size" | "high_load";

/** What a tick did: the function's response body. */
export interface TickReport {
  readonly task: "tick";
  readonly worker: string;
  /** Jobs of runs past their deadline moved to continuation runs (reported deferred). */
  readonly deferred_past_deadline: number;
  readonly enqueued: EnqueuedRun | null;
  /** SKIP_IF_HIGH_LOAD's measurement (see `measureDatabaseLoad`) and threshold. */
  readonly load: {
    readonly busy_connections: number;
    readonly usable_connections: number;
    readonly ratio: number;
    readonly threshold: number;
  };
  readonly processed: {
    readonly refreshed: number;
    readonly skipped: number;
    /** Failed attempts that will be retried after a backoff. */
    readonly retrying: number;
    readonly failed: number;
    /** Jobs whose claim passed to another worker before this one could finish. */
    readonly lost: number;
  };
  readonly stopped_because: StopReason;
  readonly chained: boolean;
  readonly notices: DeliveryReport;
  readonly duration_ms: number;
}

/** What an overdue check did. */
export interface OverdueCheckReport {
  readonly task: "overdue-check";
  readonly overdue: number;
  readonly notices: DeliveryReport;
  readonly duration_ms: number;
}

/** What a delivery pass (pg_cron's per-minute check found a notice due) did. */
export interface NoticeDeliveryReport {
  readonly task: "deliver-notices";
  readonly notices: DeliveryReport;
  readonly duration_ms: number;
}

/** What an invocation runs with. */
export interface InvocationContext {
  readonly sql: Sql;
  readonly settings: NightlySettings;
  /** The orchestrator clock passed to SQL as `p_now`. @default {systemClock} */
  readonly clock?: Clock;
  /** Name of this worker in claims. @default a random `nightly-<id>` */
  readonly worker?: string;
  /** Values that must never appear in a notice (cron secret, keys, database password). */
  readonly secrets?: readonly (string | undefined)[];
  /** @default {globalThis.fetch} */
  readonly fetch?: typeof fetch;
  /**
   * Whether the tick enqueues the organizations now due. false: it only works the
   * queue (the worker a rebuild request starts). @default {true}
   */
  readonly enqueueDue?: boolean;
}

const log = logger("nightly");

/**
 * Logs how a job ended, at its level: a failure that will be retried is a
 * warning, a final failure an error, a claim lost to another worker (its
 * visibility timeout passed and the job was taken over) a warning.
 */
function logOutcome(worker: string, job: ClaimedJob, result: JobOutcome): void {
  const fields = {
    event: `nightly:${result.outcome}`,
    worker,
    job_id: job.id,
    organization_id: job.organization_id,
    attempt: job.attempts,
    ...(result.error ? { cause: result.error } : {}),
  };
  if (result.outcome === "failed") {
    log.error("nightly:failed organization {organization_id}", fields);
  } else if (result.outcome === "queued") {
    log.warn("nightly:failed organization {organization_id}, retry queued", fields);
  } else if (result.outcome === "lost") {
    log.warn("nightly:lost claim of organization {organization_id} (taken over)", fields);
  } else log.debug("nightly:{event} organization {organization_id}", fields);
}

/** Least time a job gets: with less left before the answer is due, it waits for the next invocation. */
const MIN_JOB_MS = 1_000;
/** Time kept after a job's statement timeout to record its failure in a new transaction. */
const RECORD_RESERVE_MS = 500;

/**
 * When an invocation must have answered (`performance.now()` scale): its
 * start plus the Edge Runtime's wall-clock limit, less the margin.
 */
export function answerDeadline(settings: NightlySettings, started: number): number {
  return started + settings.NIGHTLY_WALL_CLOCK_LIMIT - settings.NIGHTLY_WALL_CLOCK_MARGIN;
}

/**
 * How long notices may be claimed: two webhook timeouts past the work's budget,
 * but a POST started then still ends before the answer is due.
 */
function deliveryDeadline(settings: NightlySettings, deadline: number, answerBy: number): number {
  const wanted = Math.max(deadline, performance.now() + 2 * settings.NIGHTLY_WEBHOOK_TIMEOUT);
  return Math.min(wanted, answerBy - settings.NIGHTLY_WEBHOOK_TIMEOUT);
}

async function deliver(
  context: InvocationContext,
  deadline: number,
  answerBy: number,
): Promise<DeliveryReport> {
  const clock = context.clock ?? systemClock;
  const until = deliveryDeadline(context.settings, deadline, answerBy);
  if (until <= performance.now()) {
    return { delivered: 0, failed: 0, note: "no time left before the answer: notices wait" };
  }
  try {
    return await deliverPendingNotices({
      sql: context.sql,
      clock,
      webhookUrl: await resolveWebhookUrl(context.sql, context.settings.NIGHTLY_WEBHOOK_URL),
      settings: context.settings,
      deadline: until,
      secrets: [context.settings.NIGHTLY_CRON_SECRET, ...(context.secrets ?? [])],
      ...(context.fetch ? { fetch: context.fetch } : {}),
    });
  } catch (error) {
    // Notices never fail a refresh: they stay in the outbox for the next invocation.
    log.error("nightly:notices delivery failed; notices stay in the outbox", {
      event: "nightly:notices",
      error: errorChain(error),
    });
    return { delivered: 0, failed: 0, note: "delivery failed: notices stay in the outbox" };
  }
}

/**
 * A tick: time out overdue runs, enqueue the organizations now due, then —
 * unless the database is busier than the threshold — claim and process jobs
 * on `concurrency` connections until the queue is empty, the time budget is
 * spent or `batchSize` jobs were claimed; finally deliver pending notices.
 * Work left at the end of the budget is chained to a follow-up invocation
 * through pg_net (when enabled) and otherwise waits for the next tick.
 */
export async function runTick(context: InvocationContext): Promise<TickReport> {
  const { sql, settings } = context;
  const clock = context.clock ?? systemClock;
  const worker = context.worker ?? `nightly-${crypto.randomUUID().slice(0, 8)}`;
  const started = performance.now();
  const answerBy = answerDeadline(settings, started);
  const deadline = Math.min(started + settings.NIGHTLY_TIME_BUDGET, answerBy);
  const now = () => new Date(clock.now());

  const deferred = await deferTimedOutRuns(sql, now(), settings);
  const enqueued = context.enqueueDue === false
    ? null
    : await enqueueDueOrganizations(sql, now(), settings);
  const load = await measureDatabaseLoad(sql);

  const processed = { refreshed: 0, skipped: 0, retrying: 0, failed: 0, lost: 0 };
  let stoppedBecause: StopReason = "high_load";
  if (load.ratio < settings.NIGHTLY_SKIP_IF_HIGH_LOAD) {
    let claimed = 0;
    let queueEmpty = false;
    const lane = async (): Promise<StopReason> => {
      while (!queueEmpty) {
        // Each job must end (or be cut off by its statement timeout) before the answer is due.
        const left = answerBy - performance.now() - RECORD_RESERVE_MS;
        if (performance.now() >= deadline || left < MIN_JOB_MS) return "time_budget";
        if (claimed >= settings.NIGHTLY_BATCH_SIZE) return "batch_size";
        claimed++;
        const jobs = await claimJobs(sql, worker, 1, now(), settings);
        if (jobs.length === 0) {
          claimed--;
          queueEmpty = true;
          break;
        }
        // One claimed job is the rule; should a claim ever return more, none is left hanging.
        claimed += jobs.length - 1;
        for (const job of jobs) {
          if (job.attempts > 1) {
            log.info("nightly:retry attempt {attempt} of organization {organization_id}", {
              event: "nightly:retry",
              worker,
              job_id: job.id,
              organization_id: job.organization_id,
              attempt: job.attempts,
            });
          }
          const timeLeft = answerBy - performance.now() - RECORD_RESERVE_MS;
          const result = await processJob(sql, job, now(), settings, timeLeft);
          logOutcome(worker, job, result);
          if (result.outcome === "queued") processed.retrying++;
          else processed[result.outcome]++;
        }
      }
      return "queue_empty";
    };
    const reasons = await Promise.all(Array.from({ length: settings.NIGHTLY_CONCURRENCY }, lane));
    stoppedBecause = queueEmpty ? "queue_empty" : reasons.find((r) => r !== "queue_empty") ??
      "queue_empty";
  }

  let chained = false;
  if (
    settings.NIGHTLY_CHAIN_INVOCATIONS &&
    (stoppedBecause === "time_budget" || stoppedBecause === "batch_size")
  ) {
    try {
      await requestFollowUpInvocation(sql);
      chained = true;
    } catch (error) {
      log.warn("nightly:chain could not request a follow-up invocation", {
        event: "nightly:chain",
        worker,
        error: errorChain(error),
      });
    }
  }

  const notices = await deliver(context, deadline, answerBy);
  log.info("nightly:tick {stopped_because}", {
    event: "nightly:tick",
    worker,
    enqueued: enqueued?.job_count ?? 0,
    deferred_past_deadline: deferred,
    ...processed,
    stopped_because: stoppedBecause,
    chained,
  });
  return {
    task: "tick",
    worker,
    deferred_past_deadline: deferred,
    enqueued,
    load: {
      busy_connections: load.busyConnections,
      usable_connections: load.usableConnections,
      ratio: Math.round(load.ratio * 1000) / 1000,
      threshold: settings.NIGHTLY_SKIP_IF_HIGH_LOAD,
    },
    processed,
    stopped_because: stoppedBecause,
    chained,
    notices,
    duration_ms: Math.round(performance.now() - started),
  };
}

/** The hourly check: an overdue alert when any active organization is overdue, then delivery. */
export async function runOverdueCheck(context: InvocationContext): Promise<OverdueCheckReport> {
  const started = performance.now();
  const clock = context.clock ?? systemClock;
  const overdue = await recordOverdueAlert(context.sql, new Date(clock.now()));
  const notices = await deliver(
    context,
    started + context.settings.NIGHTLY_TIME_BUDGET,
    answerDeadline(context.settings, started),
  );
  return {
    task: "overdue-check",
    overdue,
    notices,
    duration_ms: Math.round(performance.now() - started),
  };
}

/**
 * A delivery pass alone: what `nightly.request_notice_delivery` (pg_cron, every
 * minute) asks for when a notice is due, so retries keep their 30 s, 1 m, 2 m…
 * schedule instead of waiting for the next tick.
 */
export async function runNoticeDelivery(context: InvocationContext): Promise<NoticeDeliveryReport> {
  const started = performance.now();
  const notices = await deliver(
    context,
    started + context.settings.NIGHTLY_TIME_BUDGET,
    answerDeadline(context.settings, started),
  );
  return { task: "deliver-notices", notices, duration_ms: Math.round(performance.now() - started) };
}
