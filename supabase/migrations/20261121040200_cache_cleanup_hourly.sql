-- =============================================================================
-- The cache cleanup runs hourly (GMT, at minute 0) as the pg_cron job
-- nightshift-cache-cleanup (one job, whatever the history): it runs
-- cache_admin.run_scheduled_cleanup (cache.cleanup until the backlog is gone,
-- plus old confirmation tokens) and logs each run in cache_admin.maintenance_log.
-- Reads never depend on it: an expired or purged entry is not served whether or
-- not it was deleted yet.
--
-- Another interval: set CACHE_CLEANUP_INTERVAL on the cache-admin function and
-- POST /cache-admin/maintenance/schedule as the service role, or run
-- `select cache_admin.schedule_cleanup(interval '30 minutes')` as postgres.
-- This file only (re)registers the job, so running it again leaves one job.
-- =============================================================================

select cache_admin.schedule_cleanup(interval '1 hour');

comment on function cache.cleanup(timestamptz, integer, interval) is
  'Deletes up to p_limit expired entries and up to p_limit purged ones, expired leases and '
  'counters older than p_counter_retention. Run hourly by pg_cron through '
  'cache_admin.run_scheduled_cleanup (20261121040200_cache_cleanup_hourly.sql).';
