-- =============================================================================
-- Cache maintenance for operators (schema `cache_admin`, used by the cache-admin
-- function and by pg_cron): what each maintenance action deletes, the log of
-- every action, the single-use confirmation tokens of emergency clears, and the
-- scheduled cleanup.
--
--   cache_admin.maintenance_log          who did what, to how many entries, how long
--   cache_admin.confirmation_tokens      SHA-256 of emergency-clear tokens, single use
--   cache_admin.delete_expired_entries   past expires_at, or purged (never servable)
--   cache_admin.delete_unused_entries    never hit and older than a minimum age
--   cache_admin.delete_matching_entries  by tags, key prefixes and/or age (all given must match)
--   cache_admin.delete_stale_leases      expired computation leases
--   cache_admin.clear_entries            everything, plus purging organization tags
--   cache_admin.issue_confirmation_token / consume_confirmation_token
--   cache_admin.run_scheduled_cleanup    what pg_cron runs (see ..._cache_cleanup_hourly.sql)
--   cache_admin.cleanup_cron_schedule / schedule_cleanup   interval -> pg_cron job
--
-- Scope: p_organization_id restricts every function to one organization's rows;
-- null means every organization (the service role's and pg_cron's scope only: the
-- cache-admin function passes an organization for owners and admins, always).
-- Times come from the caller (p_now, default now()) so tests can use fake time.
-- Functions run as their invoker with search_path = ''; EXECUTE is revoked from
-- public and granted to service_role, except the two scheduling functions, which
-- need pg_cron and stay with the owner (postgres).
-- =============================================================================

create schema if not exists cache_admin;
comment on schema cache_admin is
  'Nightshift cache maintenance: actions, their log, emergency-clear tokens, scheduled cleanup. '
  'Service side only.';

revoke all on schema cache_admin from public;
revoke all on schema cache_admin from anon, authenticated;
grant usage on schema cache_admin to service_role;

-- -----------------------------------------------------------------------------
-- Maintenance log
-- -----------------------------------------------------------------------------

create table cache_admin.maintenance_log (
  id bigint generated always as identity primary key,
  -- The organization acted on; null: every organization (service role or pg_cron).
  organization_id uuid,
  -- auth.users id of the caller; null for the service role and pg_cron.
  actor_user_id uuid,
  actor_role text not null check (actor_role in ('owner', 'admin', 'service_role', 'pg_cron')),
  action text not null check (action in (
    'cleanup_expired', 'cleanup_unused', 'selective_clear', 'optimize', 'emergency_clear',
    'scheduled_cleanup', 'schedule_cleanup'
  )),
  -- The request's criteria as validated (tags, key prefixes, older_than_hours…).
  criteria jsonb not null default '{}' check (jsonb_typeof(criteria) = 'object'),
  -- Cache entries deleted by the action.
  deleted_entries bigint not null default 0 check (deleted_entries >= 0),
  -- What else happened, by part: {"expired": n, "purged": n, "leases": n, "vacuumed": [...]}.
  details jsonb not null default '{}' check (jsonb_typeof(details) = 'object'),
  duration_ms integer not null check (duration_ms >= 0),
  started_at timestamptz not null,
  created_at timestamptz not null default now()
);
alter table cache_admin.maintenance_log enable row level security;
create index maintenance_log_started_at_idx on cache_admin.maintenance_log (started_at desc);
create index maintenance_log_organization_idx
  on cache_admin.maintenance_log (organization_id, started_at desc);
comment on table cache_admin.maintenance_log is
  'One row per maintenance action (cache-admin and pg_cron): who, what, how many entries, how long. '
  'Append-only for the service side.';

-- -----------------------------------------------------------------------------
-- Confirmation tokens (emergency clear)
-- -----------------------------------------------------------------------------

