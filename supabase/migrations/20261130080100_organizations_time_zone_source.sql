-- =============================================================================
-- A time-zone change expires the live datasets whose default date window
-- depends on it. price-alerts (90 days), supplier-data and location-data (365
-- days) end their default window "today in the organization's time zone"
-- (private.organization_local_date reads public.organizations.time_zone), so
-- after an organization moves zone a cached entry may hold the old window. They
-- now declare public.organizations as a source table, in both registries
-- (shared/datasets/registry.ts, here), and the write triggers are installed on it
-- from the registry like on every other source table.
--
-- public.organizations is the one source table whose organization is its own
-- `id` (not an `organization_id` column), and of its columns the datasets read
-- only time_zone, so for it:
--   * private.check_dataset_registration accepts it as a source table;
--   * private.on_source_table_write counts an update only for the rows whose
--     time_zone changed (a rename, a status change, `set time_zone = time_zone`
--     expire nothing), and an insert or delete not at all (a new organization has
--     nothing cached; a deleted one has nothing left to expire).
-- No nightly dataset declares it (snapshots are computed for the date the
-- nightly run passes), so a zone change marks nothing dirty.
-- =============================================================================

-- -----------------------------------------------------------------------------
-- Registration check: organizations is keyed by its id
-- -----------------------------------------------------------------------------

create or replace function private.check_dataset_registration()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  v_function regprocedure;
  v_missing text;
begin
  -- Lists are kept sorted and without duplicates, so comparisons are plain equality.
  new.parameters := array(select distinct p from unnest(new.parameters) as p order by p);
  new.source_tables := array(select distinct t from unnest(new.source_tables) as t order by t);

  -- Every source table belongs to organizations through organization_id, except
  -- public.organizations itself (its id).
  select string_agg(t.name, ', ')
  into v_missing
  from unnest(new.source_tables) as t (name)
  where t.name <> 'organizations'
    and not exists (
      select from pg_catalog.pg_attribute as a
      where a.attrelid = to_regclass(format('public.%I', t.name))
        and a.attname = 'organization_id' and not a.attisdropped
    );
  if v_missing is not null then
    raise exception 'Cannot register dataset %: source tables must be public tables with '
      'organization_id: %', new.name, v_missing
      using errcode = 'invalid_object_definition';
  end if;

  -- A nightly row missing its snapshot pieces is refused by datasets_nightly_has_snapshot.
  if new.source = 'nightly' and new.snapshot_table is not null
     and new.compute_function is not null then
    v_function := to_regprocedure(new.compute_function || '(uuid, date)');
    if v_function is null or not exists (
      select from pg_catalog.pg_proc as p
      join pg_catalog.pg_class as c on c.oid = new.snapshot_table
      where p.oid = v_function and p.proretset and p.prorettype = c.reltype
    ) then
      raise exception 'Cannot register dataset %: % must be a function (uuid, date) returning '
        'setof %', new.name, new.compute_function, new.snapshot_table
        using errcode = 'invalid_object_definition';
    end if;
    new.compute_function := v_function::oid::regproc::text;

    select string_agg(o.name, ', ')
    into v_missing
    from unnest(array['organization_id'] || new.row_order) as o (name)
    where not exists (
      select from pg_catalog.pg_attribute as a
      where a.attrelid = new.snapshot_table and a.attname = o.name and a.attnum > 0
        and not a.attisdropped
    );
    if v_missing is not null then
      raise exception 'Cannot register dataset %: % has no column %', new.name,
        new.snapshot_table, v_missing
        using errcode = 'invalid_object_definition';
    end if;
  end if;
  return new;
end
$$;
comment on function private.check_dataset_registration() is
  'Row trigger of analytics.datasets: sorts parameters and source tables; refuses a registration '
  'whose source tables are not public tables with organization_id (or public.organizations, '
  'keyed by id), or (nightly) whose compute function is not (uuid, date) returning '
  'setof its snapshot table or whose row order names missing columns; stores the compute '
  'function''s canonical name.';
revoke execute on function private.check_dataset_registration() from public;

-- -----------------------------------------------------------------------------
-- Write trigger: an organization's time-zone change
-- -----------------------------------------------------------------------------

-- Security definer: writers (organization admins, members writing their own
-- preferences) have no privilege on schema cache or on refresh state. It acts
-- only on organizations present in the statement's own transition rows.
create or replace function private.on_source_table_write()
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
  -- references just the transition tables (and columns) it has.
  if tg_table_name = 'organizations' then
    -- Datasets read only its time_zone; a new organization has nothing cached.
    if tg_op <> 'UPDATE' then
      return null;
    end if;
    select array_agg(distinct new_row.id) into touched_organizations
    from new_rows as new_row
    join old_rows as old_row on old_row.id = new_row.id
    where new_row.time_zone is distinct from old_row.time_zone;
  elsif tg_op = 'INSERT' then
    select array_agg(distinct organization_id) into touched_organizations from new_rows;
  elsif tg_op = 'UPDATE' then
    select array_agg(distinct changed.organization_id) into touched_organizations
    from (select organization_id from old_rows
          union all
          select organization_id from new_rows) as changed;
  else
    select array_agg(distinct organization_id) into touched_organizations from old_rows;
  end if;
  if touched_organizations is null then
    return null;
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
  'cache.invalidate) the live datasets that read it, as analytics.datasets declares. For '
  'public.organizations only updates changing time_zone count.';
revoke execute on function private.on_source_table_write() from public;

-- -----------------------------------------------------------------------------
-- The registrations (the statement trigger installs the write triggers on organizations)
-- -----------------------------------------------------------------------------

update analytics.datasets
set source_tables = source_tables || '{organizations}'
where name in ('price-alerts', 'supplier-data', 'location-data');
