-- =============================================================================
-- "Rebuild now": an owner, an admin or the service role queues one organization's
-- nightly refresh at once, through the same queue, processing, validation, log,
-- broadcast and notices as a night (nightly.process_organization_run).
--
--   nightly.organization_runs.kind       'night' (a tick) or 'rebuild' (on request)
--   nightly.organization_runs.requested_by  auth.users id of who asked (null: service role)
--   nightly.enqueue_rebuild              queues one organization, idempotently: while one
--                                        of its jobs is queued or running, that job is
--                                        returned instead of a new one
--
-- One job per organization and night stays the rule for nights; rebuilds are
-- extra jobs for the organization's latest night (a tick finding a rebuild for
-- that night does not queue it again). A rebuild marks the organization changed
-- (analytics.organization_state.last_changed_at), so the "unchanged since the
-- last rebuild" skip does not apply to it; everything else is the night's code.
-- =============================================================================

alter table nightly.organization_runs
  add column kind text not null default 'night' check (kind in ('night', 'rebuild')),
  add column requested_by uuid;
comment on column nightly.organization_runs.kind is
  'night: queued by a tick for the organization''s local night; rebuild: queued on request '
  '(POST /nightly-refresh/rebuild) for its latest night.';
comment on column nightly.organization_runs.requested_by is
  'auth.users id of who requested a rebuild; null for nights and for the service role.';

alter table nightly.organization_runs drop constraint organization_runs_one_per_night;
create unique index organization_runs_one_per_night
  on nightly.organization_runs (organization_id, local_date) where kind = 'night';
create unique index organization_runs_one_open_rebuild
  on nightly.organization_runs (organization_id)
  where kind = 'rebuild' and status in ('queued', 'running');

create function nightly.enqueue_rebuild(
  p_organization_id uuid,
  p_now timestamptz,
  p_requested_by uuid default null,
  p_local_time time default '02:00',
  p_run_timeout interval default interval '30 minutes'
)
returns table (run_id uuid, job_id bigint, local_date date, created boolean)
language plpgsql
volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_organization public.organizations;
  v_open nightly.organization_runs;
  v_run_id uuid;
  v_job_id bigint;
  v_local_date date;
begin
  if p_organization_id is null or p_now is null or p_local_time is null
    or p_run_timeout is null or p_run_timeout <= interval '0' then
    raise exception using errcode = '22023',
      message = 'Invalid rebuild: an organization, p_now, p_local_time and a positive p_run_timeout are required';
  end if;
  -- Serialized with ticks: a tick and a rebuild never queue the same night twice.
  perform pg_advisory_xact_lock(hashtextextended('nightly.enqueue_due_organizations', 0));

  select * into v_organization from public.organizations as organization
  where organization.id = p_organization_id;
  if not found then
    raise exception using errcode = 'P0002',
      message = format('Organization %s does not exist', p_organization_id);
  end if;
  if v_organization.status <> 'active' then
    raise exception using errcode = '55000',
      message = format('Organization %s is %s: only active organizations are refreshed',
                       p_organization_id, v_organization.status);
  end if;

  -- Idempotent: a job of this organization already waiting or running covers the request.
  select * into v_open from nightly.organization_runs as job
  where job.organization_id = p_organization_id and job.status in ('queued', 'running')
  order by job.id desc
  limit 1;
  if found then
    return query select v_open.run_id, v_open.id, v_open.local_date, false;
    return;
  end if;

  insert into analytics.organization_state as state (organization_id, last_changed_at)
  values (p_organization_id, clock_timestamp())
  on conflict (organization_id) do update set last_changed_at = clock_timestamp();

  v_local_date := nightly.due_local_date(v_organization.time_zone, p_now, p_local_time);
  insert into nightly.runs (ticked_at, deadline_at, job_count, pending_count)
  values (p_now, p_now + p_run_timeout, 1, 1)
  returning id into v_run_id;
  insert into nightly.organization_runs
    (run_id, organization_id, local_date, time_zone, enqueued_at, visible_at, kind, requested_by)
  values (v_run_id, p_organization_id, v_local_date, v_organization.time_zone, p_now, p_now,
          'rebuild', p_requested_by)
  returning id into v_job_id;
  return query select v_run_id, v_job_id, v_local_date, true;
end
$$;
comment on function nightly.enqueue_rebuild(uuid, timestamptz, uuid, time, interval) is
  'Queues a rebuild of one active organization now, as a run of one job (kind rebuild) for its '
  'latest local night, and marks it changed so it is not skipped as unchanged. Idempotent: while '
  'a job of the organization is queued or running, returns that one (created = false). '
  'Errors: 22023 bad arguments, P0002 unknown organization, 55000 suspended organization.';

revoke execute on function nightly.enqueue_rebuild(uuid, timestamptz, uuid, time, interval)
  from public;
grant execute on function nightly.enqueue_rebuild(uuid, timestamptz, uuid, time, interval)
  to service_role;
