-- =============================================================================
-- Rebuild and serving iterate over the dataset registry (analytics.datasets)
-- instead of listing datasets:
--
--   analytics.rebuild_organization   for each nightly dataset, in registry order:
--                                    delete the organization's snapshot rows, insert
--                                    what its compute function returns, count them
--   private.nightly_dataset_rows     a nightly dataset's stored rows, ordered by its
--                                    registered row order
--   analytics.dataset_json           names, parameters and nightly rows from the
--                                    registry; live datasets keep their reader calls
--
-- Dynamic SQL only formats identifiers from the registry, which only its owner
-- writes and whose trigger stores canonical names (regclass, regproc, %I).
-- Behaviour, messages and SQLSTATEs are unchanged.
-- =============================================================================

-- -----------------------------------------------------------------------------
-- Rebuild
-- -----------------------------------------------------------------------------

create or replace function analytics.rebuild_organization(
  target_organization_id uuid,
  as_of date default null
)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
declare
  organization_time_zone text;
  effective_as_of date;
  started_reading_at timestamptz;
  dataset analytics.datasets;
  dataset_rows bigint;
  row_counts jsonb := '{}'::jsonb;
begin
  select organization.time_zone
  into organization_time_zone
  from public.organizations as organization
  where organization.id = target_organization_id;
  if not found then
    raise exception 'Cannot rebuild analytics: organization % does not exist',
      target_organization_id
      using errcode = 'no_data_found';
  end if;

  -- Serialize with other rebuilds and with the dirty-marker triggers (see
  -- 20261121010600_analytics_rebuild.sql for the concurrency notes).
  insert into analytics.organization_state (organization_id)
  values (target_organization_id)
  on conflict (organization_id) do nothing;
  perform 1
  from analytics.organization_state as state
  where state.organization_id = target_organization_id
  for update;

  -- Every statement below reads a snapshot taken after the lock (read committed).
  started_reading_at := clock_timestamp();
  effective_as_of := coalesce(as_of, (now() at time zone organization_time_zone)::date);

  for dataset in
    select * from analytics.datasets as registered
    where registered.source = 'nightly'
    order by registered.position
  loop
    execute format('delete from %s where organization_id = $1', dataset.snapshot_table)
      using target_organization_id;
    execute format('insert into %s select * from %s($1, $2)', dataset.snapshot_table,
      dataset.compute_function)
      using target_organization_id, effective_as_of;
    get diagnostics dataset_rows = row_count;
    row_counts := row_counts || jsonb_build_object(dataset.name, dataset_rows);
  end loop;

  perform private.assert_analytics_consistent(target_organization_id);

  update analytics.organization_state
  set last_rebuilt_at = started_reading_at,
      rebuilt_as_of_date = effective_as_of
  where organization_id = target_organization_id;

  return jsonb_build_object(
    'organization_id', target_organization_id,
    'as_of_date', effective_as_of,
    'rebuilt_at', started_reading_at,
    'rows', row_counts
  );
end
$$;
comment on function analytics.rebuild_organization(uuid, date) is
  'Replaces one organization''s rows of every nightly dataset of analytics.datasets (registry '
  'order), as of a date (default: today in the organization''s time zone), in the caller''s '
  'transaction, then checks the datasets agree. Returns {organization_id, as_of_date, '
  'rebuilt_at, rows: {dataset: row count}}.';

-- -----------------------------------------------------------------------------
-- Serving
-- -----------------------------------------------------------------------------

create or replace function private.nightly_dataset_rows(dataset text, target_organization_id uuid)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
  registered analytics.datasets;
  dataset_rows jsonb;
begin
  select * into registered
  from analytics.datasets as candidate
  where candidate.name = dataset and candidate.source = 'nightly';
  if not found then
    raise exception 'Unknown nightly dataset: %', dataset
      using errcode = 'invalid_parameter_value';
  end if;
  execute format(
    'select jsonb_agg(to_jsonb(snapshot) - ''organization_id'' order by %s) '
    'from %s as snapshot where snapshot.organization_id = $1',
    (select string_agg(format('snapshot.%I', column_name), ', ' order by ordinality)
       from unnest(registered.row_order) with ordinality as o (column_name, ordinality)),
    registered.snapshot_table
  )
  into dataset_rows
  using target_organization_id;
  return coalesce(dataset_rows, '[]'::jsonb);
