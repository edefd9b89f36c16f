/**
 * What the functions of the test stack get on top of `.env.example`
 * (`./nightshift test` passes it to `LocalStack.start`):
 *
 * - short intervals, so tests wait for an effect by polling instead of sleeping
 *   through a production interval;
 * - the Supabase CLI's well-known local API keys (`supabase status` prints them),
 *   as hosted Supabase passes its new keys to functions: `SUPABASE_PUBLISHABLE_KEYS`
 *   / `SUPABASE_SECRET_KEYS`, JSON objects of keys by name. Public knowledge: they
 *   only ever protect local stacks.
 */
export const LOCAL_PUBLISHABLE_KEY = "sb_publishable_ACJWlzQHlZjBrEguHvfOxg_3BJgxAaH";
export const LOCAL_SECRET_KEY = "sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz";

/** Intervals of the test stack's functions, in ms (the env values below). */
export const TEST_INTERVALS = {
  /** `DATASETS_MEMBERSHIP_TTL`: a removed member loses access within this. */
  membershipTtlMs: 500,
  /** `CACHE_L1_REVALIDATE_INTERVAL`: invalidations made elsewhere reach L1 within this. */
  l1RevalidateMs: 200,
  /** `CACHE_HIT_FLUSH_INTERVAL`: hit counts are flushed on the first read after this. */
  hitFlushMs: 500,
} as const;

/** The environment itself. */
export const TEST_FUNCTION_ENV: Readonly<Record<string, string>> = {
  DATASETS_MEMBERSHIP_TTL: `${TEST_INTERVALS.membershipTtlMs}ms`,
  CACHE_L1_REVALIDATE_INTERVAL: `${TEST_INTERVALS.l1RevalidateMs}ms`,
  CACHE_HIT_FLUSH_INTERVAL: `${TEST_INTERVALS.hitFlushMs}ms`,
  SUPABASE_PUBLISHABLE_KEYS: JSON.stringify({ default: LOCAL_PUBLISHABLE_KEY }),
  SUPABASE_SECRET_KEYS: JSON.stringify({ default: LOCAL_SECRET_KEY }),
  // One JSON line per request at info would bury the test report; failures still show.
  LOG_LEVEL: "warning",
};
