-- =============================================================================
-- Per-organization rebuild of the nightly datasets.
--
-- analytics.rebuild_organization(org) replaces ONE organization's rows of all
-- five datasets inside the caller's transaction: delete that organization's
-- rows, insert what the compute functions return, check that the datasets
-- agree with each other, record the rebuild. Whole-table refreshes never
-- happen, so the cost of a run grows with the organizations rebuilt.
--
-- Concurrency:
--   * Readers never block and never see half-built data: plain MVCC, no
--     TRUNCATE or locks on the dataset tables; they see the old rows until
--     the rebuilding transaction commits, then all the new ones.
--   * The rebuild first locks the organization's state row. Concurrent
--     rebuilds of one organization therefore run one after the other, and a
--     write to the organization's base tables (whose dirty-marker trigger
--     updates the same row) either committed before the rebuild started
--     reading — so the rebuild sees it — or stamps last_changed_at after the
--     rebuild's last_rebuilt_at — so the organization stays dirty.
--     The lock is held for the rebuild only (milliseconds per organization).
--   * If anything fails the caller's transaction rolls back and the
--     organization keeps its previous rows and state.
-- =============================================================================

-- -----------------------------------------------------------------------------
-- Validation
-- -----------------------------------------------------------------------------

create function private.assert_analytics_consistent(target_organization_id uuid)
returns void
language plpgsql
stable
set search_path = ''
as $$
declare
  disagreement record;
begin
  with product_spend as (
    select metrics.currency, sum(metrics.spend_total) as spend
    from analytics.product_metrics as metrics
    where metrics.organization_id = target_organization_id
    group by metrics.currency
  ),
  category_spend as (
    select cogs.currency, sum(cogs.spend) as spend
    from analytics.cogs_analysis as cogs
    where cogs.organization_id = target_organization_id
    group by cogs.currency
  ),
  supplier_spend as (
    select metrics.currency, sum(metrics.spend) as spend
    from analytics.supplier_metrics as metrics
    where metrics.organization_id = target_organization_id
    group by metrics.currency
  ),
  invoice_spend as (
    select invoices.currency, sum(invoices.total_amount) as spend
    from analytics.invoice_analytics as invoices
    where invoices.organization_id = target_organization_id
      and invoices.status in ('pending', 'approved', 'paid')
    group by invoices.currency
  )
  select
    currency,
    coalesce(product_spend.spend, 0) as products,
    coalesce(category_spend.spend, 0) as categories,
    coalesce(supplier_spend.spend, 0) as suppliers,
    coalesce(invoice_spend.spend, 0) as invoices
  into disagreement
  from product_spend
  full join category_spend using (currency)
  full join supplier_spend using (currency)
  full join invoice_spend using (currency)
  where coalesce(product_spend.spend, 0) <> coalesce(category_spend.spend, 0)
     or coalesce(product_spend.spend, 0) <> coalesce(supplier_spend.spend, 0)
     or coalesce(product_spend.spend, 0) <> coalesce(invoice_spend.spend, 0)
  limit 1;

  if found then
    raise exception
      'Analytics of organization % are inconsistent: booked % spend differs between datasets',
      target_organization_id, disagreement.currency
      using
        errcode = 'data_exception',
        detail = format(
          'product-metrics %s, cogs-analysis %s, supplier-metrics %s, invoice-analytics %s',
          disagreement.products, disagreement.categories,
          disagreement.suppliers, disagreement.invoices
        );
  end if;
end
$$;
comment on function private.assert_analytics_consistent(uuid) is
  'Raises unless product-metrics, cogs-analysis, supplier-metrics and invoice-analytics report '
  'the same booked spend per currency for the organization.';

revoke execute on function private.assert_analytics_consistent(uuid) from public;
grant execute on function private.assert_analytics_consistent(uuid) to service_role;

-- -----------------------------------------------------------------------------
-- Rebuild
-- -----------------------------------------------------------------------------

create function analytics.rebuild_organization(
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
  dashboard_rows bigint;
  product_rows bigint;
  cogs_rows bigint;
  supplier_rows bigint;
  invoice_rows bigint;
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

  -- Serialize with other rebuilds and with the dirty-marker triggers (see banner).
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

  delete from analytics.dashboard_metrics where organization_id = target_organization_id;
  insert into analytics.dashboard_metrics
  select * from analytics.compute_dashboard_metrics(target_organization_id, effective_as_of);
  get diagnostics dashboard_rows = row_count;

  delete from analytics.product_metrics where organization_id = target_organization_id;
  insert into analytics.product_metrics
  select * from analytics.compute_product_metrics(target_organization_id, effective_as_of);
  get diagnostics product_rows = row_count;

  delete from analytics.cogs_analysis where organization_id = target_organization_id;
  insert into analytics.cogs_analysis
  select * from analytics.compute_cogs_analysis(target_organization_id, effective_as_of);
  get diagnostics cogs_rows = row_count;

  delete from analytics.supplier_metrics where organization_id = target_organization_id;
  insert into analytics.supplier_metrics
  select * from analytics.compute_supplier_metrics(target_organization_id, effective_as_of);
  get diagnostics supplier_rows = row_count;

  delete from analytics.invoice_analytics where organization_id = target_organization_id;
  insert into analytics.invoice_analytics
  select * from analytics.compute_invoice_analytics(target_organization_id, effective_as_of);
  get diagnostics invoice_rows = row_count;

  perform private.assert_analytics_consistent(target_organization_id);

  update analytics.organization_state
  set last_rebuilt_at = started_reading_at,
      rebuilt_as_of_date = effective_as_of
  where organization_id = target_organization_id;

  return jsonb_build_object(
    'organization_id', target_organization_id,
    'as_of_date', effective_as_of,
    'rebuilt_at', started_reading_at,
    'rows', jsonb_build_object(
      'dashboard-metrics', dashboard_rows,
      'product-metrics', product_rows,
      'cogs-analysis', cogs_rows,
      'supplier-metrics', supplier_rows,
      'invoice-analytics', invoice_rows
    )
  );
end
$$;
comment on function analytics.rebuild_organization(uuid, date) is
  'Replaces one organization''s rows of the five nightly datasets, as of a date (default: today '
  'in the organization''s time zone), in the caller''s transaction. Returns row counts.';

revoke execute on function analytics.rebuild_organization(uuid, date) from public;
grant execute on function analytics.rebuild_organization(uuid, date) to service_role;
