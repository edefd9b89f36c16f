-- =============================================================================
-- One invalidation API: cache.invalidate bumps the tags, writes the audit row
-- and broadcasts the notice, in the caller's transaction. Every invalidation
-- goes through it: base-table writes (triggers), cache-admin/invalidate,
-- maintenance purges and the nightly refresh.
--
--   cache.invalidation_sequences   the last notice number of each organization
--   cache.invalidation_audit       now one row per invalidation of any cause
--   cache.invalidate               bump + audit + broadcast
--
-- The notice is the one shape of shared/invalidation/invalidation_notice.ts:
--   {v: 1, seq, organization_id, cause, action, datasets, tags, at, details}
-- sent with realtime.send(notice, 'cache_invalidation',
-- 'cache-invalidation:<organization id>', true), so it is delivered if and only
-- if the transaction commits (ARCHITECTURE.md, decision 10).
--
-- seq: one counter row per organization, incremented under its row lock, which
-- is held until commit; two transactions invalidating one organization therefore
-- commit their numbers in order, and a client may ignore a notice whose seq it
-- has already passed. The price: invalidations of one organization queue behind
-- each other's transactions (as bumps of one tag always did).
--
-- Lock order, everywhere: the organization's counter row (cache.lock_invalidations),
-- then its refresh state row (dirty marks, rebuilds), then tag versions. Taking the
-- counter first is what keeps a writer and the nightly refresh of one organization
-- from waiting on each other in a cycle.
-- =============================================================================

create table cache.invalidation_sequences (
  organization_id uuid primary key,
  -- 0: locked (cache.lock_invalidations) but no notice sent yet.
  seq bigint not null check (seq >= 0)
);
alter table cache.invalidation_sequences enable row level security;
comment on table cache.invalidation_sequences is
  'Last invalidation notice number (seq) of each organization; see cache.invalidate.';
revoke all on table cache.invalidation_sequences from public, anon, authenticated;
grant select, insert, update on table cache.invalidation_sequences to service_role;
create policy "Service role manages invalidation sequences" on cache.invalidation_sequences
  for all to service_role using (true) with check (true);

-- The audit covers every cause now: which cause, its notice number and context,
-- and actors beyond cache-admin's (writers, pg_cron, the database itself).
alter table cache.invalidation_audit
  add column seq bigint,
  add column cause text not null default 'admin'
    check (cause in ('write', 'admin', 'maintenance', 'nightly')),
  add column details jsonb not null default '{}' check (jsonb_typeof(details) = 'object'),
  drop constraint invalidation_audit_actor_role_check,
  add constraint invalidation_audit_actor_role_check check (actor_role ~ '^[a-z_]{1,63}$');
comment on table cache.invalidation_audit is
  'One row per invalidation (cache.invalidate): cause, who, what, the tags bumped, the notice '
  'number and when.';
comment on column cache.invalidation_audit.actor_role is
  'owner or admin (cache-admin), service_role, authenticated (a write by a signed-in user), '
  'pg_cron, or database (no role claim: the nightly refresh, a direct connection).';

-- -----------------------------------------------------------------------------
-- cache.lock_invalidations
-- -----------------------------------------------------------------------------

create function cache.lock_invalidations(p_organization_ids uuid[])
returns void
language plpgsql
volatile
set search_path = ''
as $$
begin
  insert into cache.invalidation_sequences (organization_id, seq)
  select distinct o.organization_id, 0
  from unnest(p_organization_ids) as o (organization_id)
  where o.organization_id is not null
  order by 1
  on conflict (organization_id) do nothing;
  perform 1
  from cache.invalidation_sequences as sequence
  where sequence.organization_id = any (p_organization_ids)
  order by sequence.organization_id
  for update;
end
$$;
comment on function cache.lock_invalidations(uuid[]) is
  'Takes the invalidation counter row lock of each organization (in id order) until commit: the '
  'first lock of the order counter -> refresh state -> tag versions. Call it before locking an '
  'organization''s refresh state in a transaction that may invalidate it.';

revoke all on function cache.lock_invalidations(uuid[]) from public, anon, authenticated;
grant execute on function cache.lock_invalidations(uuid[]) to service_role;

-- -----------------------------------------------------------------------------
-- cache.invalidate
-- -----------------------------------------------------------------------------

create function cache.invalidate(
  p_organization_id uuid,
  p_datasets text[],
  p_tags text[],
  p_action text,
  p_cause text,
  p_details jsonb default '{}'::jsonb,
  p_actor_user_id uuid default null,
  p_actor_role text default null
)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_datasets text[] := coalesce(p_datasets, '{}');
  v_names text[] := coalesce(p_tags, '{}');
  v_tags text[];
  v_bumped jsonb;
  v_seq bigint;
  v_at timestamptz := clock_timestamp();
  v_notice jsonb;
  v_audit_id bigint;
  -- The caller's JWT claims as PostgREST sets them (read directly: no auth.* grant needed).
  v_claims jsonb := nullif(current_setting('request.jwt.claims', true), '')::jsonb;
