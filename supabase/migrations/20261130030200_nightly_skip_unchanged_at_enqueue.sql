-- =============================================================================
-- Nightly work proportional to what changed.
--
-- Before: the tick enqueued a job for every due organization, and each job was
-- claimed and processed on its own (two round trips and a transaction) only to
-- find most organizations unchanged and skip them: a quiet night still cost
-- O(organizations) round trips. Now the tick decides in the same set-based
-- statement: organizations rebuilt less than p_min_age ago and unchanged since
-- get their job written directly as `skipped` (reason `unchanged`, counted in
-- the run), and only changed or stale ones are queued for workers. A run with
-- nothing to rebuild is closed (and its summary notice written) by the tick.
-- The skip rule is nightly.process_organization_run's, which still applies to a
-- queued job (e.g. one that became unchanged-and-recent by the time it runs).
-- =============================================================================

drop function nightly.enqueue_due_organizations(timestamptz, time, interval);

create function nightly.enqueue_due_organizations(
  p_now timestamptz,
  p_local_time time default '02:00',
  p_run_timeout interval default interval '30 minutes',
  p_min_age interval default interval '12 hours'
)
returns table (run_id uuid, job_count integer)
language plpgsql
volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_run_id uuid;
  v_job_count integer;
  v_pending integer;
begin
  if p_now is null or p_local_time is null or p_run_timeout is null
    or p_run_timeout <= interval '0' or p_min_age is null or p_min_age < interval '0' then
    raise exception using errcode = '22023',
      message = 'Invalid tick: p_now, p_local_time, a positive p_run_timeout and a '
        'non-negative p_min_age are required';
  end if;
  -- Ticks are rare and cheap: serialize them, so concurrent ticks never create
  -- empty runs (the unique key alone already prevents duplicate jobs).
  perform pg_advisory_xact_lock(hashtextextended('nightly.enqueue_due_organizations', 0));

  with due as materialized (
    select candidate.id as organization_id, candidate.time_zone, candidate.local_date,
      -- Same rule as nightly.process_organization_run's `unchanged` skip.
      coalesce(state.last_rebuilt_at > p_now - p_min_age
        and not coalesce(state.last_changed_at > state.last_rebuilt_at, false), false)
        as unchanged
    from (
      select organization.id, organization.time_zone, organization.created_at,
        nightly.due_local_date(organization.time_zone, p_now, p_local_time) as local_date
      from public.organizations as organization
      where organization.status = 'active'
    ) as candidate
    left join analytics.organization_state as state on state.organization_id = candidate.id
    where (candidate.created_at at time zone candidate.time_zone)
        <= candidate.local_date + p_local_time
      and not exists (
        select 1 from nightly.organization_runs as job
        where job.organization_id = candidate.id and job.local_date = candidate.local_date
      )
  ),
  new_run as (
    insert into nightly.runs (ticked_at, deadline_at, job_count, pending_count, skipped_count)
    select p_now, p_now + p_run_timeout, count(*), count(*) filter (where not due.unchanged),
      count(*) filter (where due.unchanged)
    from due
    having count(*) > 0
    returning nightly.runs.id, nightly.runs.job_count, nightly.runs.pending_count
  ),
  new_jobs as (
    insert into nightly.organization_runs
      (run_id, organization_id, local_date, time_zone, enqueued_at, visible_at,
       status, skip_reason, finished_at, duration_ms)
    select new_run.id, due.organization_id, due.local_date, due.time_zone, p_now, p_now,
      case when due.unchanged then 'skipped' else 'queued' end::nightly.organization_run_status,
      case when due.unchanged then 'unchanged' end,
      case when due.unchanged then clock_timestamp() end,
      case when due.unchanged then 0 end
    from due
    cross join new_run
    order by due.organization_id
    returning 1
  )
  select new_run.id, new_run.job_count, new_run.pending_count
  into v_run_id, v_job_count, v_pending
  from new_run;

  if v_run_id is null then
    return;
  end if;
  if v_pending = 0 then
    perform nightly.finish_run(v_run_id, p_now);
  end if;
  return query select v_run_id, v_job_count;
end
$$;
comment on function nightly.enqueue_due_organizations(timestamptz, time, interval, interval) is
  'The tick: one job per active organization due at p_now (see nightly.due_local_date) that has '
  'none for that local night yet, under one new run with deadline p_now + p_run_timeout. Jobs '
  'of organizations rebuilt less than p_min_age ago and unchanged since are written as skipped '
  '(unchanged) at once, set-based; only the others are queued for workers, so a night costs '
  'O(changed organizations) of work. A run with nothing queued is closed here. Idempotent: a '
  'second tick for the same nights enqueues nothing and returns no row.';

revoke execute on function nightly.enqueue_due_organizations(timestamptz, time, interval, interval)
  from public;
grant execute on function nightly.enqueue_due_organizations(timestamptz, time, interval, interval)
  to service_role;
