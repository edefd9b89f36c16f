-- =============================================================================
-- The nightly refresh and the emergency clear invalidate through cache.invalidate
-- (bump + audit + the one notice shape), instead of bumping tags and building
-- their own broadcast payloads:
--
--   nightly.process_organization_run   cause nightly, details {run_id, local_date, as_of_date};
--                                      takes the organization's invalidation counter lock
--                                      before the rebuild locks its state (the one lock order)
--   cache_admin.clear_entries          cause maintenance, action purge, datasets null
--                                      (organization-wide), details {reason: emergency_clear}
--
-- Everything else in both functions is unchanged.
-- =============================================================================

create or replace function nightly.process_organization_run(
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

  -- The lock order of every invalidation: the organization's invalidation counter
  -- before its refresh state (taken by the rebuild) and tag versions.
  perform cache.lock_invalidations(array[v_job.organization_id]);

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
    -- Bump, audit and broadcast through the one invalidation API.
    perform cache.invalidate(
      v_job.organization_id, nightly.dataset_names(), null, 'expire', 'nightly',
      jsonb_build_object('run_id', v_job.run_id, 'local_date', v_job.local_date,
                         'as_of_date', v_rebuild ->> 'as_of_date'));
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
  'snapshot, upserts public.cache_invalidation_log, expires its nightly datasets through '
  'cache.invalidate (tags, audit, notice with cause nightly) — all or nothing; a failure is retried with backoff '
  '(nightly.fail_or_retry_organization_run). Returns {outcome: refreshed | skipped | queued | '
  'failed | lost, ...}; lost means the claim is no longer this worker''s and nothing was done.';

create or replace function cache_admin.clear_entries(p_organization_id uuid)
returns table (deleted_entries bigint, deleted_leases bigint, purged_tags bigint)
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_organizations uuid[];
begin
  select array_agg(distinct e.organization_id order by e.organization_id)
    into v_organizations
    from cache.entries as e
   where p_organization_id is null or e.organization_id = p_organization_id;
  if p_organization_id is not null then
    v_organizations := array[p_organization_id];
  end if;

  with deleted as (
    delete from cache.entries as e
    where p_organization_id is null or e.organization_id = p_organization_id
    returning 1
  )
  select count(*) into deleted_entries from deleted;

  with deleted as (
    delete from cache.leases as l
    where p_organization_id is null or starts_with(l.key, p_organization_id::text || ':')
    returning 1
  )
  select count(*) into deleted_leases from deleted;

  -- Purging the organization tags makes every isolate drop its L1 copies within the L1
  -- bound; the notice tells browsers to drop theirs (cache.invalidate, cause maintenance).
  select count(*) into purged_tags
  from unnest(coalesce(v_organizations, '{}')) as o (organization_id)
  cross join lateral cache.invalidate(
    o.organization_id, null, null, 'purge', 'maintenance',
    jsonb_build_object('reason', 'emergency_clear')
  ) as invalidated;
  return next;
end
$$;
comment on function cache_admin.clear_entries(uuid) is
  'Emergency clear of one organization (null: all): deletes every entry and lease, purges the '
  'organization tags through cache.invalidate (so no isolate serves an L1 copy after its L1 '
  'bound; audited, with a maintenance notice on cache-invalidation:<organization id>). The caller checks the confirmation token first.';

