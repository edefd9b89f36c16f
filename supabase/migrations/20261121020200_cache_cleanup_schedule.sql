-- =============================================================================
-- Cache maintenance: pg_cron runs cache.cleanup every 5 minutes (GMT), deleting
-- expired and purged entries in bounded batches. Reads never depend on it: an
-- expired or purged entry is not served whether or not it was deleted yet.
-- =============================================================================

select cron.schedule(
  'nightshift-cache-cleanup',
  '*/5 * * * *',
  $$select cache.cleanup()$$
);
