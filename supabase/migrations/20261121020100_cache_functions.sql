-- =============================================================================
-- Cache SQL API: the only way the service side reads and writes schema `cache`.
--
--   cache.organization_tag / cache.dataset_tag   tag names shared with TypeScript
--   cache.read            entry + status: fresh | stale | purged | expired
--   cache.acquire_lease   cross-instance single-flight + tag versions to write under
--   cache.release_lease   gives a lease back after a failed computation
--   cache.write           stores a computed entry (and releases its lease)
--   cache.invalidate_tags / cache.invalidate_datasets   O(tags) version bumps
--   cache.tag_changes     tag changes since a watermark, for L1 snapshots
--   cache.record_hits     batched hit / miss counting
--   cache.cleanup         deletes expired and purged entries, stale leases, old counters
--
-- Times come from the caller (`p_now`, `p_created_at`…) so the TypeScript clock is
-- the single source of time and tests can use fake time; they default to now().
-- Every function runs with `search_path = ''` as its invoker; EXECUTE is revoked
-- from public and granted to service_role only.
-- =============================================================================

-- -----------------------------------------------------------------------------
-- Tag names
-- -----------------------------------------------------------------------------

create function cache.organization_tag(p_organization_id uuid)
returns text
language sql
immutable
set search_path = ''
as $$
  select 'org:' || p_organization_id::text
$$;
comment on function cache.organization_tag(uuid) is
  'Tag carried by every entry of an organization: org:<id>. Same as organizationTag() in shared/cache/tags.ts.';

create function cache.dataset_tag(p_organization_id uuid, p_dataset text)
returns text
language sql
immutable
set search_path = ''
as $$
  select 'org:' || p_organization_id::text || ':dataset:' || p_dataset
$$;
comment on function cache.dataset_tag(uuid, text) is
  'Tag carried by every entry of one dataset of an organization: org:<id>:dataset:<name>. '
  'Same as datasetTag() in shared/cache/tags.ts; base-table triggers bump it.';

-- -----------------------------------------------------------------------------
-- Read
-- -----------------------------------------------------------------------------

create function cache.read(p_key text, p_organization_id uuid, p_now timestamptz default now())
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
    -- One primary-key lookup per tag of the entry (a handful), never a scan
    -- of cache.tag_versions, whose rows are kept forever.
    select
      coalesce(bool_or(current_tag.version > (w.version)::bigint), false) as expired,
      coalesce(bool_or(current_tag.purged_version > (w.version)::bigint), false) as purged
    from jsonb_each(e.tag_versions) as w (tag, version)
    cross join lateral (
      select t.version, t.purged_version
      from cache.tag_versions as t
      where t.tag = w.tag
      -- A fence: flattened into a join, jsonb_each's 100-row estimate makes the
      -- planner hash the whole tag table instead of looking tags up by key.
      offset 0
    ) as current_tag
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
  'null unless the entry is servable. Never writes: hits are counted by cache.record_hits.';

-- -----------------------------------------------------------------------------
-- Leases and writes
-- -----------------------------------------------------------------------------

create function cache.acquire_lease(
  p_key text,
  p_holder text,
  p_tags text[],
  p_ttl_ms integer,
  p_now timestamptz default now()
)
returns table (acquired boolean, tag_versions jsonb)
language plpgsql
volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_acquired boolean := false;
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
    return query select false, null::jsonb;
    return;
  end if;
  -- Versions are read after the lease and before the computation starts: a bump that
  -- commits while the computation runs leaves the entry written under the old version,
  -- so it is born stale (or purged) instead of wrongly current.
  return query
    select true, coalesce(jsonb_object_agg(t.tag, coalesce(v.version, 0)), '{}'::jsonb)
    from (select distinct unnest(p_tags) as tag) as t
    left join cache.tag_versions as v on v.tag = t.tag;
end
$$;
comment on function cache.acquire_lease(text, text, text[], integer, timestamptz) is
  'Cross-instance single-flight: takes the lease on a key unless another holder has an '
  'unexpired one. When acquired, returns the current versions of p_tags, which the entry '
  'must be written under (cache.write).';

create function cache.release_lease(p_key text, p_holder text)
returns boolean
language sql
volatile
set search_path = ''
as $$
  with released as (
    delete from cache.leases where key = p_key and holder = p_holder returning 1
  )
  select exists (select from released)
$$;
comment on function cache.release_lease(text, text) is
  'Gives back a lease (after a failed computation) so another instance may compute at once. '
  'Only the holder can release it.';

