-- =============================================================================
-- Platform extensions Nightshift relies on.
-- pg_cron schedules the nightly refresh and the cache cleanup; pg_net lets
-- those jobs call edge functions over HTTP. Both are available on every
-- Supabase project (Database → Extensions); enabling them here keeps a fresh
-- project and the local stack identical.
-- =============================================================================

-- As Supabase's Cron guide enables it.
create extension if not exists pg_cron with schema pg_catalog;
grant usage on schema cron to postgres;
grant all privileges on all tables in schema cron to postgres;

create extension if not exists pg_net with schema extensions;
