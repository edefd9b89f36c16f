-- =============================================================================
-- Claims lock their candidates exactly once.
--
-- `update ... where id in (select ... limit n for update skip locked)` lets the
-- planner rescan the subquery (say, as the inner side of a nested loop); each
-- rescan skips the rows it has just locked and returns the next ones, so one
-- claim could take more than n jobs — and a worker asking for one job left the
-- others claimed, unprocessed, until their visibility timeout. A MATERIALIZED
-- CTE is evaluated once, whatever the plan (the pgmq pattern).
-- =============================================================================

create or replace function nightly.claim_organization_runs(
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

create or replace function nightly.claim_next_notice(p_now timestamptz, p_lock_for interval)
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