end
$$;
comment on function private.nightly_dataset_rows(text, uuid) is
  'The stored rows of a nightly dataset for one organization, as a JSON array ordered by the '
  'dataset''s registered row order (without organization_id). Runs as the caller: RLS applies.';

create or replace function analytics.dataset_json(
  dataset text,
  target_organization_id uuid,
  parameters jsonb default '{}'::jsonb
)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
  registered analytics.datasets;
  from_date date;
  to_date date;
  location_id uuid;
  supplier_id uuid;
  threshold_percent numeric;
  max_rows integer;
  state analytics.organization_state;
  dataset_rows jsonb;
begin
  perform private.assert_can_read_organization(target_organization_id);
  parameters := coalesce(parameters, '{}'::jsonb);

  select * into registered from analytics.datasets as candidate where candidate.name = dataset;
  if not found then
    raise exception 'Unknown dataset: %', dataset
      using errcode = 'invalid_parameter_value',
            hint = format('Known datasets: %s.', (
              select string_agg(known.name, ', ' order by known.position)
              from analytics.datasets as known));
  end if;
  perform private.assert_known_parameters(dataset, parameters, registered.parameters);

  if registered.source = 'nightly' then
    select * into state
    from analytics.organization_state
    where organization_id = target_organization_id;
    return jsonb_build_object(
      'dataset', dataset,
      'organization_id', target_organization_id,
      'as_of_date', state.rebuilt_as_of_date,
      'rebuilt_at', state.last_rebuilt_at,
      'rows', private.nightly_dataset_rows(dataset, target_organization_id)
    );
  end if;

  -- Dates as YYYY-MM-DD only: Postgres would also take 'today' or 'infinity'.
  if (parameters ->> 'from') !~ '^\d{4}-\d{2}-\d{2}$'
     or (parameters ->> 'to') !~ '^\d{4}-\d{2}-\d{2}$' then
    raise exception 'Invalid parameters for dataset %: from and to must be dates YYYY-MM-DD',
      dataset
      using errcode = 'invalid_parameter_value';
  end if;

  begin
    from_date := (parameters ->> 'from')::date;
    to_date := (parameters ->> 'to')::date;
    location_id := (parameters ->> 'location_id')::uuid;
    supplier_id := (parameters ->> 'supplier_id')::uuid;
    threshold_percent := (parameters ->> 'threshold_percent')::numeric;
    max_rows := (parameters ->> 'limit')::integer;
  exception
    when invalid_text_representation or invalid_datetime_format or datetime_field_overflow
      or numeric_value_out_of_range then
      raise exception 'Invalid parameters for dataset %: %', dataset, sqlerrm
        using errcode = 'invalid_parameter_value';
  end;

  -- Live datasets: each has a reader function with its own parameters.
  case dataset
    when 'price-alerts' then
      select jsonb_agg(to_jsonb(alert) - 'ordinality' order by alert.ordinality)
      into dataset_rows
      from analytics.price_alerts(
        target_organization_id, from_date, to_date, location_id, supplier_id,
        threshold_percent, coalesce(max_rows, 50)
      ) with ordinality as alert;
    when 'supplier-data' then
      select jsonb_agg(to_jsonb(supplier) - 'ordinality' order by supplier.ordinality)
      into dataset_rows
      from analytics.supplier_data(
        target_organization_id, from_date, to_date, location_id, supplier_id,
        coalesce(max_rows, 100)
      ) with ordinality as supplier;
    when 'location-data' then
      select jsonb_agg(to_jsonb(location) - 'ordinality' order by location.ordinality)
      into dataset_rows
      from analytics.location_data(
        target_organization_id, from_date, to_date, location_id, coalesce(max_rows, 100)
      ) with ordinality as location;
    when 'user-preferences' then
      select jsonb_agg(to_jsonb(preference))
      into dataset_rows
      from analytics.current_user_preferences(target_organization_id) as preference;
    else
      raise exception 'Live dataset % has no reader in analytics.dataset_json', dataset
        using errcode = 'feature_not_supported';
  end case;

  return jsonb_build_object(
    'dataset', dataset,
    'organization_id', target_organization_id,
    'rows', coalesce(dataset_rows, '[]'::jsonb)
  );
end
$$;
comment on function analytics.dataset_json(text, uuid, jsonb) is
  'One organization''s dataset (nightly or live) as the JSON document the datasets edge '
  'function serves; datasets, their parameters and nightly row order come from '
  'analytics.datasets. Raises 42501 for non-members and 22023 for unknown datasets or parameters.';