create table cache_admin.confirmation_tokens (
  -- SHA-256 of the token: the token itself is shown once to its caller and never stored.
  token_hash bytea primary key check (octet_length(token_hash) = 32),
  action text not null check (action in ('emergency_clear')),
  -- Bound to: the organization (null: every organization) and the caller.
  organization_id uuid,
  actor_user_id uuid,
  actor_role text not null check (actor_role in ('owner', 'admin', 'service_role')),
  created_at timestamptz not null,
  expires_at timestamptz not null,
  used_at timestamptz,
  constraint confirmation_tokens_window_ordered check (created_at < expires_at)
);
alter table cache_admin.confirmation_tokens enable row level security;
comment on table cache_admin.confirmation_tokens is
  'Single-use confirmation tokens of emergency clears, by SHA-256, bound to caller, organization '
  'and action, valid until expires_at. Deleted by the scheduled cleanup a day after expiry.';

-- -----------------------------------------------------------------------------
-- Privileges and policies: service_role only
-- -----------------------------------------------------------------------------

revoke all on all tables in schema cache_admin from public, anon, authenticated;
grant select, insert on cache_admin.maintenance_log to service_role;
grant select, insert, update, delete on cache_admin.confirmation_tokens to service_role;

create policy "Service role reads and appends the maintenance log" on cache_admin.maintenance_log
  for all to service_role using (true) with check (true);
create policy "Service role manages confirmation tokens" on cache_admin.confirmation_tokens
  for all to service_role using (true) with check (true);

-- -----------------------------------------------------------------------------
-- Deleting entries
-- -----------------------------------------------------------------------------

create function cache_admin.delete_expired_entries(
  p_organization_id uuid,
  p_now timestamptz default now()
)
returns table (expired_entries bigint, purged_entries bigint)
language plpgsql
volatile
set search_path = ''
as $$
begin
  with deleted as (
    delete from cache.entries as e
    where (p_organization_id is null or e.organization_id = p_organization_id)
      and e.expires_at <= p_now
    returning 1
  )
  select count(*) into expired_entries from deleted;

  -- Written before a purge of one of their tags: can never be served again.
  with deleted as (
    delete from cache.entries as e
    where (p_organization_id is null or e.organization_id = p_organization_id)
      and exists (
        select from jsonb_each(e.tag_versions) as w (tag, version)
        join cache.tag_versions as t on t.tag = w.tag and t.purged_version > (w.version)::bigint
      )
    returning 1
  )
  select count(*) into purged_entries from deleted;
  return next;
end
$$;
comment on function cache_admin.delete_expired_entries(uuid, timestamptz) is
  'Deletes the entries of one organization (null: all) past expires_at, then those purged by a '
  'tag purge after they were written. Neither could be served anyway.';

create function cache_admin.delete_unused_entries(
  p_organization_id uuid,
  p_min_age interval default interval '1 hour',
  p_now timestamptz default now()
)
returns bigint
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_deleted bigint;
begin
  if p_min_age is null or p_min_age < interval '0' then
    raise exception using errcode = '22023',
      message = format('Invalid minimum age: expected a non-negative interval: received %s',
        coalesce(p_min_age::text, 'null'));
  end if;
  with deleted as (
    delete from cache.entries as e
    where (p_organization_id is null or e.organization_id = p_organization_id)
      and e.hit_count = 0
      and e.created_at <= p_now - p_min_age
    returning 1
  )
  select count(*) into v_deleted from deleted;
  return v_deleted;
end
$$;
comment on function cache_admin.delete_unused_entries(uuid, interval, timestamptz) is
  'Deletes the entries of one organization (null: all) never hit (hit_count = 0, as flushed by '
  'cache.record_hits) and written at least p_min_age before p_now.';

