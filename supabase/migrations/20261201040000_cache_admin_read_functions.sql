-- =============================================================================
-- The admin dashboard's reads of the cache, each one SQL function that owns its
-- shape and its scope (the cache-admin routes /invalidations and /entries call
-- them as their caller, with `role` and `request.jwt.claims` set as PostgREST
-- sets them):
--
--   cache_admin.invalidation_audit(organization, cause, limit)   the audit, newest first
--   cache_admin.entries(organization, tag, limit, now)            most hit entries, state now
--   cache_admin.require_reader(organization)                      the scope rule of both
--
-- Who: the service role, any organization or all (null); an owner or admin, only
-- an organization they administer (a member, or an admin of another
-- organization: 42501; no organization: 22023). Both functions run as their
-- invoker, so for `authenticated` Row Level Security stays in force as a second
-- guard: owners and admins may read their organizations' rows of
-- cache.invalidation_audit, cache.entries (never the body or the ETag: sizes come
-- from body_bytes) and the tag versions of their organizations' tags. Nothing
-- else of the cache is theirs: no write, no other function, no lease, no counter.
-- =============================================================================

-- -----------------------------------------------------------------------------
-- Entry sizes without reading bodies
-- -----------------------------------------------------------------------------

-- octet_length of a stored text reads its length word, not the (possibly TOASTed)
-- value, so keeping it costs no body read on writes or hit-count updates.
alter table cache.entries
  add column body_bytes bigint generated always as (octet_length(body)) stored;
comment on column cache.entries.body_bytes is
  'Size of body in bytes (octet_length), so admins see sizes without a privilege on body.';

-- -----------------------------------------------------------------------------
-- Privileges and policies for owners and admins (read only, their organizations)
-- -----------------------------------------------------------------------------

grant usage on schema cache to authenticated;
grant usage on schema cache_admin to authenticated;
comment on schema cache is
  'Nightshift L2 cache: entries, tag versions, leases and hit counters. Service side, plus reads of '
  'their organizations'' entries, tag versions and audit for owners and admins under RLS.';
comment on schema cache_admin is
  'Nightshift cache maintenance: actions, their log, emergency-clear tokens, scheduled cleanup '
  '(service side), and the admin dashboard''s reads (entries, invalidation_audit) for owners and '
  'admins too.';

grant select on table cache.invalidation_audit to authenticated;
grant select (key, organization_id, dataset, tag_versions, tag_names, created_at, fresh_until,
  expires_at, hit_count, last_hit_at, body_bytes) on table cache.entries to authenticated;
grant select (tag, version, purged_version) on table cache.tag_versions to authenticated;

create policy "Organization owners and admins can read their invalidation audit"
  on cache.invalidation_audit for select to authenticated
  using (organization_id in (select private.current_user_organization_ids('admin')));

create policy "Organization owners and admins can read their cache entries"
  on cache.entries for select to authenticated
  using (organization_id in (select private.current_user_organization_ids('admin')));

-- Every tag of an entry is its organization's tag or starts with it
-- (shared/cache/tags.ts: org:<id>, org:<id>:dataset:<name>, org:<id>:tag:<name>).
create policy "Organization owners and admins can read their organizations' tag versions"
  on cache.tag_versions for select to authenticated
  using (exists (
    select from private.current_user_organization_ids('admin') as administered (id)
    where tag_versions.tag = 'org:' || administered.id::text
       or starts_with(tag_versions.tag, 'org:' || administered.id::text || ':')
  ));

-- -----------------------------------------------------------------------------
-- The scope rule
-- -----------------------------------------------------------------------------

create function cache_admin.require_reader(p_organization_id uuid)
returns void
language plpgsql
stable
set search_path = ''
as $$
begin
  if current_user <> 'authenticated' then
    return; -- service_role (or the owner): any organization, or all of them (null)
  end if;
  if p_organization_id is null then
    raise exception using errcode = '22023',
      message = 'Missing organization_id: owners and admins act on one organization: add organization_id';
  end if;
  if p_organization_id not in (select private.current_user_organization_ids('admin')) then
    raise exception using errcode = '42501',
      message = format(
        'Not an owner or admin of organization %s: cache administration is theirs', p_organization_id);
  end if;
end
$$;
comment on function cache_admin.require_reader(uuid) is
  'The scope of the admin reads: returns for the service role (any organization, null: all) and '
  'for an owner or admin of p_organization_id (auth.uid()); raises 22023 for a user without an '
  'organization and 42501 for a user who does not administer it.';

-- -----------------------------------------------------------------------------
-- The invalidation audit
-- -----------------------------------------------------------------------------

