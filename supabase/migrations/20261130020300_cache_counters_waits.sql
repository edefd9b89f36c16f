-- =============================================================================
-- Miss accounting (issue 13, item 10): a read that waited for another read's
-- computation (single-flight in the isolate, or another instance's L2 lease) is
-- a wait, not a miss. cache.counters.waits counts them; misses count only the
-- reads that ran the computation, so 300 concurrent cold reads of one key are
-- 1 miss and 299 waits however they are spread over isolates. Definitions of
-- the hit rate and the database work saved: README, "Metrics".
-- =============================================================================

alter table cache.counters
  add column waits bigint not null default 0 constraint counters_waits_non_negative check (waits >= 0);
comment on column cache.counters.waits is
  'Reads of the hour answered by another read''s computation (joined in the isolate or waited '
  'for the lease holder): no computation of their own, not served from a stored entry either.';

create or replace function cache.record_hits(
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
            waits bigint, compute_failures bigint, hit_latency_ms bigint[],
            stale_latency_ms bigint[], miss_latency_ms bigint[])
    where c.organization_id is null or c.dataset is null
      or coalesce(c.hits, 0) < 0 or coalesce(c.stale_hits, 0) < 0 or coalesce(c.misses, 0) < 0
      or coalesce(c.waits, 0) < 0
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
      coalesce(r.misses, 0) as misses, coalesce(r.waits, 0) as waits,
      coalesce(r.compute_failures, 0) as compute_failures,
      coalesce(r.hit_latency_ms, array_fill(0::bigint, array[14])) as hit_latency_ms,
      coalesce(r.stale_latency_ms, array_fill(0::bigint, array[14])) as stale_latency_ms,
      coalesce(r.miss_latency_ms, array_fill(0::bigint, array[14])) as miss_latency_ms
    from jsonb_to_recordset(coalesce(p_counters, '[]'))
      as r (organization_id uuid, dataset text, hits bigint, stale_hits bigint, misses bigint,
            waits bigint, compute_failures bigint, hit_latency_ms bigint[],
            stale_latency_ms bigint[], miss_latency_ms bigint[])
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
    organization_id, dataset, bucket_start, hits, stale_hits, misses, waits, compute_failures,
    hit_latency_ms, stale_latency_ms, miss_latency_ms
  )
  select t.organization_id, t.dataset, date_trunc('hour', p_now),
    t.hits, t.stale_hits, t.misses, t.waits, t.compute_failures,
    h.hit_latency_ms, h.stale_latency_ms, h.miss_latency_ms
  from (
    select rows.organization_id, rows.dataset, sum(rows.hits) as hits,
      sum(rows.stale_hits) as stale_hits, sum(rows.misses) as misses, sum(rows.waits) as waits,
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
        waits = c.waits + excluded.waits,
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
  'misses, waits?, compute_failures?, hit_latency_ms?, stale_latency_ms?, miss_latency_ms?}] adds '
  'to the counters (and latency histograms, 14 counts each) of the hour of p_now. misses are '
  'reads that ran the computation, waits reads answered by another read''s. One call per batch.';
