-- =============================================================================
-- cache.read_or_lease: a read that takes the computation lease when it will compute.
--
-- Before: an L2 read that found no servable fresh entry was followed by a second
-- statement, cache.acquire_lease, before computing (a miss, or the refresh of a
-- stale entry): read, lease, compute, write. In the Zipf benchmark that lease was
-- about one statement in six of the cached function's. Now the read asks for the
-- lease itself when the entry is missing, stale, purged or expired, and answers the
-- read and the lease in one row. A fresh hit takes no lease and writes nothing, so
-- the L2 hit costs what cache.read costs.
--
-- The lease keeps acquire_lease's guarantees: it is won only when no other holder
-- has an unexpired one; once won, the key is read again (a new snapshot: the
-- previous holder's write and release commit together in cache.write), and a fresh
-- entry found then is returned with the lease given back; the tag versions the
-- entry must be written under are read after the lease and before computing.
-- =============================================================================

create function cache.read_or_lease(
  p_key text,
  p_organization_id uuid,
  p_now timestamptz,
  p_holder text,
  p_tags text[],
  p_ttl_ms integer
)
returns table (
  body text,
  etag text,
  tag_versions jsonb,
  created_at timestamptz,
  fresh_until timestamptz,
  expires_at timestamptz,
  status text,
  tags_expired boolean,
  lease_acquired boolean,
  lease_tag_versions jsonb,
  took_over_holder text,
  took_over_expires_at timestamptz
)
language plpgsql
volatile
rows 1
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_entry record;
  v_found boolean;
  v_acquired boolean := false;
  v_previous_holder text;
  v_previous_expires_at timestamptz;
begin
  if p_holder is null or p_ttl_ms is null or p_ttl_ms not between 1 and 3600000 then
    raise exception using errcode = '22023',
      message = format('Invalid lease: expected a holder and a ttl of 1 to 3600000 ms: '
        'received holder %s, ttl %s', coalesce(p_holder, 'null'), p_ttl_ms);
  end if;
  -- A lease is taken on the key named: it must be one of the organization named.
  if not starts_with(p_key, p_organization_id::text || ':') then
    raise exception using errcode = '22023',
      message = format('Invalid key: expected it to start with %s: received %s',
        p_organization_id, left(p_key, 120));
  end if;
  -- The hit: cache.read's query inlined (a nested PL/pgSQL call cost about 15 µs),
  -- one statement, nothing written.
  return query
    select e.body, e.etag, e.tag_versions, e.created_at, e.fresh_until, e.expires_at,
      'fresh'::text, false, false, null::jsonb, null::text, null::timestamptz
    from cache.entries as e
    cross join lateral (
      select coalesce(bool_or(t.version > (e.tag_versions ->> t.tag)::bigint), false) as expired
      from cache.tag_versions as t
      where t.tag = any (e.tag_names)
    ) as v
    where e.key = p_key
      and e.organization_id = p_organization_id
      and p_now < e.fresh_until
      and not v.expired;
  if found then
    return;
  end if;

  -- Not fresh (an expired tag implies nothing about purges, so cache.read decides).
  loop
    select r.body, r.etag, r.tag_versions, r.created_at, r.fresh_until, r.expires_at,
           r.status, r.tags_expired
      into v_entry
      from cache.read(p_key, p_organization_id, p_now) as r;
    v_found := found;
    if v_found and v_entry.status = 'fresh' then
      -- Written meanwhile by the previous holder: serve it, give the lease back.
      if v_acquired then
        delete from cache.leases as l where l.key = p_key and l.holder = p_holder;
      end if;
      return query select v_entry.body, v_entry.etag, v_entry.tag_versions, v_entry.created_at,
        v_entry.fresh_until, v_entry.expires_at, v_entry.status, v_entry.tags_expired,
        false, null::jsonb, v_previous_holder, v_previous_expires_at;
      return;
    end if;
    exit when v_acquired;
    -- As cache.acquire_lease (20261201040100): `previous` is the lease row before this
    -- upsert, in the statement's snapshot; only another holder's expired lease is a
    -- takeover (reported: that holder crashed or computed for longer than its lease).
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
    if v_previous_expires_at > p_now or v_previous_holder = p_holder then
      v_previous_holder := null;
      v_previous_expires_at := null;
    end if;
    -- Another holder computes: answer the read as it was.
    exit when not coalesce(v_acquired, false);
  end loop;

  -- A purged or expired entry is not servable: no body to send.
  return query
    select
      case when v_entry.status = 'stale' then v_entry.body end,
      case when v_entry.status = 'stale' then v_entry.etag end,
      v_entry.tag_versions, v_entry.created_at,
      v_entry.fresh_until, v_entry.expires_at, v_entry.status, v_entry.tags_expired,
      coalesce(v_acquired, false),
      case when v_acquired then (
        select coalesce(jsonb_object_agg(t.tag, coalesce(v.version, 0)), '{}'::jsonb)
        from (select distinct unnest(p_tags) as tag) as t
        left join cache.tag_versions as v on v.tag = t.tag
      ) end,
      v_previous_holder,
      v_previous_expires_at;
end
$$;
comment on function cache.read_or_lease(text, uuid, timestamptz, text, text[], integer) is
  'cache.read, and when the entry is not fresh (missing: status null; stale, purged or '
  'expired) also cache.acquire_lease''s lease for p_holder in the same statement: '
  'lease_acquired true with lease_tag_versions (the versions of p_tags to write the entry '
  'under), or false while another holder has an unexpired lease. A lease won while a fresh '
  'entry appeared is given back and that entry returned. Always one row. A fresh entry '
  'takes no lease and writes nothing. took_over_*: another holder''s expired lease that '
  'this one replaced, as cache.acquire_lease reports it. 22023 on a missing holder or a ttl '
  'outside 1..3600000 ms, or on a key that does not start with p_organization_id.';

revoke all on function cache.read_or_lease(text, uuid, timestamptz, text, text[], integer)
  from public, anon, authenticated;
grant execute on function cache.read_or_lease(text, uuid, timestamptz, text, text[], integer)
  to service_role;
