-- =============================================================================
-- cache.entry_states: what an L2 hit reads, as a plain select by primary key.
--
-- Before: every L2 read called cache.read (PL/pgSQL with SET search_path and
-- three parameters). Measured on the local stack, interleaved call by call on one
-- connection (postgres.js, prepared): server execution 41-51 µs for cache.read
-- against 6-8 µs for a raw primary-key select and 13-14 µs for this view by key,
-- and 1.42-1.78x the raw select end to end against 1.18-1.28x for this view. The
-- function call (return query, the SET) and each extra bound parameter (a
-- timestamptz about 15 µs, a uuid or text about 5 µs on the client) made the
-- difference, not the tag check.
--
-- The view gives each entry with the two tag facts cache.read derives (a tag
-- expired or purged after the write), so the store reads by key alone: the key
-- embeds the organization (cache.entries checks it), and the store compares that
-- prefix with the caller's organization before reading. The time part of the
-- status (fresh_until, expires_at against the cache's clock) is decided by the
-- caller, as L1 already does (shared/cache/entry.ts timeState); a test keeps it
-- equal to cache.read's status. cache.read stays, for SQL callers.
--
-- security_invoker: read with the caller's rights and RLS (service_role only).
-- =============================================================================

create view cache.entry_states
with (security_invoker = true)
as
select
  e.key,
  e.organization_id,
  e.body,
  e.etag,
  e.tag_versions,
  e.created_at,
  e.fresh_until,
  e.expires_at,
  v.expired as tags_expired,
  v.purged as tags_purged
from cache.entries as e
cross join lateral (
  -- One index scan of cache.tag_versions for the entry's tags (cache.read's check).
  select
    coalesce(bool_or(t.version > (e.tag_versions ->> t.tag)::bigint), false) as expired,
    coalesce(bool_or(t.purged_version > (e.tag_versions ->> t.tag)::bigint), false) as purged
  from cache.tag_versions as t
  where t.tag = any (e.tag_names)
) as v;
comment on view cache.entry_states is
  'Each cache entry with tags_expired (a tag of the entry was expired after the write: '
  'stale) and tags_purged (a tag was purged after the write: never servable). Read by key '
  '(one primary-key lookup, one index scan of the tags); the caller applies fresh_until and '
  'expires_at with its clock, as cache.read does with p_now.';

revoke all on cache.entry_states from public, anon, authenticated;
grant select on cache.entry_states to service_role;