create function cache.write(
  p_key text,
  p_organization_id uuid,
  p_dataset text,
  p_body text,
  p_etag text,
  p_tag_versions jsonb,
  p_created_at timestamptz,
  p_fresh_until timestamptz,
  p_expires_at timestamptz,
  p_lease_holder text default null
)
returns boolean
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_written integer;
begin
  if jsonb_typeof(p_tag_versions) is distinct from 'object' or exists (
    select from jsonb_each(p_tag_versions) as w (tag, version)
    where jsonb_typeof(w.version) <> 'number' or (w.version)::numeric < 0
  ) then
    raise exception using errcode = '22023',
      message = 'Invalid tag versions: expected an object of tag to non-negative version';
  end if;

  insert into cache.entries as e (
    key, organization_id, dataset, body, etag, tag_versions, created_at, fresh_until, expires_at
  )
  values (
    p_key, p_organization_id, p_dataset, p_body, p_etag, p_tag_versions,
    p_created_at, p_fresh_until, p_expires_at
  )
  on conflict on constraint entries_pkey do update
    set organization_id = excluded.organization_id,
        dataset = excluded.dataset,
        body = excluded.body,
        etag = excluded.etag,
        tag_versions = excluded.tag_versions,
        created_at = excluded.created_at,
        fresh_until = excluded.fresh_until,
        expires_at = excluded.expires_at
    -- A slow writer never replaces a newer computation of the same key.
    where e.created_at <= excluded.created_at;
  get diagnostics v_written = row_count;

  if p_lease_holder is not null then
    delete from cache.leases where key = p_key and holder = p_lease_holder;
  end if;
  return v_written > 0;
end
$$;
comment on function cache.write(text, uuid, text, text, text, jsonb, timestamptz, timestamptz, timestamptz, text) is
  'Stores a computed entry under the tag versions returned by cache.acquire_lease and '
  'releases the lease of p_lease_holder. Returns false when a newer entry already exists. '
  'hit_count and last_hit_at are kept: they count the key, across recomputations.';

-- -----------------------------------------------------------------------------
-- Invalidation: O(tags), never O(entries)
-- -----------------------------------------------------------------------------

create function cache.invalidate_tags(p_tags text[], p_mode text)
returns table (tag text, version bigint, purged_version bigint)
language plpgsql
volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_purge boolean;
begin
  if p_mode is null or p_mode not in ('expire', 'purge') then
    raise exception using errcode = '22023',
      message = format('Invalid invalidation mode: expected expire or purge: received %s',
        coalesce(quote_literal(p_mode), 'null'));
  end if;
  if p_tags is null or array_position(p_tags, null) is not null
    or exists (select from unnest(p_tags) as t (tag) where length(t.tag) not between 1 and 256) then
    raise exception using errcode = '22023',
      message = 'Invalid tags: expected an array of non-empty tags of at most 256 characters';
  end if;
  if cardinality(p_tags) > 10000 then
    raise exception using errcode = '22023',
      message = format('Invalid tags: at most 10000 per call: received %s', cardinality(p_tags));
  end if;
  v_purge := p_mode = 'purge';

  -- Sorted, so concurrent invalidations lock rows in the same order (no deadlock).
  return query
    insert into cache.tag_versions as v (tag, version, purged_version, changed_xid, changed_at)
    select t.tag, 1, case when v_purge then 1 else 0 end, pg_current_xact_id(), now()
    from (select distinct u.tag from unnest(p_tags) as u (tag) order by u.tag) as t
    on conflict on constraint tag_versions_pkey do update
      set version = v.version + 1,
          purged_version = case when v_purge then v.version + 1 else v.purged_version end,
          changed_xid = excluded.changed_xid,
          changed_at = excluded.changed_at
    returning v.tag, v.version, v.purged_version;
end
$$;
comment on function cache.invalidate_tags(text[], text) is
  'Invalidates every entry carrying one of p_tags by bumping each tag''s version: one row '
  'per tag, whatever the number of entries. mode expire: entries stay servable stale until '
  'their expires_at (while being revalidated); mode purge: never served again.';

create function cache.invalidate_datasets(p_organization_id uuid, p_datasets text[], p_mode text)
returns table (tag text, version bigint, purged_version bigint)
language sql
volatile
set search_path = ''
as $$
  select i.tag, i.version, i.purged_version
  from cache.invalidate_tags(
    array(select cache.dataset_tag(p_organization_id, d.dataset)
          from unnest(p_datasets) as d (dataset)),
    p_mode
  ) as i
$$;
comment on function cache.invalidate_datasets(uuid, text[], text) is
  'Invalidates datasets of one organization (their dataset tags), e.g. from a statement-level '
  'trigger on a base table or from cache-admin. See cache.invalidate_tags for the modes.';

