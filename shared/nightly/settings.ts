/**
 * Settings of the nightly refresh, read from the function's environment
 * (`.env.example` documents each; durations read like `30s`, `10m`, `12h`) with
 * `readSettings`, whose one rule makes an empty variable count as unset.
 *
 * @module
 */
import { z } from "zod";
import { durationSchema } from "../util/durations.ts";
import { readSettings } from "../function_settings.ts";

function numberSetting(min: number, max: number, fallback: number, integer = false) {
  let schema = z.coerce.number({ message: "must be a number" })
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`);
  if (integer) schema = schema.int("must be a whole number");
  return schema.default(fallback);
}

function durationSetting(fallback: string, min = 1) {
  return z.string().default(fallback).pipe(durationSchema(min));
}

const schema = z.object({
  /** The secret pg_cron sends as `Authorization: Bearer <secret>` (also in Vault). */
  NIGHTLY_CRON_SECRET: z.string({ message: "is required: the secret pg_cron sends" })
    .min(32, "must be at least 32 characters"),
  /** Where notices go; when unset, the Vault entry `nightshift_nightly_webhook_url`. */
  NIGHTLY_WEBHOOK_URL: z.url({ protocol: /^https?$/, message: "must be an http(s) URL" })
    .optional(),
  /** Local time of day an organization's night is due, `HH:MM`. @default "02:00" */
  NIGHTLY_LOCAL_TIME: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be a time of day HH:MM")
    .default("02:00"),
  /** Skip an organization rebuilt less than this ago and unchanged since (ms). @default 12 h */
  NIGHTLY_MIN_AGE: durationSetting("12h", 0),
  /** Defer work when busy connections / usable connections reach this. @default 0.8 */
  NIGHTLY_SKIP_IF_HIGH_LOAD: numberSetting(0, 1, 0.8),
  /** Most jobs one invocation claims. @default 1000 */
  NIGHTLY_BATCH_SIZE: numberSetting(1, 100_000, 1000, true),
  /** Jobs one invocation processes at once (database connections). @default 2 */
  NIGHTLY_CONCURRENCY: numberSetting(1, 16, 2, true),
  /** Retries after a failed attempt; an organization gets 1 + this many attempts. @default 3 */
  NIGHTLY_MAX_RETRIES: numberSetting(0, 10, 3, true),
  /** First retry delay (ms); doubles with each attempt, +-25% jitter. @default 1 min */
  NIGHTLY_RETRY_BASE_DELAY: durationSetting("1m"),
  /** A run's deadline after its tick (ms); unfinished jobs are then reported deferred. @default 30 min */
  NIGHTLY_TIMEOUT: durationSetting("30m"),
  /** How long one invocation claims new work (ms; never past the wall-clock limit). @default 50 s */
  NIGHTLY_TIME_BUDGET: durationSetting("50s", 1_000),
  /**
   * The Edge Runtime's wall-clock limit of one invocation (ms): 150 s on Supabase's
   * Free plan, 400 s on paid plans ("Edge Functions limits"). @default 150 s
   */
  NIGHTLY_WALL_CLOCK_LIMIT: durationSetting("150s", 1_000),
  /**
   * Time kept before that limit to record results and answer (ms): an invocation
   * answers by limit − margin, and each job's statement timeout ends before. @default 10 s
   */
  NIGHTLY_WALL_CLOCK_MARGIN: durationSetting("10s", 0),
  /**
   * A claim hides a job this long (ms); also the longest statement timeout of a job
   * (shortened to the time left before the wall-clock limit). @default 5 min
   */
  NIGHTLY_VISIBILITY_TIMEOUT: durationSetting("5m", 1_000),
  /** A key figure moving by at least this percentage is a significant change. @default 5 */
  NIGHTLY_CHANGE_THRESHOLD_PERCENT: numberSetting(0, 1_000, 5),
  /** Timeout of one webhook POST (ms). @default 5 s */
  NIGHTLY_WEBHOOK_TIMEOUT: durationSetting("5s", 100),
  /** First delay after a failed delivery (ms); doubles with each attempt. @default 30 s */
  NIGHTLY_WEBHOOK_RETRY_BASE_DELAY: durationSetting("30s"),
  /** Longest delay between delivery attempts (ms). @default 1 h */
  NIGHTLY_WEBHOOK_RETRY_MAX_DELAY: durationSetting("1h"),
  /** Ask pg_net for a follow-up invocation when work is left at the end of the budget. */
  NIGHTLY_CHAIN_INVOCATIONS: z.enum(["true", "false"], { message: 'must be "true" or "false"' })
    .default("true").transform((value) => value === "true"),
});

/**
 * The nightly refresh's rules and limits, named as in the environment (one naming
 * style with every other settings reader, `readSettings`); durations in milliseconds,
 * `NIGHTLY_CHAIN_INVOCATIONS` a boolean.
 */
export type NightlySettings = z.infer<typeof schema>;

/**
 * Reads and validates the nightly settings from the environment; throws
 * `FunctionSettingsError` naming every bad variable.
 */
export function readNightlySettings(
  source: (name: string) => string | undefined = (name) => Deno.env.get(name),
): NightlySettings {
  return readSettings(schema, source);
}

/** A duration in milliseconds as a PostgreSQL interval literal (`'1500 milliseconds'`). */
export function intervalOf(ms: number): string {
  return `${ms} milliseconds`;
}
