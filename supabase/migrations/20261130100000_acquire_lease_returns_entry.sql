-- =============================================================================
-- cache.acquire_lease answers with the entry when one appeared.
--
-- Before: a hard miss took the lease, then read L2 once more (the previous holder
-- may have written and released between the miss and the lease), then released
-- the lease if that read found a fresh entry: three statements around every
-- computation. Now the lease statement does the second look itself: once the lease
-- is won it reads the key (a new snapshot: the previous holder's write and release
-- commit together in cache.write), and when the entry is fresh it gives the lease
-- back and returns the entry instead. A computation costs one statement less, and
-- the race it guards against is closed the same way as before.
--
-- Same arguments; the result gains the entry's columns (entry_*), null unless a
-- fresh entry was found. The return type changes, so the function is re-created.
-- =============================================================================

drop function cache.acquire_lease(text, text, text[], integer, timestamptz);

create function cache.acquire_lease(
  p_key text,
  p_holder text,
  p_tags text[],
  p_ttl_ms integer,
  p_now timestamptz default now()
)
returns table (
  acquired boolean,
  tag_versions jsonb,
  entry_body text,
  entry_etag text,
  entry_tag_versions jsonb,
  entry_created_at timestamptz,
  entry_fresh_until timestamptz,
  entry_expires_at timestamptz
)
language plpgsql
volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_acquired boolean := false;
  v_organization_id uuid;
  v_entry record;
begin
  if p_ttl_ms is null or p_ttl_ms not between 1 and 3600000 then
    raise exception using errcode = '22023',
      message = format('Invalid lease ttl: expected 1 to 3600000 ms: received %s', p_ttl_ms);
  end if;
  insert into cache.leases as l (key, holder, expires_at)
  values (p_key, p_holder, p_now + p_ttl_ms * interval '1 millisecond')
  on conflict on constraint leases_pkey do update
    set holder = excluded.holder, expires_at = excluded.expires_at
    where l.expires_at <= p_now
  returning true into v_acquired;

  if not coalesce(v_acquired, false) then
    return query select false, null::jsonb, null::text, null::text, null::jsonb,
      null::timestamptz, null::timestamptz, null::timestamptz;
    return;
  end if;

  -- The previous holder may have written and released between the caller's miss and
  -- this lease: a fresh entry now is served instead of computed again.
  select e.organization_id into v_organization_id from cache.entries as e where e.key = p_key;
  if v_organization_id is not null then
    select r.body, r.etag, r.tag_versions, r.created_at, r.fresh_until, r.expires_at
      into v_entry
      from cache.read(p_key, v_organization_id, p_now) as r
      where r.status = 'fresh';
    if found then
      delete from cache.leases as l where l.key = p_key and l.holder = p_holder;
      return query select false, null::jsonb, v_entry.body, v_entry.etag, v_entry.tag_versions,
        v_entry.created_at, v_entry.fresh_until, v_entry.expires_at;
      return;
    end if;
  end if;

  -- Versions are read after the lease and before the computation starts: a bump that
  -- commits while the computation runs leaves the entry written under the old version,
  -- so it is born stale (or purged) instead of wrongly current.
  return query
    select true, coalesce(jsonb_object_agg(t.tag, coalesce(v.version, 0)), '{}'::jsonb),
      null::text, null::text, null::jsonb, null::timestamptz, null::timestamptz,
      null::timestamptz
    from (select distinct unnest(p_tags) as tag) as t
    left join cache.tag_versions as v on v.tag = t.tag;
end
$$;
comment on function cache.acquire_lease(text, text, text[], integer, timestamptz) is
  'Cross-instance single-flight: takes the lease on a key unless another holder has an '
  'unexpired one. When acquired, returns the current versions of p_tags, which the entry '
  'must be written under (cache.write). When the lease is won but a fresh entry exists (the '
  'previous holder wrote it meanwhile), gives the lease back and returns that entry '
  '(acquired false, entry_* set) so the caller serves it instead of computing again.';

revoke all on function cache.acquire_lease(text, text, text[], integer, timestamptz)
  from public, anon, authenticated;
grant execute on function cache.acquire_lease(text, text, text[], integer, timestamptz)
  to service_role;
