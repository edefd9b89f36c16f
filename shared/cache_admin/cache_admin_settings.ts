import { z } from "zod";
import { durationSchema } from "../util/durations.ts";
import { readSettings } from "../function_settings.ts";

const MINUTE = 60_000;

/**
 * Intervals pg_cron can run at evenly (the rule of `cache_admin.cleanup_cron_schedule`):
 * minutes dividing an hour, hours dividing a day, or a day.
 */
function isSchedulable(ms: number): boolean {
  const minutes = ms / MINUTE;
  if (!Number.isInteger(minutes)) return false;
  if (minutes <= 60) return 60 % minutes === 0;
  return minutes % 60 === 0 && 1440 % minutes === 0;
}

const schema = z.object({
  CACHE_CLEANUP_INTERVAL: durationSchema(MINUTE).default(60 * MINUTE).refine(
    isSchedulable,
    "must be minutes dividing an hour (1m to 30m), hours dividing a day (1h to 12h) or 1d",
  ),
  CACHE_EMERGENCY_CLEAR_TOKEN_TTL: durationSchema(10_000).default(5 * MINUTE).pipe(
    z.number().max(60 * MINUTE, "must be at most 1h"),
  ),
});

/**
 * Settings of the cache-admin function itself (see .env.example):
 *
 * - `CACHE_CLEANUP_INTERVAL` (default `1h`): how often pg_cron should run the cache
 *   cleanup; applied by `POST /cache-admin/maintenance/schedule`, checked by health.
 * - `CACHE_EMERGENCY_CLEAR_TOKEN_TTL` (default `5m`, 10s to 1h): how long the
 *   confirmation token of an emergency clear stays valid.
 */
export type CacheAdminSettings = z.infer<typeof schema>;

/** Reads and validates the cache-admin settings; throws at startup naming every bad one. */
export function readCacheAdminSettings(
  source: (name: string) => string | undefined = (name) => Deno.env.get(name),
): CacheAdminSettings {
  return readSettings(schema, source);
}
