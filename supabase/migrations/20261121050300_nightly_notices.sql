-- =============================================================================
-- Webhook notices through an outbox.
--
-- A notice is a row of nightly.webhook_outbox written by the transaction that
-- changes the state it reports (a run closing, an organization failing for
-- good, an overdue check), so a notice exists if and only if its fact does.
-- The nightly-refresh function delivers pending notices after its work, one at
-- a time in creation order, with exponential backoff between attempts and no
-- limit on them: a receiver that is down delays notices, never loses them, and
-- never holds a refresh up. Delivery is at least once (a crash between the
-- POST and its bookkeeping sends that notice again).
--
--   nightly.enqueue_notice            writes a notice once per dedupe key
--   nightly.run_summary_event         the facts of a run's summary notice
--   nightly.claim_next_notice         takes the oldest due notice for one attempt
--   nightly.record_notice_delivery    delivered, or back off until the next attempt
-- =============================================================================

create function nightly.enqueue_notice(
  p_kind text,
  p_run_id uuid,
  p_organization_id uuid,
  p_event jsonb,
  p_dedupe_key text,
  p_now timestamptz
)
returns bigint
language sql
volatile
set search_path = ''
as $$
  insert into nightly.webhook_outbox (kind, run_id, organization_id, event, dedupe_key, next_attempt_at)
  values (p_kind, p_run_id, p_organization_id, p_event, p_dedupe_key, p_now)
  on conflict (dedupe_key) do nothing
  returning id
$$;
comment on function nightly.enqueue_notice(text, uuid, uuid, jsonb, text, timestamptz) is
  'Writes a notice to the outbox, due at p_now, unless one with p_dedupe_key exists. Returns its '
  'id (null for a duplicate).';

create function nightly.run_summary_event(p_run_id uuid)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select jsonb_build_object(
    'run_id', run.id,
    'status', run.status,
    'continues_run_id', run.continues_run_id,
    'ticked_at', run.ticked_at,
    'started_at', run.started_at,
    'finished_at', run.finished_at,
    'duration_seconds',
      round(extract(epoch from coalesce(run.finished_at, clock_timestamp()) - run.started_at), 1),
    'counts', jsonb_build_object(
      'organizations', run.job_count,
      'refreshed', run.refreshed_count,
      'skipped', run.skipped_count,
      'deferred', run.deferred_count,
      'failed', run.failed_count
    ),
    'local_dates', coalesce((
      select jsonb_agg(distinct job.local_date order by job.local_date)
      from nightly.organization_runs as job where job.run_id = run.id
    ), '[]'::jsonb),
    'significant_changes', coalesce((
      select jsonb_agg(changed.item order by changed.name, changed.organization_id)
      from (
        select organization.name, job.organization_id, jsonb_build_object(
          'organization_id', job.organization_id,
          'organization_name', organization.name,
          'changes', job.significant_changes
        ) as item
        from nightly.organization_runs as job
        join public.organizations as organization on organization.id = job.organization_id
        where job.run_id = run.id and job.status = 'refreshed'
          and jsonb_array_length(job.significant_changes) > 0
        order by organization.name, job.organization_id
        limit 20
      ) as changed
    ), '[]'::jsonb),
    'organizations_with_significant_changes', (
      select count(*) from nightly.organization_runs as job
      where job.run_id = run.id and job.status = 'refreshed'
        and jsonb_array_length(job.significant_changes) > 0
    ),
    'failures', coalesce((
      select jsonb_agg(failed.item order by failed.name, failed.organization_id)
      from (
        select organization.name, job.organization_id, jsonb_build_object(
          'organization_id', job.organization_id,
          'organization_name', organization.name,
          'attempts', job.attempts,
          'error', job.last_error
        ) as item
        from nightly.organization_runs as job
        join public.organizations as organization on organization.id = job.organization_id
        where job.run_id = run.id and job.status = 'failed'
        order by organization.name, job.organization_id
        limit 20
      ) as failed
    ), '[]'::jsonb),
    'continued_by_run_id', (
      select continuation.id from nightly.runs as continuation
      where continuation.continues_run_id = run.id
      limit 1
    ),
    'deferred', coalesce((
      select jsonb_agg(deferred.item order by deferred.name, deferred.organization_id)
      from (
        select organization.name, job.organization_id, jsonb_build_object(
          'organization_id', job.organization_id,
          'organization_name', organization.name
        ) as item
        from nightly.runs as continuation
        join nightly.organization_runs as job on job.run_id = continuation.id
        join public.organizations as organization on organization.id = job.organization_id
        where continuation.continues_run_id = run.id
        order by organization.name, job.organization_id
        limit 20
      ) as deferred
    ), '[]'::jsonb)
  )
  from nightly.runs as run
  where run.id = p_run_id
