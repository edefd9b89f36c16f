-- =============================================================================
-- Base-table writes, derived from the dataset registry: one statement-level
-- trigger function for every table a dataset reads (analytics.datasets.source_tables)
-- replaces the live-invalidation triggers (which expired a fixed list of live
-- datasets per table) and the dirty-marker triggers (a fixed list of tables).
--
-- Per statement, for each organization present in its transition rows:
--   * if a nightly dataset reads the table: stamp analytics.organization_state
--     .last_changed_at (the organization is dirty for the next nightly run);
--   * if live datasets read the table: cache.invalidate(organization, those
--     datasets, expire, cause write, details {table, operation}), which bumps
--     their tags, audits and broadcasts ONE notice for the statement and
--     organization, delivered only if the transaction commits.
-- A write to a table no live dataset reads expires nothing (invoice_lines does
-- not touch location-data or user-preferences).
--
-- Registering a dataset that reads a new table installs the triggers on it
-- (statement trigger on analytics.datasets). Locks, in the one order of
-- 20261130010200_cache_invalidate_api.sql: the organizations' invalidation
-- counters, then their state rows, then tag versions (organization order each).
-- =============================================================================

-- -----------------------------------------------------------------------------
-- The old per-concern triggers and their functions
-- -----------------------------------------------------------------------------

do $$
declare
  base_table text;
  operation text;
begin
  foreach base_table in array array['suppliers', 'locations', 'products', 'invoices',
                                    'invoice_lines', 'user_preferences'] loop
    foreach operation in array array['insert', 'update', 'delete'] loop
      execute format('drop trigger if exists %I on public.%I',
        'cache_expire_live_datasets_after_' || operation, base_table);
      execute format('drop trigger if exists %I on public.%I',
        'analytics_dirty_marker_after_' || operation, base_table);
    end loop;
  end loop;
end
$$;
drop function private.expire_live_datasets();
drop function private.mark_organizations_changed();

-- -----------------------------------------------------------------------------
-- The trigger function
-- -----------------------------------------------------------------------------

-- Security definer: writers (organization admins, members writing their own
-- preferences) have no privilege on schema cache or on refresh state. It acts
-- only on organizations present in the statement's own transition rows.
create function private.on_source_table_write()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  touched_organizations uuid[];
  touched_organization uuid;
  live_datasets text[];
  read_by_nightly boolean;
begin
  -- Only the branch of this statement's event is planned, so each trigger
  -- references just the transition tables it declares.
  if tg_op = 'INSERT' then
    select array_agg(distinct organization_id) into touched_organizations from new_rows;
  elsif tg_op = 'UPDATE' then
    select array_agg(distinct changed.organization_id) into touched_organizations
    from (select organization_id from old_rows
          union all
          select organization_id from new_rows) as changed;
  else
    select array_agg(distinct organization_id) into touched_organizations from old_rows;
  end if;
  -- Rows deleted together with their organization leave nothing to mark or tell.
  select array_agg(organization.id order by organization.id)
  into touched_organizations
  from public.organizations as organization
  where organization.id = any (touched_organizations);
  if touched_organizations is null then
    return null;
  end if;

  select array_agg(dataset.name order by dataset.position) filter (where dataset.source = 'live'),
         coalesce(bool_or(dataset.source = 'nightly'), false)
  into live_datasets, read_by_nightly
  from analytics.datasets as dataset
  where tg_table_name = any (dataset.source_tables);

  if not read_by_nightly and live_datasets is null then
    return null;
  end if;
  perform cache.lock_invalidations(touched_organizations);

  -- In organization order, so concurrent statements lock state rows in one order;
  -- the timestamp is taken once the row lock is held (see analytics.rebuild_organization).
  if read_by_nightly then
    insert into analytics.organization_state as state (organization_id, last_changed_at)
    select organization_id, clock_timestamp()
    from unnest(touched_organizations) as touched (organization_id)
    order by organization_id
    on conflict (organization_id) do update set last_changed_at = clock_timestamp();
  end if;

  if live_datasets is not null then
    foreach touched_organization in array touched_organizations loop
      perform cache.invalidate(
        touched_organization, live_datasets, null, 'expire', 'write',
        jsonb_build_object('table', tg_table_name, 'operation', lower(tg_op))
      );
    end loop;
  end if;
  return null;
end
$$;
comment on function private.on_source_table_write() is
  'Statement trigger of every dataset source table: marks the touched organizations dirty when a '
  'nightly dataset reads the table, and expires (with one notice per organization, through '
  'cache.invalidate) the live datasets that read it, as analytics.datasets declares.';
revoke execute on function private.on_source_table_write() from public;

-- -----------------------------------------------------------------------------
-- Installing the triggers from the registry
-- -----------------------------------------------------------------------------

create function private.install_source_table_triggers()
returns integer
language plpgsql
set search_path = ''
as $$
declare
  source_table text;
  operation text;
  installed integer := 0;
begin
  for source_table in
    select distinct listed.name
    from analytics.datasets as dataset
    cross join unnest(dataset.source_tables) as listed (name)
    order by listed.name
  loop
    foreach operation in array array['insert', 'update', 'delete'] loop
      continue when exists (
        select from pg_catalog.pg_trigger as existing
        where existing.tgrelid = format('public.%I', source_table)::regclass
          and existing.tgname = 'dataset_source_write_after_' || operation
      );
      execute format(
        'create trigger %I after %s on public.%I referencing %s for each statement '
        'execute function private.on_source_table_write()',
        'dataset_source_write_after_' || operation, operation, source_table,
        case operation
          when 'insert' then 'new table as new_rows'
          when 'update' then 'old table as old_rows new table as new_rows'
          else 'old table as old_rows'
        end);
      installed := installed + 1;
    end loop;
  end loop;
  return installed;
end
$$;
comment on function private.install_source_table_triggers() is
  'Creates the insert, update and delete statement triggers (private.on_source_table_write) on '
  'every source table of analytics.datasets that lacks them. Returns the triggers created.';
revoke execute on function private.install_source_table_triggers() from public;

create function private.sync_source_table_triggers()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  perform private.install_source_table_triggers();
  return null;
end
$$;
comment on function private.sync_source_table_triggers() is
  'Statement trigger of analytics.datasets: installs the write triggers on newly declared '
  'source tables.';
revoke execute on function private.sync_source_table_triggers() from public;

create trigger datasets_sync_source_table_triggers
  after insert or update on analytics.datasets
  for each statement execute function private.sync_source_table_triggers();

select private.install_source_table_triggers();
