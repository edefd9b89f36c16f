-- =============================================================================
-- Retention of every log and history table (issue 13, item 3).
--
-- Each table the project writes as a log or history has a stated retention in
-- cache_admin.history_retention, and the pg_cron job nightshift-prune-history
-- (daily at 03:41 GMT, after the nights of Europe) deletes what is older, in
-- batches, with cache_admin.prune_history. What is still needed stays whatever
-- its age: each organization's latest nightly job (the status and freshness
-- read it), unsettled jobs and running runs, runs with a notice still in the
-- outbox, pending notices (never given up), and the cron history of other
-- jobs than ours (Supabase's Cron guide asks to prune job_run_details; we
-- prune only the rows of jobs named nightshift-*).
--
-- To keep something longer: update cache_admin.history_retention
--   set keep = interval '180 days' where history = 'nightly.runs';
-- =============================================================================

create table cache_admin.history_retention (
  history text primary key,
  keep interval not null check (keep >= interval '1 hour'),
  rule text not null
);
alter table cache_admin.history_retention enable row level security;
comment on table cache_admin.history_retention is
  'How long each log or history table keeps its rows; cache_admin.prune_history applies it daily.';
revoke all on cache_admin.history_retention from public, anon, authenticated;
grant select on cache_admin.history_retention to service_role;
create policy "Service role reads the retention of history tables"
  on cache_admin.history_retention for select to service_role using (true);

insert into cache_admin.history_retention (history, keep, rule) values
  ('cron.job_run_details', interval '7 days',
   'runs of the nightshift-* pg_cron jobs, by start time (other jobs untouched)'),
  ('cache_admin.maintenance_log', interval '90 days',
   'by started_at; GET /cache-admin/maintenance/history reads at most 90 days'),
  ('cache.invalidation_audit', interval '90 days', 'by created_at'),
  ('cache.counters', interval '90 days',
   'hourly read stats by bucket_start; GET /cache-admin/metrics reads at most 2160 hours'),
  ('cache_admin.confirmation_tokens', interval '1 day',
   'a day after expiry or use, whichever comes first'),
  ('nightly.organization_runs', interval '90 days',
   'settled jobs by finished_at, except each organization''s latest job'),
  ('nightly.runs', interval '90 days',
   'settled runs by finished_at once none of their jobs and none of their notices remain'),
  ('nightly.webhook_outbox', interval '30 days',
   'delivered notices by delivered_at, parked ones by parked_at after 3 x this; pending never');

create function cache_admin.prune_history(
  p_now timestamptz default now(),
  p_batch integer default 10000,
  p_max_batches integer default 100
)
returns table (history text, deleted bigint)
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_keep jsonb;
  v_cutoff timestamptz;
  v_count bigint;
  v_total bigint;
  v_batches integer;