$$;
comment on function nightly.run_summary_event(uuid) is
  'The facts of a run''s notice: status, duration, counts (refreshed, skipped, deferred, failed), '
  'local nights, and up to 20 organizations each with significant changes, failures and '
  'deferred jobs (with totals).';

-- Locked once in a MATERIALIZED CTE (see nightly.claim_organization_runs).
create function nightly.claim_next_notice(p_now timestamptz, p_lock_for interval)
returns table (id bigint, kind text, event jsonb, attempts integer)
language sql
volatile
set search_path = ''
as $$
  with candidate as materialized (
    select notice.id
    from nightly.webhook_outbox as notice
    where notice.status = 'pending'
      and notice.next_attempt_at <= p_now
      and (notice.locked_until is null or notice.locked_until <= p_now)
    order by notice.id
    limit 1
    for update skip locked
  )
  update nightly.webhook_outbox as notice
  set attempts = notice.attempts + 1,
      locked_until = p_now + p_lock_for
  from candidate
  where notice.id = candidate.id
  returning notice.id, notice.kind, notice.event, notice.attempts
$$;
comment on function nightly.claim_next_notice(timestamptz, interval) is
  'Takes the oldest pending notice that is due for one delivery attempt, hidden from other '
  'deliverers until p_now + p_lock_for. No row: nothing to deliver.';

create function nightly.record_notice_delivery(
  p_id bigint,
  p_now timestamptz,
  p_delivered boolean,
  p_http_status integer,
  p_error text,
  p_retry_base_delay interval default interval '30 seconds',
  p_retry_max_delay interval default interval '1 hour'
)
returns void
language sql
volatile
set search_path = ''
as $$
  update nightly.webhook_outbox as notice
  set status = case when p_delivered then 'delivered' else 'pending' end,
      delivered_at = case when p_delivered then clock_timestamp() end,
      locked_until = null,
      last_http_status = p_http_status,
      last_error = case when p_delivered then null else left(p_error, 1000) end,
      next_attempt_at = case when p_delivered then notice.next_attempt_at else
        p_now + least(p_retry_max_delay,
                      p_retry_base_delay * power(2, greatest(notice.attempts - 1, 0)))
              * (0.75 + random() * 0.5)
      end
  where notice.id = p_id
$$;
comment on function nightly.record_notice_delivery(bigint, timestamptz, boolean, integer, text, interval, interval) is
  'Marks a notice delivered, or schedules its next attempt after p_retry_base_delay x '
  '2^(attempts-1), at most p_retry_max_delay, +-25% jitter. Notices are never given up.';

revoke execute on function
  nightly.enqueue_notice(text, uuid, uuid, jsonb, text, timestamptz),
  nightly.run_summary_event(uuid),
  nightly.claim_next_notice(timestamptz, interval),
  nightly.record_notice_delivery(bigint, timestamptz, boolean, integer, text, interval, interval)
  from public;
grant execute on function
  nightly.claim_next_notice(timestamptz, interval),
  nightly.record_notice_delivery(bigint, timestamptz, boolean, integer, text, interval, interval)
  to service_role;
