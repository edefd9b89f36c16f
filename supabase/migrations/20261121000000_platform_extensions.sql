-- =============================================================================
-- Platform extensions Nightshift relies on.
-- pg_cron schedules the nightly refresh and the cache cleanup; pg_net lets
-- those jobs call edge functions over HTTP. Both are available on every
-- Supabase project (Database → Extensions); enabling them here keeps a fresh
-- project and the local stack identical.
-- =============================================================================

create extension if not exists pg_cron;
grant usage on schema cron to postgres;

create extension if not exists pg_net with schema extensions;
