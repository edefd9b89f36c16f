-- =============================================================================
-- Which organizations are due, and the idempotent tick that enqueues them.
--
-- pg_cron runs in GMT and 1.4 has no time zones, so pg_cron only ticks (every
-- few minutes) and this file decides what is due: an active organization is due
-- once per local night, when the wall clock of its own time zone has reached
-- 02:00 (configurable). The rule compares wall-clock readings, never computed
-- instants, so daylight saving time needs no special case:
--
--   * spring forward (2026-03-29 in Copenhagen): the clock jumps from 01:59:59
--     to 03:00, so the first tick after the jump sees >= 02:00 and the night is due;
--   * fall back (2026-10-25 in Copenhagen): the clock reads 02:00 twice; the night
--     is due the first time, and the unique (organization, local date) key makes
--     the second time a no-op.
--
-- Catch-up: before 02:00 the night due is the previous one, so a night missed
-- (pg_cron down, function failing) is enqueued by the next tick that runs, once:
-- only the latest missed night, since a rebuild always reflects current data.
-- An organization created after a night's 02:00 is first due the next night.
-- =============================================================================

create function nightly.due_local_date(p_time_zone text, p_now timestamptz, p_local_time time)
returns date
language sql
stable
set search_path = ''
as $$
  select case
    when (p_now at time zone p_time_zone)::time >= p_local_time
      then (p_now at time zone p_time_zone)::date
    else (p_now at time zone p_time_zone)::date - 1
  end
$$;
comment on function nightly.due_local_date(text, timestamptz, time) is
  'The local night an organization in p_time_zone is due for at p_now: today once its wall '
  'clock reads p_local_time or later, else yesterday (catch-up of a missed night).';

create function nightly.dataset_names()
returns text[]
language sql
immutable
set search_path = ''
as $$
  select array['dashboard-metrics', 'product-metrics', 'cogs-analysis', 'supplier-metrics',
               'invoice-analytics']
$$;
comment on function nightly.dataset_names() is
  'The nightly datasets analytics.rebuild_organization rebuilds (NIGHTLY_DATASETS in '
  'shared/cache/tiers.ts): their tags are bumped after each rebuild.';

create function nightly.enqueue_due_organizations(
  p_now timestamptz,
  p_local_time time default '02:00',
  p_run_timeout interval default interval '30 minutes'
)
returns table (run_id uuid, job_count integer)
language plpgsql
volatile
set search_path = ''
as $$
#variable_conflict use_column
begin
  if p_now is null or p_local_time is null or p_run_timeout is null
    or p_run_timeout <= interval '0' then
    raise exception using errcode = '22023',
      message = 'Invalid tick: p_now, p_local_time and a positive p_run_timeout are required';
  end if;
  -- Ticks are rare and cheap: serialize them, so concurrent ticks never create
  -- empty runs (the unique key alone already prevents duplicate jobs).
  perform pg_advisory_xact_lock(hashtextextended('nightly.enqueue_due_organizations', 0));

  return query
  with due as materialized (
    select candidate.id as organization_id, candidate.time_zone, candidate.local_date
    from (
      select organization.id, organization.time_zone, organization.created_at,
        nightly.due_local_date(organization.time_zone, p_now, p_local_time) as local_date
      from public.organizations as organization
      where organization.status = 'active'
    ) as candidate
    where (candidate.created_at at time zone candidate.time_zone)
        <= candidate.local_date + p_local_time
      and not exists (
        select 1 from nightly.organization_runs as job
        where job.organization_id = candidate.id and job.local_date = candidate.local_date
      )
  ),
  new_run as (
    insert into nightly.runs (ticked_at, deadline_at, job_count, pending_count)
    select p_now, p_now + p_run_timeout, count(*), count(*)
    from due
    having count(*) > 0
    returning id, nightly.runs.job_count
  ),
  new_jobs as (
    insert into nightly.organization_runs
      (run_id, organization_id, local_date, time_zone, enqueued_at, visible_at)
    select new_run.id, due.organization_id, due.local_date, due.time_zone, p_now, p_now
    from due
    cross join new_run
    order by due.organization_id
    returning 1
  )
  select new_run.id, new_run.job_count from new_run;
end
$$;
comment on function nightly.enqueue_due_organizations(timestamptz, time, interval) is
  'The tick: enqueues one job per active organization due at p_now (see nightly.due_local_date) '
  'that has none for that local night yet, under one new run with deadline p_now + p_run_timeout. '
  'Idempotent: a second tick for the same nights enqueues nothing and returns no row.';

revoke execute on function
  nightly.due_local_date(text, timestamptz, time),
  nightly.dataset_names(),
  nightly.enqueue_due_organizations(timestamptz, time, interval)
  from public;
grant execute on function
  nightly.due_local_date(text, timestamptz, time),
  nightly.dataset_names(),
  nightly.enqueue_due_organizations(timestamptz, time, interval)
  to service_role;
