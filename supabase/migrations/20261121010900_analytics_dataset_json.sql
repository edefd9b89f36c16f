-- =============================================================================
-- analytics.dataset_json(dataset, organization, parameters): one entry point
-- for the `datasets` edge function, returning a dataset of one organization as
-- the JSON document it serves. Runs as the caller (security invoker), so RLS
-- applies; a non-member gets insufficient_privilege (42501), an unknown
-- dataset or a bad parameter invalid_parameter_value (22023).
--
-- Nightly datasets take no parameters and read the stored rows:
--   {"dataset", "organization_id", "as_of_date", "rebuilt_at", "rows": [...]}
-- Live datasets are computed now, with optional parameters
--   from, to (YYYY-MM-DD), location_id, supplier_id (uuid),
--   threshold_percent (number, price-alerts only), limit (1..1000):
--   {"dataset", "organization_id", "rows": [...]}
-- Rows never contain organization_id and come in a fixed order, so equal data
-- gives byte-equal documents (stable ETags).
-- =============================================================================

-- -----------------------------------------------------------------------------
-- Nightly datasets
-- -----------------------------------------------------------------------------

create function private.nightly_dataset_rows(dataset text, target_organization_id uuid)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
  dataset_rows jsonb;
begin
  case dataset
    when 'dashboard-metrics' then
      select jsonb_agg(to_jsonb(metrics) - 'organization_id' order by metrics.currency)
      into dataset_rows
      from analytics.dashboard_metrics as metrics
      where metrics.organization_id = target_organization_id;
    when 'product-metrics' then
      select jsonb_agg(
        to_jsonb(metrics) - 'organization_id'
        order by metrics.sku, metrics.product_id, metrics.currency
      )
      into dataset_rows
      from analytics.product_metrics as metrics
      where metrics.organization_id = target_organization_id;
    when 'cogs-analysis' then
      select jsonb_agg(
        to_jsonb(cogs) - 'organization_id' order by cogs.month, cogs.category, cogs.currency
      )
      into dataset_rows
      from analytics.cogs_analysis as cogs
      where cogs.organization_id = target_organization_id;
    when 'supplier-metrics' then
      select jsonb_agg(
        to_jsonb(metrics) - 'organization_id'
        order by metrics.supplier_name, metrics.supplier_id, metrics.currency
      )
      into dataset_rows
      from analytics.supplier_metrics as metrics
      where metrics.organization_id = target_organization_id;
    when 'invoice-analytics' then
      select jsonb_agg(
        to_jsonb(invoices) - 'organization_id'
        order by invoices.month, invoices.status, invoices.currency
      )
      into dataset_rows
      from analytics.invoice_analytics as invoices
      where invoices.organization_id = target_organization_id;
  end case;
  return coalesce(dataset_rows, '[]'::jsonb);
end
$$;
comment on function private.nightly_dataset_rows(text, uuid) is
  'The stored rows of a nightly dataset for one organization, as a JSON array in a fixed order.';

-- -----------------------------------------------------------------------------
-- Parameters
-- -----------------------------------------------------------------------------

create function private.assert_known_parameters(
  dataset text,
  parameters jsonb,
  allowed text[]
)
returns void
language plpgsql
immutable
set search_path = ''
as $$
declare
  unknown text[];
begin
  if jsonb_typeof(parameters) is distinct from 'object' then
    raise exception 'Invalid parameters for dataset %: expected a JSON object', dataset
      using errcode = 'invalid_parameter_value';
  end if;
  select array_agg(name order by name)
  into unknown
  from jsonb_object_keys(parameters) as name
  where name <> all (allowed);
  if unknown is not null then
    raise exception 'Invalid parameters for dataset %: unknown %', dataset,
      array_to_string(unknown, ', ')
      using errcode = 'invalid_parameter_value',
            hint = format('Accepted: %s', coalesce(nullif(array_to_string(allowed, ', '), ''),
                                                   'none'));
  end if;
end
$$;
comment on function private.assert_known_parameters(text, jsonb, text[]) is
  'Raises invalid_parameter_value unless parameters is a JSON object with only allowed keys.';

-- -----------------------------------------------------------------------------
-- Entry point
-- -----------------------------------------------------------------------------

create function analytics.dataset_json(
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

  if dataset in (
    'dashboard-metrics', 'product-metrics', 'cogs-analysis', 'supplier-metrics',
    'invoice-analytics'
  ) then
    perform private.assert_known_parameters(dataset, parameters, '{}');
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

  case dataset
    when 'price-alerts' then
      perform private.assert_known_parameters(dataset, parameters,
        '{from,to,location_id,supplier_id,threshold_percent,limit}');
    when 'supplier-data' then
      perform private.assert_known_parameters(dataset, parameters,
        '{from,to,location_id,supplier_id,limit}');
    when 'location-data' then
      perform private.assert_known_parameters(dataset, parameters, '{from,to,location_id,limit}');
    when 'user-preferences' then
      perform private.assert_known_parameters(dataset, parameters, '{}');
    else
      raise exception 'Unknown dataset: %', dataset
        using errcode = 'invalid_parameter_value',
              hint = 'Known datasets: dashboard-metrics, product-metrics, cogs-analysis, '
                     'supplier-metrics, invoice-analytics, price-alerts, supplier-data, '
                     'location-data, user-preferences.';
  end case;

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
  'function serves. Raises 42501 for non-members and 22023 for unknown datasets or parameters.';

-- -----------------------------------------------------------------------------
-- Grants
-- -----------------------------------------------------------------------------

revoke execute on function
  private.nightly_dataset_rows(text, uuid),
  private.assert_known_parameters(text, jsonb, text[]),
  analytics.dataset_json(text, uuid, jsonb)
  from public;
grant execute on function
  private.nightly_dataset_rows(text, uuid),
  private.assert_known_parameters(text, jsonb, text[]),
  analytics.dataset_json(text, uuid, jsonb)
  to authenticated, service_role;
