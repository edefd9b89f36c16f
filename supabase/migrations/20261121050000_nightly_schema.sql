-- =============================================================================
-- Nightly refresh: run history, the per-organization work queue, the webhook
-- outbox and the cache invalidation log.
--
--   nightly.runs                 one row per tick that found organizations due: the
--                                batch, its deadline and its outcome counts
--   nightly.organization_runs    one row per organization and local night (unique):
--                                the queued job while it waits, its result once done
--   nightly.webhook_outbox       completion / error / overdue notices, written in the
--                                transaction of the state they report, delivered later
--   public.cache_invalidation_log  when each organization's nightly data last changed;
--                                its trigger does pg_notify('nightly_update_complete')
--
-- Times: columns documented as "orchestrator clock" hold the `p_now` the caller
-- passed (the edge function's clock; tests pass fake time); the others are
-- real database time (clock_timestamp()).
--
-- Readers: the service role reads everything; an organization's admins and
-- owners read its own nightly history (organization_runs, and the id, status
-- and times of the runs that included it, never other organizations' counts).
-- =============================================================================

create schema if not exists nightly;
comment on schema nightly is
  'Nightly refresh orchestrator: runs, the per-organization queue and results, webhook outbox.';
revoke all on schema nightly from public;
grant usage on schema nightly to authenticated, service_role;

-- -----------------------------------------------------------------------------
-- Types
-- -----------------------------------------------------------------------------

create type nightly.run_status as enum ('running', 'completed', 'partial', 'failed', 'timed_out');
comment on type nightly.run_status is
  'running until every job is settled; then completed (nothing failed or deferred), failed '
  '(nothing refreshed or skipped), timed_out (jobs were deferred past the deadline) or partial.';

create type nightly.organization_run_status as enum (
  'queued', 'running', 'refreshed', 'skipped', 'failed'
);
comment on type nightly.organization_run_status is
  'queued (waiting, possibly for a retry), running (claimed), then refreshed, skipped or failed.';

-- -----------------------------------------------------------------------------
-- Runs
-- -----------------------------------------------------------------------------

create table nightly.runs (
  id uuid primary key default gen_random_uuid(),
  status nightly.run_status not null default 'running',
  -- Orchestrator clock: when the tick created the run, and when it times out.
  ticked_at timestamptz not null,
  deadline_at timestamptz not null,
  -- Real time.
  started_at timestamptz not null default clock_timestamp(),
  finished_at timestamptz,
  -- A run that timed out hands its unfinished jobs to a continuation run.
  continues_run_id uuid references nightly.runs (id) on delete set null,
  job_count integer not null check (job_count > 0),
  pending_count integer not null,
  refreshed_count integer not null default 0,
  skipped_count integer not null default 0,
  failed_count integer not null default 0,
  deferred_count integer not null default 0,
  constraint runs_counts_add_up check (
    pending_count >= 0 and refreshed_count >= 0 and skipped_count >= 0
    and failed_count >= 0 and deferred_count >= 0
    and pending_count + refreshed_count + skipped_count + failed_count + deferred_count = job_count
  ),
  constraint runs_finished_when_settled check ((status = 'running') = (finished_at is null))
);
alter table nightly.runs enable row level security;
create index runs_running_deadline_idx on nightly.runs (deadline_at) where status = 'running';
create index runs_started_at_idx on nightly.runs (started_at desc);
comment on table nightly.runs is
  'One row per tick that enqueued organizations: its deadline and how its jobs ended.';

-- -----------------------------------------------------------------------------
-- Organization runs: the queue and the per-organization results
-- -----------------------------------------------------------------------------

create table nightly.organization_runs (
  id bigint generated always as identity primary key,
  run_id uuid not null references nightly.runs (id) on delete cascade,
  organization_id uuid not null references public.organizations (id) on delete cascade,
  -- The local night this job refreshes, in the organization's time zone at enqueue time.
  local_date date not null,
  time_zone text not null,
  status nightly.organization_run_status not null default 'queued',
  -- Claims so far, including claims by workers that died before finishing.
  attempts integer not null default 0 check (attempts >= 0),
  -- Orchestrator clock: when the job was enqueued, and when it may next be claimed
  -- (now for new jobs, the backoff for retries, the visibility timeout for claims).
  enqueued_at timestamptz not null,
  visible_at timestamptz not null,
  -- The current claim: a worker may only finish the job under this token.
  claimed_by text,
  claim_token uuid,
  -- Real time.
  first_claimed_at timestamptz,
  finished_at timestamptz,
  duration_ms integer check (duration_ms >= 0),
  -- Results.
  skip_reason text check (skip_reason in ('unchanged', 'suspended')),
  row_counts jsonb,
  key_figures jsonb,
  significant_changes jsonb not null default '[]'::jsonb,
  last_error text,
  -- How many times a run timed out with this job unfinished (it moved to the next run).
  deferrals integer not null default 0 check (deferrals >= 0),
  constraint organization_runs_one_per_night unique (organization_id, local_date),
  constraint organization_runs_skip_reason_only_when_skipped
    check ((status = 'skipped') = (skip_reason is not null)),
  constraint organization_runs_finished_when_settled
    check ((status in ('refreshed', 'skipped', 'failed')) = (finished_at is not null))
);
alter table nightly.organization_runs enable row level security;
create index organization_runs_claimable_idx
  on nightly.organization_runs (visible_at, id) where status in ('queued', 'running');
create index organization_runs_run_idx on nightly.organization_runs (run_id, status);
create index organization_runs_latest_idx
  on nightly.organization_runs (organization_id, local_date desc) include (status, finished_at);
comment on table nightly.organization_runs is
  'One row per organization and local night (unique): the job in the queue, then its result '
  '(status, attempts, duration, rows, key figures, significant changes, last error).';

-- -----------------------------------------------------------------------------
-- Webhook outbox
-- -----------------------------------------------------------------------------

create table nightly.webhook_outbox (
  id bigint generated always as identity primary key,
  kind text not null
    check (kind in ('run_summary', 'run_timed_out', 'organization_failed', 'overdue_alert')),
  run_id uuid references nightly.runs (id) on delete cascade,
  -- No foreign key: a notice about an organization outlives the organization.
  organization_id uuid,
  -- The facts reported (JSON); the Slack text and blocks are rendered from them at delivery.
  event jsonb not null check (jsonb_typeof(event) = 'object'),
  -- One notice per fact, however many workers observe it.
  dedupe_key text not null unique,
  status text not null default 'pending' check (status in ('pending', 'delivered')),
  attempts integer not null default 0 check (attempts >= 0),
  -- Orchestrator clock.
  next_attempt_at timestamptz not null,
  locked_until timestamptz,
  last_http_status integer,
  last_error text,
  -- Real time.
  created_at timestamptz not null default clock_timestamp(),
  delivered_at timestamptz,
  constraint webhook_outbox_delivered_has_time check ((status = 'delivered') = (delivered_at is not null))
);
alter table nightly.webhook_outbox enable row level security;
create index webhook_outbox_pending_idx
  on nightly.webhook_outbox (next_attempt_at, id) where status = 'pending';
comment on table nightly.webhook_outbox is
  'Notices to post to the webhook (Slack-compatible), kept until a delivery succeeds.';

-- -----------------------------------------------------------------------------
-- Cache invalidation log (as in the seed plan) and its notification
-- -----------------------------------------------------------------------------

create table public.cache_invalidation_log (
  organization_id uuid primary key references public.organizations (id) on delete cascade,
  updated_at timestamptz not null default now(),
  update_type text not null check (update_type ~ '^[a-z][a-z_]{0,62}$')
);
alter table public.cache_invalidation_log enable row level security;
comment on table public.cache_invalidation_log is
  'When each organization''s nightly datasets last changed, and by what (nightly_refresh). '
  'Every insert or update notifies channel nightly_update_complete.';

create function nightly.notify_update_complete()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  perform pg_notify(
    'nightly_update_complete',
    json_build_object(
      'organization_id', new.organization_id,
      'updated_at', new.updated_at,
      'update_type', new.update_type
    )::text
  );
  return null;
end
$$;
comment on function nightly.notify_update_complete() is
  'Row trigger of public.cache_invalidation_log: pg_notify(''nightly_update_complete'', '
  '{organization_id, updated_at, update_type}), delivered to listeners when the transaction commits.';
revoke execute on function nightly.notify_update_complete() from public;

create trigger cache_invalidation_log_notify
  after insert or update on public.cache_invalidation_log
  for each row execute function nightly.notify_update_complete();

-- -----------------------------------------------------------------------------
-- Privileges and policies
-- -----------------------------------------------------------------------------

revoke all on table nightly.runs, nightly.organization_runs, nightly.webhook_outbox
  from public, anon, authenticated;
revoke all on table public.cache_invalidation_log from public, anon, authenticated;

grant select, insert, update, delete
  on table nightly.runs, nightly.organization_runs, nightly.webhook_outbox,
    public.cache_invalidation_log
  to service_role;

-- Admins see their organization's results, and of the runs that included it only
-- what does not describe other organizations (no counts).
grant select on table nightly.organization_runs to authenticated;
grant select (id, status, ticked_at, started_at, finished_at) on table nightly.runs
  to authenticated;
grant select on table public.cache_invalidation_log to authenticated;

create policy "Service role manages nightly runs" on nightly.runs
  for all to service_role using (true) with check (true);
create policy "Service role manages organization runs" on nightly.organization_runs
  for all to service_role using (true) with check (true);
create policy "Service role manages the webhook outbox" on nightly.webhook_outbox
  for all to service_role using (true) with check (true);
create policy "Service role manages the cache invalidation log" on public.cache_invalidation_log
  for all to service_role using (true) with check (true);

create policy "Organization admins can read their nightly results"
  on nightly.organization_runs for select to authenticated
  using (organization_id in (select private.current_user_organization_ids('admin')));

create policy "Organization admins can read runs of their organization"
  on nightly.runs for select to authenticated
  using (exists (
    select 1 from nightly.organization_runs as job
    where job.run_id = runs.id
      and job.organization_id in (select private.current_user_organization_ids('admin'))
  ));

create policy "Organization members can read their nightly update log"
  on public.cache_invalidation_log for select to authenticated
  using (organization_id in (select private.current_user_organization_ids('member')));