create function cache_admin.delete_matching_entries(
  p_organization_id uuid,
  p_tags text[] default null,
  p_key_prefixes text[] default null,
  p_older_than interval default null,
  p_now timestamptz default now()
)
returns bigint
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_deleted bigint;
begin
  if coalesce(cardinality(p_tags), 0) = 0 and coalesce(cardinality(p_key_prefixes), 0) = 0
    and p_older_than is null then
    raise exception using errcode = '22023',
      message = 'Invalid clear: give at least one criterion: tags, key prefixes or an age';
  end if;
  if array_position(p_tags, null) is not null or array_position(p_key_prefixes, null) is not null
    or exists (select from unnest(p_key_prefixes) as p (prefix) where p.prefix = '')
    or p_older_than < interval '0' then
    raise exception using errcode = '22023',
      message = 'Invalid clear: tags and key prefixes must be non-empty, the age non-negative';
  end if;
  with deleted as (
    delete from cache.entries as e
    where (p_organization_id is null or e.organization_id = p_organization_id)
      and (coalesce(cardinality(p_tags), 0) = 0 or e.tag_versions ?| p_tags)
      and (coalesce(cardinality(p_key_prefixes), 0) = 0
        or exists (select from unnest(p_key_prefixes) as p (prefix) where starts_with(e.key, p.prefix)))
      and (p_older_than is null or e.created_at <= p_now - p_older_than)
    returning 1
  )
  select count(*) into v_deleted from deleted;
  return v_deleted;
end
$$;
comment on function cache_admin.delete_matching_entries(uuid, text[], text[], interval, timestamptz) is
  'Deletes the entries of one organization (null: all) matching every criterion given: carrying '
  'any of p_tags, with a key starting with any of p_key_prefixes, written at least p_older_than '
  'before p_now. Refuses a call without any criterion (22023).';

create function cache_admin.delete_stale_leases(
  p_organization_id uuid,
  p_now timestamptz default now()
)
returns bigint
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_deleted bigint;
begin
  with deleted as (
    delete from cache.leases as l
    where (p_organization_id is null or starts_with(l.key, p_organization_id::text || ':'))
      and l.expires_at <= p_now
    returning 1
  )
  select count(*) into v_deleted from deleted;
  return v_deleted;
end
$$;
comment on function cache_admin.delete_stale_leases(uuid, timestamptz) is
  'Deletes the expired computation leases of one organization (null: all); keys start with '
  '<organization id>:.';

