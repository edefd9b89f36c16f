-- =============================================================================
-- cache.acquire_lease says when it took a lease over.
--
-- A lease is taken over when its holder let it expire without writing or
-- releasing it: the holder crashed, hung, or computed for longer than the lease
-- (CACHE_LEASE_TTL), and may still be computing the same key. That was silent.
-- Now the lease statement reads the row it replaces in the same statement (a CTE
-- of the statement's snapshot: one primary-key lookup, no second statement) and
-- returns who held it and when that lease expired (took_over_holder,
-- took_over_expires_at; null when the key had no expired lease). The cache stack
-- turns it into the `cache:lease-takeover` event, logged as a warning
-- (shared/log/cache_event_log.ts).
--
-- Otherwise unchanged from 20261130100000_acquire_lease_returns_entry.sql. The
-- return type changes, so the function is re-created.
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
  entry_expires_at timestamptz,
  took_over_holder text,
  took_over_expires_at timestamptz
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
  v_previous_holder text;
  v_previous_expires_at timestamptz;
begin
  if p_ttl_ms is null or p_ttl_ms not between 1 and 3600000 then
    raise exception using errcode = '22023',
      message = format('Invalid lease ttl: expected 1 to 3600000 ms: received %s', p_ttl_ms);
  end if;
  -- `previous` is read in the statement's snapshot: the lease row before this upsert.
  with previous as (
    select l.holder, l.expires_at from cache.leases as l where l.key = p_key
  )
  insert into cache.leases as l (key, holder, expires_at)
  values (p_key, p_holder, p_now + p_ttl_ms * interval '1 millisecond')
  on conflict on constraint leases_pkey do update
    set holder = excluded.holder, expires_at = excluded.expires_at
    where l.expires_at <= p_now
  returning true, (select p.holder from previous as p), (select p.expires_at from previous as p)
    into v_acquired, v_previous_holder, v_previous_expires_at;
  -- Only an expired lease of another holder is a takeover (not a released one, gone
  -- from the table, nor a row that was live in the snapshot and released since).
  if v_previous_expires_at > p_now or v_previous_holder = p_holder then
    v_previous_holder := null;
    v_previous_expires_at := null;
  end if;

  if not coalesce(v_acquired, false) then
    return query select false, null::jsonb, null::text, null::text, null::jsonb,
      null::timestamptz, null::timestamptz, null::timestamptz, null::text, null::timestamptz;
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
        v_entry.created_at, v_entry.fresh_until, v_entry.expires_at, v_previous_holder,
        v_previous_expires_at;
      return;
    end if;
  end if;

  -- Versions are read after the lease and before the computation starts: a bump that
  -- commits while the computation runs leaves the entry written under the old version,
  -- so it is born stale (or purged) instead of wrongly current.
  return query
    select true, coalesce(jsonb_object_agg(t.tag, coalesce(v.version, 0)), '{}'::jsonb),
      null::text, null::text, null::jsonb, null::timestamptz, null::timestamptz,
      null::timestamptz, v_previous_holder, v_previous_expires_at
    from (select distinct unnest(p_tags) as tag) as t
    left join cache.tag_versions as v on v.tag = t.tag;
end
$$;
comment on function cache.acquire_lease(text, text, text[], integer, timestamptz) is
  'Cross-instance single-flight: takes the lease on a key unless another holder has an '
  'unexpired one. When acquired, returns the current versions of p_tags, which the entry '
  'must be written under (cache.write). When the lease is won but a fresh entry exists (the '
  'previous holder wrote it meanwhile), gives the lease back and returns that entry '
  '(acquired false, entry_* set) so the caller serves it instead of computing again. When the '
  'lease won replaced another holder''s expired lease (a takeover), took_over_holder and '
  'took_over_expires_at name that holder and when its lease expired; null otherwise.';

revoke all on function cache.acquire_lease(text, text, text[], integer, timestamptz)
  from public, anon, authenticated;
grant execute on function cache.acquire_lease(text, text, text[], integer, timestamptz)
  to service_role;