create function cache.tag_changes(p_since xid8 default null)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select jsonb_build_object(
    'watermark', pg_snapshot_xmin(pg_current_snapshot())::text,
    'changes', case when p_since is null then '[]'::jsonb else coalesce((
      select jsonb_agg(jsonb_build_object(
        'tag', t.tag, 'version', t.version, 'purged_version', t.purged_version))
      from cache.tag_versions as t
      where t.changed_xid >= p_since
    ), '[]'::jsonb) end
  )
$$;
comment on function cache.tag_changes(xid8) is
  'Tag versions changed by transactions at or after watermark p_since, and the next watermark '
  '(xmin of the current snapshot: every transaction before it has finished, so nothing that '
  'commits later can carry an older id). p_since null: only a first watermark. Lets each '
  'isolate revalidate its whole L1 with one query per interval.';

-- -----------------------------------------------------------------------------
-- Hit counting (batched) and cleanup
-- -----------------------------------------------------------------------------

create function cache.record_hits(
  p_entries jsonb,
  p_counters jsonb,
  p_now timestamptz default now()
)
returns void
language plpgsql
volatile
set search_path = ''
as $$
begin
  if exists (
    select from jsonb_to_recordset(coalesce(p_entries, '[]')) as h (key text, hits bigint)
    where h.key is null or h.hits is null or h.hits < 0
  ) or exists (
    select from jsonb_to_recordset(coalesce(p_counters, '[]'))
      as c (organization_id uuid, dataset text, hits bigint, stale_hits bigint, misses bigint,
            compute_failures bigint, hit_latency_ms bigint[], stale_latency_ms bigint[],
            miss_latency_ms bigint[])
    where c.organization_id is null or c.dataset is null
      or coalesce(c.hits, 0) < 0 or coalesce(c.stale_hits, 0) < 0 or coalesce(c.misses, 0) < 0
      or coalesce(c.compute_failures, 0) < 0
      or exists (
        select from (values (c.hit_latency_ms), (c.stale_latency_ms), (c.miss_latency_ms))
          as l (counts)
        where l.counts is not null and (
          cardinality(l.counts) <> 14 or array_position(l.counts, null) is not null
          or not 0 <= all (l.counts)
        )
      )
  ) then
    raise exception using errcode = '22023',
      message = 'Invalid hit batch: every row needs a key or organization and dataset, counts >= 0 '
        'and latency histograms of 14 counts >= 0';
  end if;

  -- Lock in key order first: concurrent flushes of overlapping keys cannot deadlock.
  perform 1 from cache.entries as e
  where e.key in (select h.key from jsonb_to_recordset(coalesce(p_entries, '[]')) as h (key text))
  order by e.key
  for update;

  update cache.entries as e
  set hit_count = e.hit_count + h.hits,
      last_hit_at = greatest(e.last_hit_at, h.last_hit_at)
  from (
    select r.key, sum(r.hits)::bigint as hits, max(coalesce(r.last_hit_at, p_now)) as last_hit_at
    from jsonb_to_recordset(coalesce(p_entries, '[]')) as r (key text, hits bigint, last_hit_at timestamptz)
    group by r.key
  ) as h
  where e.key = h.key;

  with rows as (
    select r.organization_id, r.dataset,
      coalesce(r.hits, 0) as hits, coalesce(r.stale_hits, 0) as stale_hits,
      coalesce(r.misses, 0) as misses, coalesce(r.compute_failures, 0) as compute_failures,
      coalesce(r.hit_latency_ms, array_fill(0::bigint, array[14])) as hit_latency_ms,
      coalesce(r.stale_latency_ms, array_fill(0::bigint, array[14])) as stale_latency_ms,
      coalesce(r.miss_latency_ms, array_fill(0::bigint, array[14])) as miss_latency_ms
    from jsonb_to_recordset(coalesce(p_counters, '[]'))
      as r (organization_id uuid, dataset text, hits bigint, stale_hits bigint, misses bigint,
            compute_failures bigint, hit_latency_ms bigint[], stale_latency_ms bigint[],
            miss_latency_ms bigint[])
  ), histograms as (
    -- Bucket-wise sums of the histograms of rows with the same organization and dataset.
    select b.organization_id, b.dataset,
      array_agg(b.hit order by b.bucket) as hit_latency_ms,
      array_agg(b.stale order by b.bucket) as stale_latency_ms,
      array_agg(b.miss order by b.bucket) as miss_latency_ms
    from (
      select rows.organization_id, rows.dataset, u.bucket,
        sum(u.hit)::bigint as hit, sum(u.stale)::bigint as stale, sum(u.miss)::bigint as miss
      from rows
      cross join lateral unnest(rows.hit_latency_ms, rows.stale_latency_ms, rows.miss_latency_ms)
        with ordinality as u (hit, stale, miss, bucket)
      group by rows.organization_id, rows.dataset, u.bucket
    ) as b
    group by b.organization_id, b.dataset
  )
  insert into cache.counters as c (
    organization_id, dataset, bucket_start, hits, stale_hits, misses, compute_failures,
    hit_latency_ms, stale_latency_ms, miss_latency_ms
  )
  select t.organization_id, t.dataset, date_trunc('hour', p_now),
    t.hits, t.stale_hits, t.misses, t.compute_failures,
    h.hit_latency_ms, h.stale_latency_ms, h.miss_latency_ms
  from (
    select rows.organization_id, rows.dataset, sum(rows.hits) as hits,
      sum(rows.stale_hits) as stale_hits, sum(rows.misses) as misses,
      sum(rows.compute_failures) as compute_failures
    from rows
    group by rows.organization_id, rows.dataset
  ) as t
  join histograms as h using (organization_id, dataset)
  order by t.organization_id, t.dataset
  on conflict on constraint counters_pkey do update
    set hits = c.hits + excluded.hits,
        stale_hits = c.stale_hits + excluded.stale_hits,
        misses = c.misses + excluded.misses,
        compute_failures = c.compute_failures + excluded.compute_failures,
        hit_latency_ms = array(
          select x.a + x.b
          from unnest(c.hit_latency_ms, excluded.hit_latency_ms) with ordinality as x (a, b, i)
          order by x.i),
        stale_latency_ms = array(
          select x.a + x.b
          from unnest(c.stale_latency_ms, excluded.stale_latency_ms) with ordinality as x (a, b, i)
          order by x.i),
        miss_latency_ms = array(
          select x.a + x.b
          from unnest(c.miss_latency_ms, excluded.miss_latency_ms) with ordinality as x (a, b, i)
          order by x.i);
