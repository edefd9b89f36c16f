-- =============================================================================
-- The validation rules that read base tables, nightly.key_figures and
-- nightly.significant_changes as PL/pgSQL: same queries, same results, planned
-- once per connection.
--
-- Measured on the benchmark's data (200 organizations, track_functions = all):
-- validation took ~2.5 ms of an organization's refresh and the two key-figure
-- reads and the comparison ~1.2 ms, much of it planning: a LANGUAGE sql
-- function that is not inlined (these carry `set search_path`, which forbids
-- inlining) is planned again on every call in PostgreSQL 15. A PL/pgSQL
-- function keeps its statements' plans for the connection, and the nightly
-- workers keep their connections.
--
-- Each body is the former one as `return (<query>)` (a scalar subquery: null
-- when the query finds no row, as the SQL function returned). The five
-- `*_figures` rules stay SQL: they read only the rebuilt rows, and ignore the
-- as-of date the rule signature passes (plpgsql_check, `supabase db lint`,
-- reports an unused PL/pgSQL parameter). Comments and
-- grants stay with the functions (CREATE OR REPLACE keeps both); the SET
-- clauses are repeated, with `jit = off` on nightly.significant_changes
-- (20261130090000_nightly_rebuild_without_jit.sql, pinned by
-- tests/nightly/rebuild_settings_test.ts).
-- =============================================================================

-- -----------------------------------------------------------------------------
-- Validation rules (20261130010500_nightly_validation_rules.sql)
-- -----------------------------------------------------------------------------

create or replace function nightly.check_product_spend_reconciles(p_organization_id uuid, p_as_of date)
returns text
language plpgsql
stable
set search_path = ''
as $$
begin
  return (
    with base_lines as (
      select invoice.currency, sum(line.line_total) as spend, count(*) as lines,
        count(distinct line.product_id) as products
      from public.invoices as invoice
      join public.invoice_lines as line
        on line.organization_id = invoice.organization_id and line.invoice_id = invoice.id
      where invoice.organization_id = p_organization_id
        and invoice.invoice_date between private.reporting_window_start(p_as_of) and p_as_of
        and invoice.status in ('pending', 'approved', 'paid')
      group by invoice.currency
    ),
    rebuilt_products as (
      select metrics.currency, sum(metrics.spend_total) as spend, sum(metrics.line_count) as lines,
        count(*) as products
      from analytics.product_metrics as metrics
      where metrics.organization_id = p_organization_id
      group by metrics.currency
    )
    select format('booked %s: base tables have spend %s in %s lines over %s products, '
                  'product-metrics has spend %s in %s lines over %s rows',
                  currency, coalesce(base.spend, 0), coalesce(base.lines, 0),
                  coalesce(base.products, 0), coalesce(rebuilt.spend, 0),
                  coalesce(rebuilt.lines, 0), coalesce(rebuilt.products, 0))
    from base_lines as base
    full join rebuilt_products as rebuilt using (currency)
    where base.spend is distinct from rebuilt.spend
       or base.lines is distinct from rebuilt.lines
       or base.products is distinct from rebuilt.products
    order by currency
    limit 1
  );
end
$$;

create or replace function nightly.check_invoice_counts_reconcile(p_organization_id uuid, p_as_of date)
returns text
language plpgsql
stable
set search_path = ''
as $$
begin
  return (
    with base_invoices as (
      select invoice.currency, count(*) as invoices
      from public.invoices as invoice
      where invoice.organization_id = p_organization_id
        and invoice.invoice_date between private.reporting_window_start(p_as_of) and p_as_of
      group by invoice.currency
    ),
    rebuilt_invoices as (
      select analytics_row.currency, sum(analytics_row.invoice_count) as invoices
      from analytics.invoice_analytics as analytics_row
      where analytics_row.organization_id = p_organization_id
      group by analytics_row.currency
    )
    select format('%s: base tables have %s invoices, invoice-analytics counts %s',
                  currency, coalesce(base.invoices, 0), coalesce(rebuilt.invoices, 0))
    from base_invoices as base
    full join rebuilt_invoices as rebuilt using (currency)
    where base.invoices is distinct from rebuilt.invoices
    order by currency
    limit 1
  );
end
$$;

create or replace function nightly.check_dashboard_metrics_rows(p_organization_id uuid, p_as_of date)
returns text
language plpgsql
stable
set search_path = ''
as $$
begin
  return (
    select format('dashboard-metrics has %s rows for %s currencies with booked invoices in 180 days',
                  rebuilt.row_count, base.currencies)
    from (
      select count(distinct invoice.currency) as currencies
      from public.invoices as invoice
      where invoice.organization_id = p_organization_id
        and invoice.invoice_date between p_as_of - 179 and p_as_of
        and invoice.status in ('pending', 'approved', 'paid')
    ) as base,
    (
      select count(*) as row_count from analytics.dashboard_metrics
      where organization_id = p_organization_id
    ) as rebuilt
    where rebuilt.row_count <> base.currencies
  );
end
$$;