begin
  if p_organization_id is null then
    raise exception using errcode = '22023',
      message = 'Invalid invalidation: an organization is required';
  end if;
  if p_cause is null or p_cause not in ('write', 'admin', 'maintenance', 'nightly') then
    raise exception using errcode = '22023',
      message = format('Invalid invalidation cause: expected write, admin, maintenance or '
        'nightly: received %s', coalesce(quote_literal(p_cause), 'null'));
  end if;
  if p_details is not null and jsonb_typeof(p_details) <> 'object' then
    raise exception using errcode = '22023',
      message = 'Invalid invalidation details: expected a JSON object';
  end if;
  if exists (
    select from unnest(v_datasets) as d (name)
    where d.name is null or d.name !~ '^[a-z0-9][a-z0-9-]{0,62}$'
  ) then
    raise exception using errcode = '22023',
      message = 'Invalid datasets: expected names of lowercase letters, digits and -';
  end if;
  -- Custom tag names as shared/cache/tags.ts accepts them (customTag).
  if exists (
    select from unnest(v_names) as t (name)
    where t.name is null or t.name !~ '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$'
  ) then
    raise exception using errcode = '22023',
      message = 'Invalid tags: expected 1 to 128 letters, digits, ''.'', ''_'', '':'' or ''-'', '
        'starting with a letter or digit';
  end if;

  select array_agg(distinct d.name order by d.name) into v_datasets
  from unnest(v_datasets) as d (name);
  select array_agg(distinct t.name order by t.name) into v_names from unnest(v_names) as t (name);
  v_datasets := coalesce(v_datasets, '{}');
  v_names := coalesce(v_names, '{}');

  -- Neither datasets nor tags: the whole organization (its organization tag).
  if cardinality(v_datasets) = 0 and cardinality(v_names) = 0 then
    v_tags := array[cache.organization_tag(p_organization_id)];
  else
    v_tags := array(
      select cache.dataset_tag(p_organization_id, d.name) from unnest(v_datasets) as d (name)
      union all
      select cache.organization_tag(p_organization_id) || ':tag:' || t.name
      from unnest(v_names) as t (name)
    );
  end if;

  -- The counter row first, then the tags (see the lock order above).
  insert into cache.invalidation_sequences as sequence (organization_id, seq)
  values (p_organization_id, 1)
  on conflict (organization_id) do update set seq = sequence.seq + 1
  returning sequence.seq into v_seq;

  select jsonb_object_agg(bumped.tag, bumped.version order by bumped.tag)
  into v_bumped
  from cache.invalidate_tags(v_tags, p_action) as bumped;

  v_notice := jsonb_build_object(
    'v', 1,
    'seq', v_seq,
    'organization_id', p_organization_id,
    'cause', p_cause,
    'action', p_action,
    'datasets', case when cardinality(v_datasets) = 0 and cardinality(v_names) = 0
                     then 'null'::jsonb else to_jsonb(v_datasets) end,
    'tags', to_jsonb(array(select k from jsonb_object_keys(v_bumped) as k order by k)),
    'at', to_char(v_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    'details', coalesce(p_details, '{}'::jsonb)
  );

  insert into cache.invalidation_audit (
    organization_id, actor_user_id, actor_role, mode, datasets, tags, bumped, reason, seq, cause,
    details, created_at
  )
  values (
    p_organization_id,
    coalesce(p_actor_user_id, case
      when v_claims ->> 'sub' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
      then (v_claims ->> 'sub')::uuid end),
    coalesce(p_actor_role,
      case when v_claims ->> 'role' ~ '^[a-z_]{1,63}$' then v_claims ->> 'role' end, 'database'),
    p_action, v_datasets, v_names, v_bumped, left(p_details ->> 'reason', 500), v_seq, p_cause,
    coalesce(p_details, '{}'::jsonb), v_at
  )
  returning id into v_audit_id;

  perform realtime.send(
    v_notice,
    'cache_invalidation',
    'cache-invalidation:' || p_organization_id::text,
    true
  );

  return jsonb_build_object('audit_id', v_audit_id, 'notice', v_notice, 'bumped', v_bumped);
end
$$;
comment on function cache.invalidate(uuid, text[], text[], text, text, jsonb, uuid, text) is
  'The invalidation API: bumps the dataset tags of p_datasets and the custom tags p_tags of one '
  'organization (neither: its organization tag, everything) in mode p_action (expire | purge), '
  'writes the cache.invalidation_audit row and broadcasts the notice {v, seq, organization_id, '
  'cause, action, datasets, tags, at, details} on cache-invalidation:<organization id>, all in '
  'the caller''s transaction. The actor defaults to the sub and role of request.jwt.claims (else database). '
  'Returns {audit_id, notice, bumped: {tag: version}}. Bad input: 22023.';

revoke all on function cache.invalidate(uuid, text[], text[], text, text, jsonb, uuid, text)
  from public, anon, authenticated;
grant execute on function cache.invalidate(uuid, text[], text[], text, text, jsonb, uuid, text)
  to service_role;