end
$$;
comment on function cache.record_hits(jsonb, jsonb, timestamptz) is
  'Flushes a batch of hit counts aggregated in an isolate: p_entries [{key, hits, last_hit_at}] '
  'adds to cache.entries.hit_count; p_counters [{organization_id, dataset, hits, stale_hits, '
  'misses, compute_failures?, hit_latency_ms?, stale_latency_ms?, miss_latency_ms?}] adds to the '
  'counters (and latency histograms, 14 counts each) of the hour of p_now. One call per batch, '
  'not per read.';

create function cache.cleanup(
  p_now timestamptz default now(),
  p_limit integer default 10000,
  p_counter_retention interval default interval '90 days'
)
returns table (expired_entries bigint, purged_entries bigint, expired_leases bigint, old_counters bigint)
language plpgsql
volatile
set search_path = ''
as $$
begin
  if p_limit is null or p_limit < 1 then
    raise exception using errcode = '22023',
      message = format('Invalid cleanup limit: expected a positive integer: received %s', p_limit);
  end if;

  with doomed as (
    select e.key from cache.entries as e where e.expires_at <= p_now limit p_limit
  ), deleted as (
    delete from cache.entries as e using doomed where e.key = doomed.key returning 1
  )
  select count(*) into expired_entries from deleted;

  -- Entries written before a purge of one of their tags can never be served again.
  -- This scan is background maintenance; invalidation itself never touches entries.
  with doomed as (
    select e.key from cache.entries as e
    where exists (
      select from jsonb_each(e.tag_versions) as w (tag, version)
      join cache.tag_versions as t on t.tag = w.tag and t.purged_version > (w.version)::bigint
    )
    limit p_limit
  ), deleted as (
    delete from cache.entries as e using doomed where e.key = doomed.key returning 1
  )
  select count(*) into purged_entries from deleted;

  with deleted as (
    delete from cache.leases as l where l.expires_at <= p_now returning 1
  )
  select count(*) into expired_leases from deleted;

  with deleted as (
    delete from cache.counters as c where c.bucket_start < p_now - p_counter_retention returning 1
  )
  select count(*) into old_counters from deleted;

  return next;
end
$$;
comment on function cache.cleanup(timestamptz, integer, interval) is
  'Deletes up to p_limit expired entries and up to p_limit purged ones, expired leases and '
  'counters older than p_counter_retention. Scheduled by pg_cron every 5 minutes.';

-- -----------------------------------------------------------------------------
-- Privileges: service_role only
-- -----------------------------------------------------------------------------

revoke all on all functions in schema cache from public, anon, authenticated;
grant execute on all functions in schema cache to service_role;