begin
  if p_batch is null or p_batch < 1 or p_max_batches is null or p_max_batches < 1 then
    raise exception using errcode = '22023',
      message = format('Invalid batch: expected positive p_batch and p_max_batches: received %s, %s',
        p_batch, p_max_batches);
  end if;
  select jsonb_object_agg(retention.history, retention.keep) into v_keep
  from cache_admin.history_retention as retention;

  -- One loop per table: delete at most p_batch rows per statement, so no lock is held long.
  history := 'cron.job_run_details';
  v_cutoff := p_now - (v_keep ->> history)::interval;
  v_total := 0; v_batches := 0;
  loop
    delete from cron.job_run_details as detail
    where detail.ctid = any (array(
      select candidate.ctid from cron.job_run_details as candidate
      where candidate.start_time < v_cutoff
        and candidate.jobid in (select job.jobid from cron.job as job where job.jobname like 'nightshift-%')
      limit p_batch));
    get diagnostics v_count = row_count;
    v_total := v_total + v_count; v_batches := v_batches + 1;
    exit when v_count < p_batch or v_batches >= p_max_batches;
  end loop;
  deleted := v_total; return next;

  history := 'cache_admin.maintenance_log';
  v_cutoff := p_now - (v_keep ->> history)::interval;
  v_total := 0; v_batches := 0;
  loop
    delete from cache_admin.maintenance_log as entry
    where entry.ctid = any (array(
      select candidate.ctid from cache_admin.maintenance_log as candidate
      where candidate.started_at < v_cutoff limit p_batch));
    get diagnostics v_count = row_count;
    v_total := v_total + v_count; v_batches := v_batches + 1;
    exit when v_count < p_batch or v_batches >= p_max_batches;
  end loop;
  deleted := v_total; return next;

  history := 'cache.invalidation_audit';
  v_cutoff := p_now - (v_keep ->> history)::interval;
  v_total := 0; v_batches := 0;
  loop
    delete from cache.invalidation_audit as audit
    where audit.ctid = any (array(
      select candidate.ctid from cache.invalidation_audit as candidate
      where candidate.created_at < v_cutoff limit p_batch));
    get diagnostics v_count = row_count;
    v_total := v_total + v_count; v_batches := v_batches + 1;
    exit when v_count < p_batch or v_batches >= p_max_batches;
  end loop;
  deleted := v_total; return next;

  history := 'cache.counters';
  v_cutoff := p_now - (v_keep ->> history)::interval;
  v_total := 0; v_batches := 0;
  loop
    delete from cache.counters as counter
    where counter.ctid = any (array(
      select candidate.ctid from cache.counters as candidate
      where candidate.bucket_start < v_cutoff limit p_batch));
    get diagnostics v_count = row_count;
    v_total := v_total + v_count; v_batches := v_batches + 1;
    exit when v_count < p_batch or v_batches >= p_max_batches;
  end loop;
  deleted := v_total; return next;

  history := 'cache_admin.confirmation_tokens';
  v_cutoff := p_now - (v_keep ->> history)::interval;
  delete from cache_admin.confirmation_tokens as token
  where least(token.expires_at, coalesce(token.used_at, 'infinity')) < v_cutoff;
  get diagnostics v_count = row_count;
  deleted := v_count; return next;

  history := 'nightly.webhook_outbox';
  v_cutoff := p_now - (v_keep ->> history)::interval;
  v_total := 0; v_batches := 0;
  loop
    delete from nightly.webhook_outbox as notice
    where notice.ctid = any (array(
      select candidate.ctid from nightly.webhook_outbox as candidate
      where (candidate.status = 'delivered' and candidate.delivered_at < v_cutoff)
         or (candidate.status = 'parked'
             and candidate.parked_at < p_now - 3 * (v_keep ->> history)::interval)
      limit p_batch));
    get diagnostics v_count = row_count;
    v_total := v_total + v_count; v_batches := v_batches + 1;
    exit when v_count < p_batch or v_batches >= p_max_batches;
  end loop;
  deleted := v_total; return next;

  history := 'nightly.organization_runs';
  v_cutoff := p_now - (v_keep ->> history)::interval;
  v_total := 0; v_batches := 0;
  loop
    delete from nightly.organization_runs as job
    where job.ctid = any (array(
      select candidate.ctid from nightly.organization_runs as candidate
      where candidate.status in ('refreshed', 'skipped', 'failed')
        and candidate.finished_at < v_cutoff
        and exists (
          select 1 from nightly.organization_runs as later
          where later.organization_id = candidate.organization_id
            and later.local_date > candidate.local_date)
      limit p_batch));
    get diagnostics v_count = row_count;
    v_total := v_total + v_count; v_batches := v_batches + 1;
    exit when v_count < p_batch or v_batches >= p_max_batches;
  end loop;
  deleted := v_total; return next;

  history := 'nightly.runs';
  v_cutoff := p_now - (v_keep ->> history)::interval;
  delete from nightly.runs as run
  where run.status <> 'running'
    and run.finished_at < v_cutoff
    and not exists (select 1 from nightly.organization_runs as job where job.run_id = run.id)
    and not exists (select 1 from nightly.webhook_outbox as notice where notice.run_id = run.id);
  get diagnostics v_count = row_count;
  deleted := v_count; return next;
end
$$;
comment on function cache_admin.prune_history(timestamptz, integer, integer) is
  'Deletes the rows of every log and history table older than its retention '
  '(cache_admin.history_retention) at p_now, at most p_batch rows per statement and p_max_batches '
  'statements per table, keeping what is still needed (each organization''s latest nightly job, '
  'unsettled jobs and runs, runs with notices, pending notices, other pg_cron jobs'' history). '
  'Returns the rows deleted per table. Run daily by the pg_cron job nightshift-prune-history.';
revoke execute on function cache_admin.prune_history(timestamptz, integer, integer) from public;

select cron.schedule('nightshift-prune-history', '41 3 * * *',
  $job$select * from cache_admin.prune_history()$job$);
