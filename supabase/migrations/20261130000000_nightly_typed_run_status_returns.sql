-- =============================================================================
-- `supabase db lint` (plpgsql_check) warned twice in
-- nightly.fail_or_retry_organization_run: `return 'queued'` / `return 'failed'`
-- returned text into the nightly.organization_run_status result (42804, no
-- assignment cast). Same function, same behaviour, with typed returns.
-- =============================================================================

create or replace function nightly.fail_or_retry_organization_run(
  p_job_id bigint,
  p_now timestamptz,
  p_error text,
  p_max_attempts integer,
  p_retry_base_delay interval,
  p_duration_ms integer
)
returns nightly.organization_run_status
language plpgsql
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
    return 'queued'::nightly.organization_run_status;
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
  return 'failed'::nightly.organization_run_status;
end
$$;

comment on function nightly.fail_or_retry_organization_run(bigint, timestamptz, text, integer, interval, integer) is
  'Records a failed attempt: queued again after p_retry_base_delay x 2^(attempt-1) (+-25% jitter) '
  'while attempts < p_max_attempts, else failed with an organization_failed notice.';
