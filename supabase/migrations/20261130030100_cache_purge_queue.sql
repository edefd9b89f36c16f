-- =============================================================================
-- Cleanup proportional to what was purged.
--
-- Before: cache.cleanup found purged entries by expanding the tags of every
-- entry and joining them with cache.tag_versions: each pass cost O(entries),
-- whether anything was purged or not. Now a purge records what it made
-- unservable, and the cleanup deletes exactly that:
--
--   cache.pending_purges   one row per tag purged since the last cleanup reached it:
--                          the tag and its purge version (a row trigger on
--                          cache.tag_versions, fired only when a purge version moves,
--                          writes it, so every caller of cache.invalidate_tags is
--                          covered; O(purged tags))
--   cache.cleanup          for each pending purge, deletes the entries of the tag's
--                          scope (every tag is scoped to an organization, a dataset tag
--                          to one dataset: the (organization_id, dataset) index) written
--                          under an older version; then forgets the purge
--
-- Cost: the entries of the purged tag's organization (and dataset), not the table.
-- An entry written after its purge was cleaned up, under a version read before the
-- purge (a computation that was already running), is never served (cache.read says
-- purged) and is deleted with the expired entries once past its expires_at.
-- =============================================================================

create table cache.pending_purges (
  tag text primary key check (length(tag) between 1 and 256),
  -- Entries written under a version of `tag` below this one are purged.
  purged_version bigint not null check (purged_version > 0),
  recorded_at timestamptz not null default now()
);
alter table cache.pending_purges enable row level security;
comment on table cache.pending_purges is
  'Tags purged since cache.cleanup last deleted their entries, with the purge version: '
  'what the next cleanup deletes. Written by a trigger on cache.tag_versions.';

revoke all on cache.pending_purges from public, anon, authenticated;
grant select, insert, update, delete on cache.pending_purges to service_role;
create policy "Service role manages pending cache purges" on cache.pending_purges
  for all to service_role using (true) with check (true);

-- Purges that happened before this migration: their entries may still be stored.
insert into cache.pending_purges (tag, purged_version)
select t.tag, t.purged_version from cache.tag_versions as t where t.purged_version > 0;

-- -----------------------------------------------------------------------------
-- Recording purges
-- -----------------------------------------------------------------------------

create function cache.record_purge()
returns trigger
language plpgsql
volatile
set search_path = ''
as $$
begin
  insert into cache.pending_purges as p (tag, purged_version, recorded_at)
  values (new.tag, new.purged_version, now())
  on conflict on constraint pending_purges_pkey do update
    set purged_version = greatest(p.purged_version, excluded.purged_version),
        recorded_at = excluded.recorded_at;
  return null;
end
$$;
comment on function cache.record_purge() is
  'Row trigger on cache.tag_versions, fired only when a purge version is set or moves (WHEN '
  'clauses: an expire costs nothing more): records the tag in cache.pending_purges for '
  'cache.cleanup. One row per purged tag, whatever the number of entries.';

create trigger tag_versions_record_purge_after_insert
  after insert on cache.tag_versions
  for each row when (new.purged_version > 0)
  execute function cache.record_purge();

create trigger tag_versions_record_purge_after_update
  after update of purged_version on cache.tag_versions
  for each row when (new.purged_version > old.purged_version)
  execute function cache.record_purge();

-- -----------------------------------------------------------------------------
-- Deleting what one purge made unservable
-- -----------------------------------------------------------------------------

create function cache.delete_purged_entries(p_tag text, p_purged_version bigint, p_limit integer)
returns bigint
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_scope text[];
  v_organization_id uuid;
  v_dataset text;
  v_deleted bigint;
begin
  -- org:<uuid>, org:<uuid>:dataset:<name>, org:<uuid>:tag:<name> (shared/cache/tags.ts).
  v_scope := regexp_match(
    p_tag,
    '^org:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?::dataset:([a-z0-9][a-z0-9-]{0,62})$|:|$)');
  v_organization_id := v_scope[1]::uuid;
  v_dataset := v_scope[2];

  -- Planned for these values each time (EXECUTE, a one-shot plan): a cached generic
  -- plan, blind to how few entries one organization or dataset has, may scan the table.
  execute format(
    $sql$
      with doomed as (
        select e.key from cache.entries as e
        where %s (e.tag_versions ->> $1)::bigint < $2
        limit $3
      ), deleted as (
        delete from cache.entries as e using doomed where e.key = doomed.key returning 1
      )
      select count(*) from deleted
    $sql$,
    case
      when v_dataset is not null then 'e.organization_id = $4 and e.dataset = $5 and'
      when v_organization_id is not null then 'e.organization_id = $4 and'
      else ''
    end)
  into v_deleted
  using p_tag, p_purged_version, p_limit, v_organization_id, v_dataset;
  return v_deleted;
end
$$;
comment on function cache.delete_purged_entries(text, bigint, integer) is
  'Deletes up to p_limit entries carrying p_tag under a version below p_purged_version, found '
  'through the tag''s organization (and dataset) index, not by scanning every entry; a tag of '
  'another form (none today) falls back to a scan. Returns how many were deleted.';

-- -----------------------------------------------------------------------------
-- Cleanup
-- -----------------------------------------------------------------------------

create or replace function cache.cleanup(
  p_now timestamptz default now(),
  p_limit integer default 10000,
  p_counter_retention interval default interval '90 days'
)
returns table (expired_entries bigint, purged_entries bigint, expired_leases bigint, old_counters bigint)
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_purge record;
  v_deleted bigint;
begin
  if p_limit is null or p_limit < 1 then
    raise exception using errcode = '22023',
      message = format('Invalid cleanup limit: expected a positive integer: received %s', p_limit);
  end if;

  -- Planned for these values each time (EXECUTE): a cached generic plan could scan the
  -- table for expired entries instead of walking the expires_at index.
  execute $sql$
    with doomed as (
      select e.key from cache.entries as e where e.expires_at <= $1
      order by e.expires_at
      limit $2
    ), deleted as (
      delete from cache.entries as e using doomed where e.key = doomed.key returning 1
    )
    select count(*) from deleted
  $sql$
  into expired_entries
  using p_now, p_limit;

  -- Entries written before a purge of one of their tags can never be served again:
  -- each pending purge deletes its own entries, oldest purge first, and is forgotten
  -- once done (unless it was purged again meanwhile). Skips purges another cleanup
  -- is working on.
  purged_entries := 0;
  for v_purge in
    select p.tag, p.purged_version from cache.pending_purges as p
    order by p.recorded_at, p.tag
    for update skip locked
  loop
    exit when purged_entries >= p_limit;
    v_deleted := cache.delete_purged_entries(
      v_purge.tag, v_purge.purged_version, (p_limit - purged_entries)::integer);
    purged_entries := purged_entries + v_deleted;
    if purged_entries < p_limit then
      delete from cache.pending_purges as p
      where p.tag = v_purge.tag and p.purged_version = v_purge.purged_version;
    end if;
  end loop;

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
  'Deletes up to p_limit expired entries and up to p_limit purged ones (those recorded in '
  'cache.pending_purges: cost proportional to what was purged, not to the table), expired '
  'leases and counters older than p_counter_retention. Run hourly by pg_cron through '
  'cache_admin.run_scheduled_cleanup (20261121040200_cache_cleanup_hourly.sql).';

revoke all on function cache.record_purge() from public, anon, authenticated;
grant execute on function cache.record_purge() to service_role;
revoke all on function cache.delete_purged_entries(text, bigint, integer)
  from public, anon, authenticated;
grant execute on function cache.delete_purged_entries(text, bigint, integer) to service_role;
