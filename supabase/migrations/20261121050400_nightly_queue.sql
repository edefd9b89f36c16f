-- =============================================================================
-- The work queue: claim, process, retry, settle, and time out.
--
--   nightly.claim_organization_runs   claims visible jobs (FOR UPDATE SKIP LOCKED),
--                                     hiding them for a visibility timeout
--   nightly.process_organization_run  one organization in the caller's transaction:
--                                     rebuild, validate, compare, log, bump tags,
--                                     broadcast, record the result (or the retry)
--   nightly.record_organization_run_error  the same bookkeeping when the processing
--                                     transaction itself failed (e.g. a statement timeout)
--   nightly.defer_timed_out_runs      past its deadline, a run hands its unfinished
--                                     jobs to a continuation run and reports them deferred
--
-- Exactly once per organization and night:
--   * a job is claimed with a token; processing first locks the job row and
--     proceeds only under the current token, so a worker whose claim expired
--     (and was taken over) can no longer finish it;
--   * the processing transaction holds the job row lock, so the job cannot be
--     claimed again (SKIP LOCKED) while it is being processed;
--   * a worker that dies mid-job rolls back with its connection; the job is
--     claimable again once its visibility timeout passes. Each claim counts as
--     an attempt, so a job that keeps killing its worker ends as failed.
--
-- Locks are taken in one order everywhere: job row, then organization state,
-- tag versions and log row, then the run row (the run's counters, last).
-- =============================================================================

-- -----------------------------------------------------------------------------
-- Claim
-- -----------------------------------------------------------------------------

-- Candidates are locked in a MATERIALIZED CTE, evaluated once whatever the plan:
-- with `where id in (select ... limit n for update skip locked)` the planner may
-- rescan the subquery (with one-row statistics, as the inner side of a nested
-- loop), each rescan locking the next rows, so a claim for one job took them all.
create function nightly.claim_organization_runs(
  p_worker text,
  p_limit integer,
  p_now timestamptz,
  p_visibility_timeout interval
)
returns table (
  id bigint,
  claim_token uuid,
  organization_id uuid,
  local_date date,
  attempts integer
)
language plpgsql
volatile
set search_path = ''
as $$
#variable_conflict use_column
begin
  if p_worker is null or length(p_worker) not between 1 and 200
    or p_limit is null or p_limit < 1
    or p_visibility_timeout is null or p_visibility_timeout <= interval '0' then
    raise exception using errcode = '22023',
      message = 'Invalid claim: a worker name, a positive limit and a positive visibility timeout are required';
  end if;
  return query
    with candidate as materialized (
      select job.id
      from nightly.organization_runs as job
      where job.status in ('queued', 'running')
        and job.visible_at <= p_now
      order by job.visible_at, job.id
      limit p_limit
      for update skip locked
    )
    update nightly.organization_runs as job
    set status = 'running',
        attempts = job.attempts + 1,
        claimed_by = p_worker,
        claim_token = gen_random_uuid(),
        visible_at = p_now + p_visibility_timeout,
        first_claimed_at = coalesce(job.first_claimed_at, clock_timestamp())
    from candidate
    where job.id = candidate.id
    returning job.id, job.claim_token, job.organization_id, job.local_date, job.attempts;
end
$$;
comment on function nightly.claim_organization_runs(text, integer, timestamptz, interval) is
  'Claims up to p_limit visible jobs (queued, a retry whose backoff ended, or running with an '
  'expired claim) for p_worker: status running, one more attempt, a new claim token, hidden '
  'until p_now + p_visibility_timeout. Concurrent claimers never get the same job.';

-- -----------------------------------------------------------------------------
-- Settling: a job reached a final status; the run counts it, and the last one
-- closes the run and writes its notice, in the same transaction.
-- -----------------------------------------------------------------------------

create function nightly.settle_organization_run(
  p_run_id uuid,
  p_status nightly.organization_run_status,
  p_now timestamptz
)
returns void
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_run nightly.runs;
begin
  update nightly.runs as run
  set pending_count = run.pending_count - 1,
      refreshed_count = run.refreshed_count + (p_status = 'refreshed')::integer,
      skipped_count = run.skipped_count + (p_status = 'skipped')::integer,
      failed_count = run.failed_count + (p_status = 'failed')::integer
  where run.id = p_run_id
  returning * into v_run;
  if v_run.pending_count = 0 and v_run.status = 'running' then
    perform nightly.finish_run(p_run_id, p_now);
  end if;
end
$$;
comment on function nightly.settle_organization_run(uuid, nightly.organization_run_status, timestamptz) is
  'Counts a job that reached p_status (refreshed, skipped, failed) in its run; the run''s last '
  'job closes it (nightly.finish_run).';

create function nightly.finish_run(p_run_id uuid, p_now timestamptz)
returns void
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_run nightly.runs;
begin
  update nightly.runs as run
  set status = case
        when run.deferred_count > 0 then 'timed_out'
        when run.failed_count = 0 then 'completed'
        when run.refreshed_count + run.skipped_count = 0 then 'failed'
        else 'partial'
      end::nightly.run_status,
      finished_at = clock_timestamp()
  where run.id = p_run_id and run.status = 'running' and run.pending_count = 0
  returning * into v_run;
  if not found then
    return;
  end if;
  perform nightly.enqueue_notice(
    case when v_run.status = 'timed_out' then 'run_timed_out' else 'run_summary' end,
    v_run.id,
    null,
    nightly.run_summary_event(v_run.id),
    'run:' || v_run.id::text,
    p_now
  );
end
$$;
comment on function nightly.finish_run(uuid, timestamptz) is
  'Closes a run whose jobs are all settled (status from its counts) and writes its notice: '
  'run_summary, or run_timed_out when jobs were deferred.';

-- -----------------------------------------------------------------------------
-- Failure bookkeeping: retry with exponential backoff and jitter, or give up
-- -----------------------------------------------------------------------------

create function nightly.fail_or_retry_organization_run(
  p_job_id bigint,
  p_now timestamptz,
  p_error text,
  p_max_attempts integer,
  p_retry_base_delay interval,
  p_duration_ms integer
)
returns nightly.organization_run_status
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_job nightly.organization_runs;
  v_error text := left(coalesce(p_error, 'unknown error'), 2000);
begin
  select * into v_job from nightly.organization_runs as job where job.id = p_job_id for update;
  if v_job.attempts < p_max_attempts then
    -- Backoff base * 2^(attempt - 1), jittered by +-25% so retries of many
    -- organizations failing together do not come back together.
    update nightly.organization_runs as job
    set status = 'queued',
        claimed_by = null,
        claim_token = null,
        visible_at = p_now
          + p_retry_base_delay * power(2, v_job.attempts - 1) * (0.75 + random() * 0.5),
        last_error = v_error,
        duration_ms = p_duration_ms
    where job.id = p_job_id;
    return 'queued';
  end if;

  update nightly.organization_runs as job
  set status = 'failed',
      claimed_by = null,
      claim_token = null,
      finished_at = clock_timestamp(),
      last_error = v_error,
      duration_ms = p_duration_ms
  where job.id = p_job_id;
  perform nightly.enqueue_notice(
    'organization_failed',
    v_job.run_id,
    v_job.organization_id,
    jsonb_build_object(
      'run_id', v_job.run_id,
      'organization_id', v_job.organization_id,
      'organization_name', (
        select organization.name from public.organizations as organization
        where organization.id = v_job.organization_id
      ),
      'local_date', v_job.local_date,
      'time_zone', v_job.time_zone,
      'attempts', v_job.attempts,
      'error', v_error
    ),
    'organization_failed:' || v_job.id::text,
    p_now
  );
  perform nightly.settle_organization_run(v_job.run_id, 'failed', p_now);
  return 'failed';
end
$$;
comment on function nightly.fail_or_retry_organization_run(bigint, timestamptz, text, integer, interval, integer) is
  'Records a failed attempt: queued again after p_retry_base_delay x 2^(attempt-1) (+-25% '
  'jitter) while attempts < p_max_attempts, else failed with an organization_failed notice.';

-- -----------------------------------------------------------------------------
-- Processing one organization
-- -----------------------------------------------------------------------------

create function nightly.process_organization_run(
  p_job_id bigint,
  p_claim_token uuid,
  p_now timestamptz,
  p_min_age interval default interval '12 hours',
  p_max_attempts integer default 4,
  p_retry_base_delay interval default interval '1 minute',
  p_change_threshold_percent numeric default 5
)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_job nightly.organization_runs;
  v_organization public.organizations;
  v_state analytics.organization_state;
  v_started timestamptz := clock_timestamp();
  v_previous jsonb;
  v_current jsonb;
  v_changes jsonb;
  v_rebuild jsonb;
  v_logged_at timestamptz;
  v_error text;
  v_skip_reason text;
  v_status nightly.organization_run_status;
begin
  -- The job row lock fences this worker: nobody can claim or finish the job meanwhile.
  select * into v_job from nightly.organization_runs as job where job.id = p_job_id for update;
  if not found or v_job.status <> 'running' or v_job.claim_token is distinct from p_claim_token then
    return jsonb_build_object('outcome', 'lost', 'id', p_job_id);
  end if;

  if v_job.attempts > p_max_attempts then
    v_status := nightly.fail_or_retry_organization_run(
      p_job_id, p_now,
      format('Gave up after %s attempts: the worker stopped (killed or timed out) during the last',
             v_job.attempts),
      p_max_attempts, p_retry_base_delay, 0);
    return jsonb_build_object('outcome', v_status, 'id', p_job_id,
                              'organization_id', v_job.organization_id);
  end if;

  select * into v_organization from public.organizations as organization
  where organization.id = v_job.organization_id;
  select * into v_state from analytics.organization_state as state
  where state.organization_id = v_job.organization_id;

  if v_organization.status <> 'active' then
    v_skip_reason := 'suspended';
  elsif v_state.last_rebuilt_at > p_now - p_min_age
    and not coalesce(v_state.last_changed_at > v_state.last_rebuilt_at, false) then
    v_skip_reason := 'unchanged';
  end if;

  if v_skip_reason is not null then
    update nightly.organization_runs as job
    set status = 'skipped', skip_reason = v_skip_reason, claimed_by = null, claim_token = null,
        finished_at = clock_timestamp(), last_error = null,
        duration_ms = (extract(epoch from clock_timestamp() - v_started) * 1000)::integer
    where job.id = p_job_id;
    perform nightly.settle_organization_run(v_job.run_id, 'skipped', p_now);
    return jsonb_build_object('outcome', 'skipped', 'id', p_job_id,
                              'organization_id', v_job.organization_id, 'reason', v_skip_reason);
  end if;

  -- Everything the organization's refresh changes, as one subtransaction: any
  -- error rolls back all of it (and nothing else) and is handled below.
  begin
    v_previous := case when v_state.last_rebuilt_at is not null
                       then nightly.key_figures(v_job.organization_id) end;
    v_rebuild := analytics.rebuild_organization(v_job.organization_id, v_job.local_date);
    perform nightly.validate_rebuild(v_job.organization_id, v_job.local_date);
    v_current := nightly.key_figures(v_job.organization_id);
    v_changes := nightly.significant_changes(v_previous, v_current, p_change_threshold_percent);

    v_logged_at := clock_timestamp();
    insert into public.cache_invalidation_log as log (organization_id, updated_at, update_type)
    values (v_job.organization_id, v_logged_at, 'nightly_refresh')
    on conflict (organization_id) do update
      set updated_at = excluded.updated_at, update_type = excluded.update_type;

    -- expire, not purge: last night's snapshot is still a correct answer as of
    -- last night, so readers may get it once more while it is recomputed
    -- (stale-while-revalidate) instead of every organization's dashboards
    -- missing the cache at 02:00.
    perform cache.invalidate_datasets(v_job.organization_id, nightly.dataset_names(), 'expire');

    perform realtime.send(
      jsonb_build_object(
        'type', 'nightly_refresh',
        'timestamp', v_logged_at,
        'organization_id', v_job.organization_id
      ),
      'cache_invalidation',
      'cache-invalidation:' || v_job.organization_id::text,
      true
    );
  exception
    when others then
      v_error := sqlerrm;
  end;

  if v_error is not null then
    v_status := nightly.fail_or_retry_organization_run(
      p_job_id, p_now, v_error, p_max_attempts, p_retry_base_delay,
      (extract(epoch from clock_timestamp() - v_started) * 1000)::integer);
    return jsonb_build_object('outcome', v_status, 'id', p_job_id,
                              'organization_id', v_job.organization_id, 'error', v_error);
  end if;

  update nightly.organization_runs as job
  set status = 'refreshed', claimed_by = null, claim_token = null,
      finished_at = clock_timestamp(), last_error = null,
      duration_ms = (extract(epoch from clock_timestamp() - v_started) * 1000)::integer,
      row_counts = v_rebuild -> 'rows',
      key_figures = v_current,
      significant_changes = v_changes
  where job.id = p_job_id;
  perform nightly.settle_organization_run(v_job.run_id, 'refreshed', p_now);
  return jsonb_build_object('outcome', 'refreshed', 'id', p_job_id,
                            'organization_id', v_job.organization_id,
                            'significant_changes', jsonb_array_length(v_changes));
end
$$;
comment on function nightly.process_organization_run(bigint, uuid, timestamptz, interval, integer, interval, numeric) is
  'Processes one claimed job in the caller''s transaction. Skips a suspended organization, and '
  'one rebuilt less than p_min_age ago and unchanged since. Otherwise rebuilds its nightly '
  'datasets as of the job''s local night, validates them, compares key figures with the previous '
  'snapshot, upserts public.cache_invalidation_log, expires its nightly dataset tags and '
  'broadcasts on cache-invalidation:<id> — all or nothing; a failure is retried with backoff '
  '(nightly.fail_or_retry_organization_run). Returns {outcome: refreshed | skipped | queued | '
  'failed | lost, ...}; lost means the claim is no longer this worker''s and nothing was done.';

create function nightly.record_organization_run_error(
  p_job_id bigint,
  p_claim_token uuid,
  p_now timestamptz,
  p_error text,
  p_max_attempts integer default 4,
  p_retry_base_delay interval default interval '1 minute'
)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_job nightly.organization_runs;
  v_status nightly.organization_run_status;
begin
  select * into v_job from nightly.organization_runs as job where job.id = p_job_id for update;
  if not found or v_job.status <> 'running' or v_job.claim_token is distinct from p_claim_token then
    return jsonb_build_object('outcome', 'lost', 'id', p_job_id);
  end if;
  v_status := nightly.fail_or_retry_organization_run(
    p_job_id, p_now, p_error, p_max_attempts, p_retry_base_delay, null);
  return jsonb_build_object('outcome', v_status, 'id', p_job_id,
                            'organization_id', v_job.organization_id);
end
$$;
comment on function nightly.record_organization_run_error(bigint, uuid, timestamptz, text, integer, interval) is
  'Records a failed attempt whose processing transaction could not record it itself (statement '
  'timeout, lost connection): retry with backoff or fail, as process_organization_run does.';

-- -----------------------------------------------------------------------------
-- Run timeout
-- -----------------------------------------------------------------------------

create function nightly.defer_timed_out_runs(
  p_now timestamptz,
  p_run_timeout interval default interval '30 minutes'
)
returns integer
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_run_id uuid;
  v_jobs bigint[];
  v_continuation uuid;
  v_deferred integer := 0;
begin
  for v_run_id in
    select run.id from nightly.runs as run
    where run.status = 'running' and run.deadline_at <= p_now
    order by run.deadline_at
  loop
    -- Jobs first (the order workers lock in); jobs being processed right now are
    -- left to finish in this run.
    select array_agg(job.id order by job.id) into v_jobs
    from (
      select candidate.id from nightly.organization_runs as candidate
      where candidate.run_id = v_run_id and candidate.status in ('queued', 'running')
      order by candidate.id
      for update skip locked
    ) as job;
    perform 1 from nightly.runs as run where run.id = v_run_id and run.status = 'running' for update;
    if not found or v_jobs is null then
      continue;
    end if;

    insert into nightly.runs (ticked_at, deadline_at, job_count, pending_count, continues_run_id)
    values (p_now, p_now + p_run_timeout, cardinality(v_jobs), cardinality(v_jobs), v_run_id)
    returning id into v_continuation;
    update nightly.organization_runs as job
    set run_id = v_continuation, deferrals = job.deferrals + 1
    where job.id = any (v_jobs);
    update nightly.runs as run
    set pending_count = run.pending_count - cardinality(v_jobs),
        deferred_count = run.deferred_count + cardinality(v_jobs)
    where run.id = v_run_id;
    perform nightly.finish_run(v_run_id, p_now);
    v_deferred := v_deferred + cardinality(v_jobs);
  end loop;
  return v_deferred;
end
$$;
comment on function nightly.defer_timed_out_runs(timestamptz, interval) is
  'For every running run past its deadline: moves its unfinished jobs (not those being processed '
  'right now) to a new continuation run with a fresh deadline, counts them as deferred, and '
  'closes the run (run_timed_out notice) once nothing else is pending. Returns the jobs deferred.';

revoke execute on function
  nightly.claim_organization_runs(text, integer, timestamptz, interval),
  nightly.settle_organization_run(uuid, nightly.organization_run_status, timestamptz),
  nightly.finish_run(uuid, timestamptz),
  nightly.fail_or_retry_organization_run(bigint, timestamptz, text, integer, interval, integer),
  nightly.process_organization_run(bigint, uuid, timestamptz, interval, integer, interval, numeric),
  nightly.record_organization_run_error(bigint, uuid, timestamptz, text, integer, interval),
  nightly.defer_timed_out_runs(timestamptz, interval)
  from public;
grant execute on function
  nightly.claim_organization_runs(text, integer, timestamptz, interval),
  nightly.process_organization_run(bigint, uuid, timestamptz, interval, integer, interval, numeric),
  nightly.record_organization_run_error(bigint, uuid, timestamptz, text, integer, interval),
  nightly.defer_timed_out_runs(timestamptz, interval)
  to service_role;