create or replace function nightly.check_cogs_analysis_rows(p_organization_id uuid, p_as_of date)
returns text
language plpgsql
stable
set search_path = ''
as $$
begin
  return (
    select format('cogs-analysis has %s rows in %s currencies for %s booked lines in %s currencies',
                  rebuilt.row_count, rebuilt.currencies, base.lines, base.currencies)
    from (
      select count(*) as lines, count(distinct invoice.currency) as currencies
      from public.invoices as invoice
      join public.invoice_lines as line
        on line.organization_id = invoice.organization_id and line.invoice_id = invoice.id
      where invoice.organization_id = p_organization_id
        and invoice.invoice_date between private.reporting_window_start(p_as_of) and p_as_of
        and invoice.status in ('pending', 'approved', 'paid')
    ) as base,
    (
      select count(*) as row_count, count(distinct currency) as currencies
      from analytics.cogs_analysis where organization_id = p_organization_id
    ) as rebuilt
    where rebuilt.currencies <> base.currencies or rebuilt.row_count > base.lines
  );
end
$$;

create or replace function nightly.check_supplier_metrics_rows(p_organization_id uuid, p_as_of date)
returns text
language plpgsql
stable
set search_path = ''
as $$
begin
  return (
    select format(
      'supplier-metrics has %s rows in %s currencies for %s booked invoices in %s currencies',
      rebuilt.row_count, rebuilt.currencies, base.invoices, base.currencies)
    from (
      select count(*) as invoices, count(distinct invoice.currency) as currencies
      from public.invoices as invoice
      where invoice.organization_id = p_organization_id
        and invoice.invoice_date between private.reporting_window_start(p_as_of) and p_as_of
        and invoice.status in ('pending', 'approved', 'paid')
    ) as base,
    (
      select count(*) as row_count, count(distinct currency) as currencies
      from analytics.supplier_metrics where organization_id = p_organization_id
    ) as rebuilt
    where rebuilt.currencies <> base.currencies or rebuilt.row_count > base.invoices
  );
end
$$;

create or replace function nightly.check_invoice_analytics_rows(p_organization_id uuid, p_as_of date)
returns text
language plpgsql
stable
set search_path = ''
as $$
begin
  return (
    select format(
      'invoice-analytics has %s rows in %s currencies for %s invoices in %s currencies',
      rebuilt.row_count, rebuilt.currencies, base.invoices, base.currencies)
    from (
      select count(*) as invoices, count(distinct invoice.currency) as currencies
      from public.invoices as invoice
      where invoice.organization_id = p_organization_id
        and invoice.invoice_date between private.reporting_window_start(p_as_of) and p_as_of
    ) as base,
    (
      select count(*) as row_count, count(distinct currency) as currencies
      from analytics.invoice_analytics where organization_id = p_organization_id
    ) as rebuilt
    where rebuilt.currencies <> base.currencies or rebuilt.row_count > base.invoices
  );
end
$$;

-- -----------------------------------------------------------------------------
-- Key figures and their comparison (20261121050200_nightly_validation.sql)
-- -----------------------------------------------------------------------------

create or replace function nightly.key_figures(p_organization_id uuid)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
  return (
    with products as (
      select currency, sum(spend_total) as booked_spend_12_months, count(*) as products_purchased
      from analytics.product_metrics
      where organization_id = p_organization_id
      group by currency
    ),
    invoices as (
      select currency, sum(invoice_count) as booked_invoices_12_months
      from analytics.invoice_analytics
      where organization_id = p_organization_id and status in ('pending', 'approved', 'paid')
      group by currency
    ),
    dashboard as (
      select currency, spend_last_30_days, active_suppliers_last_90_days
      from analytics.dashboard_metrics
      where organization_id = p_organization_id
    )
    select coalesce(jsonb_object_agg(currency, jsonb_build_object(
      'booked_spend_12_months', coalesce(products.booked_spend_12_months, 0),
      'booked_invoices_12_months', coalesce(invoices.booked_invoices_12_months, 0),
      'products_purchased', coalesce(products.products_purchased, 0),
      'spend_last_30_days', coalesce(dashboard.spend_last_30_days, 0),
      'active_suppliers_last_90_days', coalesce(dashboard.active_suppliers_last_90_days, 0)
    ) order by currency), '{}'::jsonb)
    from products
    full join invoices using (currency)
    full join dashboard using (currency)
  );
end
$$;

create or replace function nightly.significant_changes(
  p_previous jsonb,
  p_current jsonb,
  p_threshold_percent numeric
)
returns jsonb
language plpgsql
immutable
set search_path = ''
set jit = off
as $$
begin
  return (
    select coalesce(jsonb_agg(jsonb_build_object(
      'currency', change.currency,
      'figure', change.figure,
      'previous', change.previous,
      'current', change.current,
      'change_percent', case when change.previous <> 0
        then round(100 * (change.current - change.previous) / abs(change.previous), 1) end
    ) order by change.currency, change.figure), '[]'::jsonb)
    from (
      select currencies.currency, figures.figure,
        coalesce((p_previous -> currencies.currency ->> figures.figure)::numeric, 0) as previous,
        coalesce((p_current -> currencies.currency ->> figures.figure)::numeric, 0) as current
      from (
        select jsonb_object_keys(coalesce(p_previous, '{}')) as currency
        union
        select jsonb_object_keys(coalesce(p_current, '{}'))
      ) as currencies
      cross join (
        select jsonb_object_keys(value) as figure from jsonb_each(coalesce(p_previous, '{}'))
        union
        select jsonb_object_keys(value) from jsonb_each(coalesce(p_current, '{}'))
      ) as figures
    ) as change
    where p_previous is not null
      and change.current is distinct from change.previous
      and (change.previous = 0
           or abs(change.current - change.previous) * 100 >= p_threshold_percent * abs(change.previous))
  );
end
$$;
