-- =============================================================================
-- Health of the nightly refresh: freshness per organization, the hourly
-- overdue check (the seed plan's cache monitor) and the status document of
-- GET /functions/v1/nightly-refresh/status.
--
-- An organization's last successful refresh is its last committed rebuild, or
-- a later night skipped because nothing had changed since a recent rebuild.
-- It is overdue when it is active, older than the threshold (default 25 h) and
-- has had no successful refresh for longer than that.
-- =============================================================================

create view nightly.organization_freshness
with (security_invoker = true)
as
  select
    organization.id as organization_id,
    organization.name,
    organization.status,
    organization.time_zone,
    organization.created_at,
    state.last_changed_at,
    state.last_rebuilt_at,
    state.rebuilt_as_of_date,
    greatest(state.last_rebuilt_at, last_skip.finished_at) as last_refreshed_at,
    latest.id as last_job_id,
    latest.run_id as last_run_id,
    latest.local_date as last_local_date,
    latest.status as last_status,
    latest.attempts as last_attempts,
    latest.finished_at as last_finished_at,
    latest.duration_ms as last_duration_ms,
    latest.significant_changes as last_significant_changes,
    latest.last_error
  from public.organizations as organization
  left join analytics.organization_state as state on state.organization_id = organization.id
  left join lateral (
    select job.id, job.run_id, job.local_date, job.status, job.attempts, job.finished_at,
      job.duration_ms, job.significant_changes, job.last_error
    from nightly.organization_runs as job
    where job.organization_id = organization.id
    order by job.local_date desc
    limit 1
  ) as latest on true
  left join lateral (
    select job.finished_at
    from nightly.organization_runs as job
    where job.organization_id = organization.id and job.skip_reason = 'unchanged'
    order by job.local_date desc
    limit 1
  ) as last_skip on true;
comment on view nightly.organization_freshness is
  'Every organization (that the reader may see) with its last successful refresh '
  '(last_refreshed_at) and its latest nightly job.';

revoke all on table nightly.organization_freshness from public, anon;
grant select on table nightly.organization_freshness to authenticated, service_role;

-- -----------------------------------------------------------------------------
-- Overdue check
-- -----------------------------------------------------------------------------

create function nightly.overdue_organizations(p_now timestamptz, p_overdue_after interval)
returns setof nightly.organization_freshness
language sql
stable
set search_path = ''
as $$
  select freshness.*
  from nightly.organization_freshness as freshness
  where freshness.status = 'active'
    and freshness.created_at <= p_now - p_overdue_after
    and coalesce(freshness.last_refreshed_at, '-infinity') < p_now - p_overdue_after
  order by freshness.last_refreshed_at nulls first, freshness.organization_id
$$;
comment on function nightly.overdue_organizations(timestamptz, interval) is
  'Active organizations, older than p_overdue_after, with no successful refresh for longer than '
  'p_overdue_after at p_now; longest overdue first.';

create function nightly.record_overdue_alert(
  p_now timestamptz,
  p_overdue_after interval default interval '25 hours'
)
returns integer
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_count integer;
  v_organizations jsonb;
begin
  select count(*)::integer,
    coalesce(jsonb_agg(jsonb_build_object(
      'organization_id', overdue.organization_id,
      'organization_name', overdue.name,
      'time_zone', overdue.time_zone,
      'last_refreshed_at', overdue.last_refreshed_at,
      'last_status', overdue.last_status,
      'last_error', overdue.last_error
    )) filter (where overdue.position <= 20), '[]'::jsonb)
  into v_count, v_organizations
  from (
    select candidate.*, row_number() over () as position
    from nightly.overdue_organizations(p_now, p_overdue_after) as candidate
  ) as overdue;
  if v_count > 0 then
    perform nightly.enqueue_notice(
      'overdue_alert', null, null,
      jsonb_build_object(
        'checked_at', p_now,
        'overdue_after_hours', round(extract(epoch from p_overdue_after) / 3600, 1),
        'count', v_count,
        'organizations', v_organizations
      ),
      -- At most one alert per hour, however often the check runs.
      'overdue:' || to_char(p_now at time zone 'UTC', 'YYYY-MM-DD"T"HH24'),
      p_now
    );
  end if;
  return v_count;
end
$$;
comment on function nightly.record_overdue_alert(timestamptz, interval) is
  'The hourly check: when any active organization is overdue (nightly.overdue_organizations), '
  'writes one overdue_alert notice for the hour (up to 20 organizations named, with the total). '
  'Returns how many are overdue.';

-- -----------------------------------------------------------------------------
-- Status
-- -----------------------------------------------------------------------------

create function nightly.status(
  p_now timestamptz,
  p_organization_ids uuid[] default null,
  p_overdue_after interval default interval '25 hours',
  p_include_run_totals boolean default false,
  p_local_time time default '02:00'
)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
  v_last_run jsonb;
begin
  -- Run totals describe every organization: only the service role asks for them
  -- (column privileges refuse them to anyone else).
  if p_include_run_totals then
    select to_jsonb(run) into v_last_run
    from nightly.runs as run
    order by run.started_at desc
    limit 1;
  else
    select jsonb_build_object('id', run.id, 'status', run.status, 'ticked_at', run.ticked_at,
                              'started_at', run.started_at, 'finished_at', run.finished_at)
    into v_last_run
    from nightly.runs as run
    where p_organization_ids is null or exists (
      select 1 from nightly.organization_runs as job
      where job.run_id = run.id and job.organization_id = any (p_organization_ids)
    )
    order by run.started_at desc
    limit 1;
  end if;

  return jsonb_build_object(
    'generated_at', p_now,
    'last_run', v_last_run,
    'queue', (
      select jsonb_build_object(
        'queued', count(*) filter (where job.status = 'queued' and job.visible_at <= p_now),
        'waiting_for_retry', count(*) filter (where job.status = 'queued' and job.visible_at > p_now),
        'running', count(*) filter (where job.status = 'running')
      )
      from nightly.organization_runs as job
      where job.status in ('queued', 'running')
        and (p_organization_ids is null or job.organization_id = any (p_organization_ids))
    ),
    'overdue_after_hours', round(extract(epoch from p_overdue_after) / 3600, 1),
    'overdue_count', (
      select count(*) from nightly.overdue_organizations(p_now, p_overdue_after) as overdue
      where p_organization_ids is null or overdue.organization_id = any (p_organization_ids)
    ),
    'overdue_organizations', coalesce((
      select jsonb_agg(jsonb_build_object(
        'organization_id', overdue.organization_id,
        'name', overdue.name,
        'time_zone', overdue.time_zone,
        'last_refreshed_at', overdue.last_refreshed_at
      ))
      from (
        select * from nightly.overdue_organizations(p_now, p_overdue_after) as candidate
        where p_organization_ids is null or candidate.organization_id = any (p_organization_ids)
        limit 100
      ) as overdue
    ), '[]'::jsonb),
    'organizations', case when p_organization_ids is not null then coalesce((
      select jsonb_agg(jsonb_build_object(
        'organization_id', freshness.organization_id,
        'name', freshness.name,
        'status', freshness.status,
        'time_zone', freshness.time_zone,
        'last_refreshed_at', freshness.last_refreshed_at,
        'last_rebuilt_at', freshness.last_rebuilt_at,
        'rebuilt_as_of_date', freshness.rebuilt_as_of_date,
        'needs_rebuild', freshness.last_rebuilt_at is null
          or coalesce(freshness.last_changed_at > freshness.last_rebuilt_at, false),
        'overdue', freshness.status = 'active'
          and freshness.created_at <= p_now - p_overdue_after
          and coalesce(freshness.last_refreshed_at, '-infinity') < p_now - p_overdue_after,
        'next_local_date', case when freshness.status = 'active' then
          case when freshness.last_local_date is null
                 or freshness.last_local_date < nightly.due_local_date(freshness.time_zone, p_now, p_local_time)
               then nightly.due_local_date(freshness.time_zone, p_now, p_local_time)
               else freshness.last_local_date + 1 end
        end,
        'last_result', case when freshness.last_job_id is not null then jsonb_build_object(
          'run_id', freshness.last_run_id,
          'local_date', freshness.last_local_date,
          'status', freshness.last_status,
          'attempts', freshness.last_attempts,
          'finished_at', freshness.last_finished_at,
          'duration_ms', freshness.last_duration_ms,
          'significant_changes', freshness.last_significant_changes,
          'error', freshness.last_error
        ) end
      ) order by freshness.name, freshness.organization_id)
      from nightly.organization_freshness as freshness
      where freshness.organization_id = any (p_organization_ids)
    ), '[]'::jsonb) end
  );
end
$$;
comment on function nightly.status(timestamptz, uuid[], interval, boolean, time) is
  'The status document: last run, queue depth, overdue organizations and, for the given '
  'organizations, their freshness and last result. Runs as the caller: RLS decides what an '
  'organization admin sees; p_include_run_totals (service role only) adds the last run''s counts.';

revoke execute on function
  nightly.overdue_organizations(timestamptz, interval),
  nightly.record_overdue_alert(timestamptz, interval),
  nightly.status(timestamptz, uuid[], interval, boolean, time)
  from public;
grant execute on function
  nightly.overdue_organizations(timestamptz, interval),
  nightly.status(timestamptz, uuid[], interval, boolean, time)
  to authenticated, service_role;
grant execute on function nightly.record_overdue_alert(timestamptz, interval) to service_role;
-- The status document computes each organization's next night with it.
grant execute on function nightly.due_local_date(text, timestamptz, time) to authenticated;