create function cache_admin.invalidation_audit(
  p_organization_id uuid,
  p_cause text default 'admin',
  p_limit integer default 50
)
returns table (
  id bigint,
  organization_id uuid,
  actor_user_id uuid,
  actor_role text,
  cause text,
  seq bigint,
  mode text,
  datasets text[],
  tags text[],
  bumped jsonb,
  reason text,
  details jsonb,
  created_at timestamptz
)
language plpgsql
stable
set search_path = ''
as $$
#variable_conflict use_column
begin
  perform cache_admin.require_reader(p_organization_id);
  if p_cause is null or p_cause not in ('admin', 'write', 'maintenance', 'nightly', 'all') then
    raise exception using errcode = '22023',
      message = format('Invalid cause: expected admin, write, maintenance, nightly or all: received %s',
        coalesce(p_cause, 'null'));
  end if;
  if p_limit is null or p_limit not between 1 and 500 then
    raise exception using errcode = '22023',
      message = format('Invalid limit: expected 1 to 500: received %s', coalesce(p_limit::text, 'null'));
  end if;
  return query
  select a.id, a.organization_id, a.actor_user_id, a.actor_role, a.cause, a.seq, a.mode,
    a.datasets, a.tags, a.bumped, a.reason, a.details, a.created_at
  from cache.invalidation_audit as a
  where (p_organization_id is null or a.organization_id = p_organization_id)
    and (p_cause = 'all' or a.cause = p_cause)
  order by a.created_at desc, a.id desc
  limit p_limit;
end
$$;
comment on function cache_admin.invalidation_audit(uuid, text, integer) is
  'The invalidation audit (cache.invalidation_audit) of one organization (null: all, service role '
  'only), newest first, at most p_limit (1-500) rows, of one cause (admin | write | maintenance | '
  'nightly) or all. Scope: cache_admin.require_reader. Bad input: 22023.';

-- -----------------------------------------------------------------------------
-- Entries with their state now
-- -----------------------------------------------------------------------------

create function cache_admin.entries(
  p_organization_id uuid,
  p_tag text default null,
  p_limit integer default 50,
  p_now timestamptz default now()
)
returns table (
  key text,
  organization_id uuid,
  dataset text,
  hits bigint,
  bytes bigint,
  status text,
  last_hit_at timestamptz,
  created_at timestamptz,
  fresh_until timestamptz,
  expires_at timestamptz,
  tags text[]
)
language plpgsql
stable
set search_path = ''
as $$
#variable_conflict use_column
begin
  perform cache_admin.require_reader(p_organization_id);
  if p_limit is null or p_limit not between 1 and 500 then
    raise exception using errcode = '22023',
      message = format('Invalid limit: expected 1 to 500: received %s', coalesce(p_limit::text, 'null'));
  end if;
  if p_tag = '' or length(p_tag) > 256 then
    raise exception using errcode = '22023',
      message = 'Invalid tag: expected 1 to 256 characters';
  end if;
  return query
  select e.key, e.organization_id, e.dataset, e.hit_count, e.body_bytes, s.status, e.last_hit_at,
    e.created_at, e.fresh_until, e.expires_at, e.tag_names
  from (
    select x.key, x.organization_id, x.dataset, x.hit_count, x.body_bytes, x.last_hit_at,
      x.created_at, x.fresh_until, x.expires_at, x.tag_versions, x.tag_names
    from cache.entries as x
    where (p_organization_id is null or x.organization_id = p_organization_id)
      and (p_tag is null or x.tag_versions ? p_tag)
    order by x.hit_count desc, x.key
    limit p_limit
  ) as e
  cross join lateral (
    -- The state as cache.read decides it (tests/cache/cache_admin_reads_test.ts compares them).
    select
      coalesce(bool_or(t.version > (e.tag_versions ->> t.tag)::bigint), false) as expired,
      coalesce(bool_or(t.purged_version > (e.tag_versions ->> t.tag)::bigint), false) as purged
    from cache.tag_versions as t
    where t.tag = any (e.tag_names)
  ) as v
  cross join lateral (
    select case
      when v.purged then 'purged'
      when p_now >= e.expires_at then 'expired'
      when v.expired or p_now >= e.fresh_until then 'stale'
      else 'fresh'
    end as status
  ) as s
  order by e.hit_count desc, e.key;
end
$$;
comment on function cache_admin.entries(uuid, text, integer, timestamptz) is
  'The most hit stored entries of one organization (null: all, service role only), carrying p_tag '
  'when given, at most p_limit (1-500), each with its size, sorted tags and its state at p_now as '
  'cache.read decides it: fresh, stale, purged (stored until cleanup, never served) or expired. '
  'Scope: cache_admin.require_reader. Bad input: 22023.';

-- -----------------------------------------------------------------------------
-- Who may call them
-- -----------------------------------------------------------------------------

revoke all on function
  cache_admin.require_reader(uuid),
  cache_admin.invalidation_audit(uuid, text, integer),
  cache_admin.entries(uuid, text, integer, timestamptz)
  from public, anon;
grant execute on function
  cache_admin.require_reader(uuid),
  cache_admin.invalidation_audit(uuid, text, integer),
  cache_admin.entries(uuid, text, integer, timestamptz)
  to authenticated, service_role;