create function cache_admin.clear_entries(p_organization_id uuid)
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
  -- bound; the broadcast tells browsers to drop theirs, as cache-admin/invalidate does.
  select count(*) into purged_tags
    from cache.invalidate_tags(
      array(select cache.organization_tag(o) from unnest(coalesce(v_organizations, '{}')) as o),
      'purge');
  perform realtime.send(
    jsonb_build_object(
      'type', 'cache_invalidation', 'organization_id', o, 'mode', 'purge',
      'datasets', '[]'::jsonb, 'tags', '[]'::jsonb, 'reason', 'emergency_clear',
      'timestamp', to_char(now() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
    'cache_invalidation',
    'cache-invalidation:' || o::text,
    true)
  from unnest(coalesce(v_organizations, '{}')) as o;
  return next;
end
$$;
comment on function cache_admin.clear_entries(uuid) is
  'Emergency clear of one organization (null: all): deletes every entry and lease, purges the '
  'organization tags (so no isolate serves an L1 copy after its L1 bound) and broadcasts a purge '
  'on cache-invalidation:<organization id>. The caller checks the confirmation token first.';

-- -----------------------------------------------------------------------------
-- Confirmation tokens
-- -----------------------------------------------------------------------------

create function cache_admin.issue_confirmation_token(
  p_token text,
  p_action text,
  p_organization_id uuid,
  p_actor_user_id uuid,
  p_actor_role text,
  p_ttl interval,
  p_now timestamptz default now()
)
returns timestamptz
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_expires_at timestamptz := p_now + p_ttl;
begin
  if p_token is null or length(p_token) < 32 then
    raise exception using errcode = '22023',
      message = 'Invalid confirmation token: expected at least 32 random characters';
  end if;
  if p_ttl is null or p_ttl not between interval '10 seconds' and interval '1 hour' then
    raise exception using errcode = '22023',
      message = format('Invalid token lifetime: expected 10 seconds to 1 hour: received %s',
        coalesce(p_ttl::text, 'null'));
  end if;
  insert into cache_admin.confirmation_tokens
    (token_hash, action, organization_id, actor_user_id, actor_role, created_at, expires_at)
  values (sha256(convert_to(p_token, 'UTF8')), p_action, p_organization_id, p_actor_user_id,
    p_actor_role, p_now, v_expires_at);
  return v_expires_at;
end
$$;
comment on function cache_admin.issue_confirmation_token(text, text, uuid, uuid, text, interval, timestamptz) is
  'Stores the SHA-256 of a new confirmation token for p_action, bound to the organization (null: '
  'all) and the caller, valid for p_ttl. Returns when it expires.';

create function cache_admin.consume_confirmation_token(
  p_token text,
  p_action text,
  p_organization_id uuid,
  p_actor_user_id uuid,
  p_now timestamptz default now()
)
returns text
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_token cache_admin.confirmation_tokens;
begin
  -- Locked: of two concurrent confirmations, the second waits and finds the token used.
  select * into v_token
    from cache_admin.confirmation_tokens as t
   where t.token_hash = sha256(convert_to(coalesce(p_token, ''), 'UTF8'))
     for update;
  if not found
    or v_token.action <> p_action
    or v_token.organization_id is distinct from p_organization_id
    or v_token.actor_user_id is distinct from p_actor_user_id then
    return 'unknown';
  end if;
  if v_token.used_at is not null then
    return 'used';
  end if;
  if v_token.expires_at <= p_now then
    return 'expired';
  end if;
  update cache_admin.confirmation_tokens as t
     set used_at = p_now
   where t.token_hash = v_token.token_hash;
  return 'consumed';
end
$$;
comment on function cache_admin.consume_confirmation_token(text, text, uuid, uuid, timestamptz) is
  'Uses a confirmation token once. Returns consumed, or why not: unknown (never issued, or issued '
  'to another caller, organization or action: nothing more is revealed), used, or expired. '
  'Call it in the transaction of the action it confirms.';

-- -----------------------------------------------------------------------------
-- Scheduled cleanup
-- -----------------------------------------------------------------------------

create function cache_admin.run_scheduled_cleanup(
  p_now timestamptz default now(),
  p_batch integer default 10000,
  p_max_batches integer default 100
)
returns table (
  expired_entries bigint,
  purged_entries bigint,
  expired_leases bigint,
  old_counters bigint,
  old_tokens bigint
)
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_started timestamptz := clock_timestamp();
  v_batch record;
  v_batches integer := 0;
begin
  expired_entries := 0;
  purged_entries := 0;
  expired_leases := 0;
  old_counters := 0;
  -- cache.cleanup deletes at most p_batch entries of each kind per call: repeat until a
  -- call finds less, so one run catches up with any backlog (within p_max_batches).
  loop
    select * into v_batch from cache.cleanup(p_now, p_batch);
    v_batches := v_batches + 1;
    expired_entries := expired_entries + v_batch.expired_entries;
    purged_entries := purged_entries + v_batch.purged_entries;
    expired_leases := expired_leases + v_batch.expired_leases;
    old_counters := old_counters + v_batch.old_counters;
    exit when (v_batch.expired_entries < p_batch and v_batch.purged_entries < p_batch)
      or v_batches >= p_max_batches;
  end loop;

  with deleted as (
    delete from cache_admin.confirmation_tokens as t
    where t.expires_at < p_now - interval '1 day'
    returning 1
  )
  select count(*) into old_tokens from deleted;

  insert into cache_admin.maintenance_log
    (organization_id, actor_user_id, actor_role, action, criteria, deleted_entries, details,
     duration_ms, started_at)
  values (null, null, 'pg_cron', 'scheduled_cleanup', '{}',
    expired_entries + purged_entries,
    jsonb_build_object('expired', expired_entries, 'purged', purged_entries,
      'leases', expired_leases, 'counters', old_counters, 'tokens', old_tokens,
      'batches', v_batches),
    greatest(0, round(extract(epoch from clock_timestamp() - v_started) * 1000))::integer,
    v_started);
  return next;
end
$$;
comment on function cache_admin.run_scheduled_cleanup(timestamptz, integer, integer) is
  'What the pg_cron job nightshift-cache-cleanup runs: cache.cleanup in batches until the backlog '
  'is gone, then drops confirmation tokens expired for a day, and logs one maintenance_log row '
  '(actor pg_cron, action scheduled_cleanup).';

create function cache_admin.cleanup_cron_schedule(p_interval interval)
returns text
language plpgsql
immutable
set search_path = ''
as $$
declare
  v_minutes numeric := extract(epoch from p_interval) / 60;
begin
  if p_interval is not null and v_minutes = trunc(v_minutes) then
    if v_minutes between 1 and 59 and 60 % v_minutes::integer = 0 then
      return format('*/%s * * * *', v_minutes::integer);
    end if;
    if v_minutes = 60 then
      return '0 * * * *';
    end if;
    if v_minutes % 60 = 0 and v_minutes < 1440 and 1440 % v_minutes::integer = 0 then
      return format('0 */%s * * *', (v_minutes / 60)::integer);
    end if;
    if v_minutes = 1440 then
      return '0 0 * * *';
    end if;
  end if;
  raise exception using errcode = '22023',
    message = format('Invalid cleanup interval: expected minutes dividing an hour (1m to 30m), '
      'hours dividing a day (1h to 12h) or 1d: received %s', coalesce(p_interval::text, 'null'));
end
$$;
comment on function cache_admin.cleanup_cron_schedule(interval) is
  'The cron expression (GMT) of a cleanup interval: 1m..30m dividing an hour -> */N * * * *, '
  '1h -> 0 * * * *, 2h..12h dividing a day -> 0 */N * * *, 1d -> 0 0 * * *. Other intervals: 22023.';

-- cron.schedule replaces the schedule and command of a job with the same name
-- but keeps it paused if it was, so registering also activates the job.
create function cache_admin.schedule_cleanup(p_interval interval default interval '1 hour')
returns bigint
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_job bigint;
begin
  -- A job with this name is replaced, never duplicated (pg_cron >= 1.3).
  v_job := cron.schedule(
    'nightshift-cache-cleanup',
    cache_admin.cleanup_cron_schedule(p_interval),
    'select * from cache_admin.run_scheduled_cleanup()'
  );
  perform cron.alter_job(v_job, active := true);
  return v_job;
end
$$;
comment on function cache_admin.schedule_cleanup(interval) is
  'Registers (or re-registers, and activates) the pg_cron job nightshift-cache-cleanup to run '
  'cache_admin.run_scheduled_cleanup every p_interval. Idempotent: one job, whatever the calls.';

-- -----------------------------------------------------------------------------
-- Function privileges
-- -----------------------------------------------------------------------------

revoke all on all functions in schema cache_admin from public, anon, authenticated;
grant execute on function
  cache_admin.delete_expired_entries(uuid, timestamptz),
  cache_admin.delete_unused_entries(uuid, interval, timestamptz),
  cache_admin.delete_matching_entries(uuid, text[], text[], interval, timestamptz),
  cache_admin.delete_stale_leases(uuid, timestamptz),
  cache_admin.clear_entries(uuid),
  cache_admin.issue_confirmation_token(text, text, uuid, uuid, text, interval, timestamptz),
  cache_admin.consume_confirmation_token(text, text, uuid, uuid, timestamptz),
  cache_admin.run_scheduled_cleanup(timestamptz, integer, integer),
  cache_admin.cleanup_cron_schedule(interval)
to service_role;
-- cache_admin.schedule_cleanup needs pg_cron: its owner (postgres) only.
revoke all on function cache_admin.schedule_cleanup(interval) from service_role;
