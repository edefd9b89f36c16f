-- =============================================================================
-- cache.read, closer to a raw primary-key select.
--
-- Before: every read expanded the entry's tag_versions with jsonb_each and ran
-- one fenced subquery per tag (a SubPlan each). Now each entry keeps the names
-- of its tags in a stored generated column (`tag_names`, computed once, when
-- the entry is written) and a read checks them with one index scan of
-- cache.tag_versions on `tag = any(tag_names)`: one entry lookup, one tag
-- lookup, no per-tag subplan. Same signature, same answers.
-- =============================================================================

create function cache.tag_names(p_tag_versions jsonb)
returns text[]
language sql
immutable
parallel safe
set search_path = ''
as $$
  select coalesce(array(select jsonb_object_keys(p_tag_versions) order by 1), '{}')
$$;
comment on function cache.tag_names(jsonb) is
  'The tag names of an entry''s tag_versions ({"tag": version}), sorted: cache.entries.tag_names '
  'is generated from it so reads look tags up without expanding the JSON.';

alter table cache.entries
  add column tag_names text[] generated always as (cache.tag_names(tag_versions)) stored;
comment on column cache.entries.tag_names is
  'Names of the tags in tag_versions (generated): cache.read looks them up in one index scan.';

create or replace function cache.read(p_key text, p_organization_id uuid, p_now timestamptz default now())
returns table (
  key text,
  organization_id uuid,
  dataset text,
  body text,
  etag text,
  tag_versions jsonb,
  created_at timestamptz,
  fresh_until timestamptz,
  expires_at timestamptz,
  status text,
  tags_expired boolean
)
-- PL/pgSQL, not SQL: a SQL function with SET cannot be inlined and would be
-- planned again on every call; PL/pgSQL keeps its plan for the session.
language plpgsql
stable
rows 1
set search_path = ''
as $$
#variable_conflict use_column
begin
  return query
  select
    e.key,
    e.organization_id,
    e.dataset,
    case when s.status in ('fresh', 'stale') then e.body end,
    case when s.status in ('fresh', 'stale') then e.etag end,
    e.tag_versions,
    e.created_at,
    e.fresh_until,
    e.expires_at,
    s.status,
    v.expired
  from cache.entries as e
  cross join lateral (
    -- One index scan of cache.tag_versions for every tag of the entry (a handful,
    -- by primary key), never a scan of the table, whose rows are kept forever.
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
  where e.key = p_key
    and e.organization_id = p_organization_id;
end
$$;
comment on function cache.read(text, uuid, timestamptz) is
  'Reads one entry of one organization (no row: a miss). status: fresh (servable), stale '
  '(servable while revalidating: past fresh_until, or a tag was expired after the write), '
  'purged (a tag was purged after the write) or expired (past expires_at); body and etag are '
  'null unless the entry is servable. One primary-key lookup of the entry and one index scan '
  'of its tags (tag_names). Never writes: hits are counted by cache.record_hits.';

revoke all on function cache.tag_names(jsonb) from public, anon, authenticated;
grant execute on function cache.tag_names(jsonb) to service_role;
