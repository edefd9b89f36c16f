/**
 * The Supabase CLI's well-known local API keys (`supabase status` prints them),
 * and the environment a function gets with them, as hosted Supabase passes its
 * new keys (`SUPABASE_PUBLISHABLE_KEYS` / `SUPABASE_SECRET_KEYS`, JSON objects of
 * keys by name). Public knowledge: they only ever protect local stacks.
 */
export const LOCAL_PUBLISHABLE_KEY = "sb_publishable_ACJWlzQHlZjBrEguHvfOxg_3BJgxAaH";
export const LOCAL_SECRET_KEY = "sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz";

/** Function environment with the new keys (until the local stack passes them itself). */
export const API_KEYS_ENV: Readonly<Record<string, string>> = {
  SUPABASE_PUBLISHABLE_KEYS: JSON.stringify({ default: LOCAL_PUBLISHABLE_KEY }),
  SUPABASE_SECRET_KEYS: JSON.stringify({ default: LOCAL_SECRET_KEY }),
};
