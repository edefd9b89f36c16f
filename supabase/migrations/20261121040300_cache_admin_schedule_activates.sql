-- =============================================================================
-- cache_admin.schedule_cleanup also (re)activates the job: pg_cron's
-- cron.schedule replaces the schedule and command of a job with the same name
-- but keeps it paused if it was, so "register the cleanup" could leave a job
-- that never runs. Same signature and grants (owner only: it needs pg_cron).
-- =============================================================================

create or replace function cache_admin.schedule_cleanup(p_interval interval default interval '1 hour')
returns bigint
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_job bigint;
begin
  -- A job with this name is replaced, never duplicated (pg_cron >= 1.3).
  v_job := cron.schedule(
    'nightshift-cache-cleanup',
    cache_admin.cleanup_cron_schedule(p_interval),
    'select * from cache_admin.run_scheduled_cleanup()'
  );
  perform cron.alter_job(v_job, active := true);
  return v_job;
end
$$;
comment on function cache_admin.schedule_cleanup(interval) is
  'Registers (or re-registers, and activates) the pg_cron job nightshift-cache-cleanup to run '
  'cache_admin.run_scheduled_cleanup every p_interval. Idempotent: one job, whatever the calls.';

revoke all on function cache_admin.schedule_cleanup(interval) from public, anon, authenticated, service_role;
