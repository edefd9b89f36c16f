-- =============================================================================
-- Cache storage: the L2 tier of Nightshift's cache (schema `cache`).
--
--   cache.entries       serialized responses with their ETag, the tag versions they
--                       were written under and their freshness window (UNLOGGED:
--                       a crash empties the cache; a cache may be lost, never wrong)
--   cache.tag_versions  one row per tag that was ever invalidated: its version and
--                       the version of its last purge (logged: losing it would make
--                       invalidated entries look current again)
--   cache.leases        cross-instance single-flight: who computes a key right now
--   cache.counters      hits / stale hits / misses per organization, dataset and hour
--
-- Only the service side touches this schema: anon and authenticated have no
-- privilege on it at all, and RLS is enabled on every table as a second guard.
-- The callable surface is in 20261121020100_cache_functions.sql.
-- =============================================================================

create schema if not exists cache;
comment on schema cache is
  'Nightshift L2 cache: entries, tag versions, leases and hit counters. Service side only.';

revoke all on schema cache from public;
revoke all on schema cache from anon, authenticated;
grant usage on schema cache to service_role;

-- -----------------------------------------------------------------------------
-- Tag versions
-- -----------------------------------------------------------------------------

create table cache.tag_versions (
  tag text primary key check (length(tag) between 1 and 256),
  -- Bumped by every invalidation (`expire` or `purge`). A tag without a row is at version 0.
  version bigint not null default 0 check (version >= 0),
  -- The version the tag had right after its last `purge`; entries written under an
  -- older version must never be served again.
  purged_version bigint not null default 0 check (purged_version between 0 and version),
  -- Transaction that last changed the row: isolates sync their L1 tag snapshot from it
  -- (see cache.tag_changes).
  changed_xid xid8 not null default pg_current_xact_id(),
  changed_at timestamptz not null default now()
);
alter table cache.tag_versions enable row level security;
create index tag_versions_changed_xid_idx on cache.tag_versions (changed_xid);
comment on table cache.tag_versions is
  'Version of every invalidated tag. Invalidation bumps one row per tag, never touches entries. '
  'Rows are never deleted: resetting a version to 0 would revive invalidated entries.';

-- -----------------------------------------------------------------------------
-- Entries
-- -----------------------------------------------------------------------------

create unlogged table cache.entries (
  -- `<organization_id>:<dataset>:<canonical params>` (shared/cache/cache_key.ts).
  key text primary key check (length(key) <= 1024),
  organization_id uuid not null,
  dataset text not null check (dataset ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  -- The serialized response, sent as is on a hit (no re-serialization).
  body text not null,
  -- Strong ETag of `body`, quoted: "…".
  etag text not null check (etag ~ '^"[!#-~]+"$'),
  -- Every tag of the entry with the version it was written under: {"tag": version}.
  tag_versions jsonb not null,
  created_at timestamptz not null,
  fresh_until timestamptz not null,
  expires_at timestamptz not null,
  hit_count bigint not null default 0 check (hit_count >= 0),
  last_hit_at timestamptz,
  -- Tenant safety in depth: a key always embeds its own organization and dataset.
  constraint entries_key_matches_owner
    check (starts_with(key, organization_id::text || ':' || dataset || ':')),
  -- Every entry carries its organization tag, so an organization-wide purge always reaches it.
  constraint entries_tagged_with_organization
    check (jsonb_typeof(tag_versions) = 'object' and tag_versions ? ('org:' || organization_id::text)),
  constraint entries_window_ordered check (created_at <= fresh_until and fresh_until <= expires_at)
) with (fillfactor = 90);
alter table cache.entries enable row level security;
create index entries_expires_at_idx on cache.entries (expires_at);
create index entries_organization_dataset_idx on cache.entries (organization_id, dataset);
comment on table cache.entries is
  'Cached responses (UNLOGGED). Valid while the versions in tag_versions are current; see cache.read.';

-- -----------------------------------------------------------------------------
-- Leases (cross-instance single-flight)
-- -----------------------------------------------------------------------------

create unlogged table cache.leases (
  key text primary key check (length(key) <= 1024),
  holder text not null check (length(holder) between 1 and 200),
  expires_at timestamptz not null
);
alter table cache.leases enable row level security;
comment on table cache.leases is
  'Who is computing a cache key right now; a lease past expires_at may be taken over.';

-- -----------------------------------------------------------------------------
-- Counters
-- -----------------------------------------------------------------------------

create table cache.counters (
  organization_id uuid not null,
  dataset text not null,
  bucket_start timestamptz not null,
  hits bigint not null default 0 check (hits >= 0),
  stale_hits bigint not null default 0 check (stale_hits >= 0),
  misses bigint not null default 0 check (misses >= 0),
  -- Computations that failed, and read latency histograms of fresh hits, stale hits
  -- and misses: reads per bucket, bucket i holding reads of at most bound i ms (and
  -- more than bound i-1) of {1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000,
  -- 10000}, bucket 14 the slower ones (READ_LATENCY_BOUNDS_MS in
  -- shared/cache/latency_histogram.ts).
  compute_failures bigint not null default 0
    constraint counters_compute_failures_non_negative check (compute_failures >= 0),
  hit_latency_ms bigint[] not null default array_fill(0::bigint, array[14])
    constraint counters_hit_latency_shape
      check (cardinality(hit_latency_ms) = 14 and 0 <= all (hit_latency_ms)),
  stale_latency_ms bigint[] not null default array_fill(0::bigint, array[14])
    constraint counters_stale_latency_shape
      check (cardinality(stale_latency_ms) = 14 and 0 <= all (stale_latency_ms)),
  miss_latency_ms bigint[] not null default array_fill(0::bigint, array[14])
    constraint counters_miss_latency_shape
      check (cardinality(miss_latency_ms) = 14 and 0 <= all (miss_latency_ms)),
  primary key (organization_id, dataset, bucket_start)
);
alter table cache.counters enable row level security;
comment on table cache.counters is
  'Hits, stale hits, misses, compute failures and read latency histograms per organization, '
  'dataset and hour, flushed in batches '
  'by cache.record_hits (reads never write one row each).';
comment on column cache.counters.compute_failures is
  'Computations of the hour that failed: hard misses answered with an error and background '
  'refreshes that failed (errors of the request itself, such as a revoked membership, excluded).';
comment on column cache.counters.hit_latency_ms is
  'Latency histogram of the hour''s fresh hits: reads per bucket, bounds '
  '{1,2,5,10,25,50,100,250,500,1000,2500,5000,10000} ms, then slower.';
comment on column cache.counters.stale_latency_ms is
  'Latency histogram of the hour''s stale hits (same buckets as hit_latency_ms).';
comment on column cache.counters.miss_latency_ms is
  'Latency histogram of the hour''s misses (same buckets as hit_latency_ms).';

-- -----------------------------------------------------------------------------
-- Privileges and policies: service_role only
-- -----------------------------------------------------------------------------

revoke all on all tables in schema cache from public, anon, authenticated;
grant select, insert, update, delete on all tables in schema cache to service_role;

create policy "Service role manages cache tag versions" on cache.tag_versions
  for all to service_role using (true) with check (true);
create policy "Service role manages cache entries" on cache.entries
  for all to service_role using (true) with check (true);
create policy "Service role manages cache leases" on cache.leases
  for all to service_role using (true) with check (true);
create policy "Service role manages cache counters" on cache.counters
  for all to service_role using (true) with check (true);
