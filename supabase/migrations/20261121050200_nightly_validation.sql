-- =============================================================================
-- What the nightly refresh checks after rebuilding an organization, in the
-- rebuilding transaction (a failed check rolls the organization back alone):
--
--   nightly.validate_rebuild     the rebuilt datasets reconcile with the base
--                                tables, hold no negative or NaN figures, and
--                                have plausible row counts (on top of the
--                                cross-dataset agreement analytics.rebuild_organization
--                                already asserts)
--   nightly.key_figures          the headline figures of a snapshot, per currency
--   nightly.significant_changes  which key figures moved by at least a threshold
-- =============================================================================

-- -----------------------------------------------------------------------------
-- Validation
-- -----------------------------------------------------------------------------

create function nightly.validate_rebuild(p_organization_id uuid, p_as_of date)
returns void
language plpgsql
stable
set search_path = ''
as $$
declare
  v_window_start date := private.reporting_window_start(p_as_of);
  v_problem text;
begin
  -- 1. Reconcile with the base tables, per currency: booked lines (spend, count,
  --    distinct products) against product-metrics, invoices against invoice-analytics.
  with base_lines as (
    select invoice.currency, sum(line.line_total) as spend, count(*) as lines,
      count(distinct line.product_id) as products
    from public.invoices as invoice
    join public.invoice_lines as line
      on line.organization_id = invoice.organization_id and line.invoice_id = invoice.id
    where invoice.organization_id = p_organization_id
      and invoice.invoice_date between v_window_start and p_as_of
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
  into v_problem
  from base_lines as base
  full join rebuilt_products as rebuilt using (currency)
  where base.spend is distinct from rebuilt.spend
     or base.lines is distinct from rebuilt.lines
     or base.products is distinct from rebuilt.products
  order by currency
  limit 1;
  if v_problem is not null then
    raise exception 'Rebuilt totals do not reconcile with the base tables: %', v_problem
      using errcode = 'data_exception';
  end if;

  with base_invoices as (
    select invoice.currency, count(*) as invoices
    from public.invoices as invoice
    where invoice.organization_id = p_organization_id
      and invoice.invoice_date between v_window_start and p_as_of
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
  into v_problem
  from base_invoices as base
  full join rebuilt_invoices as rebuilt using (currency)
  where base.invoices is distinct from rebuilt.invoices
  order by currency
  limit 1;
  if v_problem is not null then
    raise exception 'Rebuilt totals do not reconcile with the base tables: %', v_problem
      using errcode = 'data_exception';
  end if;

  -- 2. No negative amounts or counts, no NaN anywhere (numeric NaN compares equal to itself).
  select string_agg(problem, '; ' order by problem)
  into v_problem
  from (
    select 'dashboard-metrics' as problem
    from analytics.dashboard_metrics as m
    where m.organization_id = p_organization_id
      and (least(m.spend_last_30_days, m.spend_previous_30_days, m.spend_last_90_days,
                 m.spend_previous_90_days, m.average_invoice_last_30_days) < 0
           or least(m.invoice_count_last_30_days, m.active_suppliers_last_90_days) < 0
           or 'NaN' in (m.spend_last_30_days, m.spend_previous_30_days, m.spend_last_90_days,
                        m.spend_previous_90_days, m.average_invoice_last_30_days,
                        m.spend_change_30_days_percent, m.spend_change_90_days_percent))
    union
    select 'product-metrics'
    from analytics.product_metrics as m
    where m.organization_id = p_organization_id
      and (least(m.quantity_total, m.spend_total, m.average_unit_price, m.min_unit_price,
                 m.max_unit_price, m.first_unit_price, m.last_unit_price) < 0
           or m.line_count < 0
           or 'NaN' in (m.quantity_total, m.spend_total, m.average_unit_price, m.min_unit_price,
                        m.max_unit_price, m.first_unit_price, m.last_unit_price,
                        m.price_change_percent))
    union
    select 'cogs-analysis'
    from analytics.cogs_analysis as m
    where m.organization_id = p_organization_id
      and (m.spend < 0 or m.line_count < 0
           or least(m.share_of_month_percent, m.share_of_total_percent) < 0
           or greatest(m.share_of_month_percent, m.share_of_total_percent) > 100
           or 'NaN' in (m.spend, m.share_of_month_percent, m.share_of_total_percent))
    union
    select 'supplier-metrics'
    from analytics.supplier_metrics as m
    where m.organization_id = p_organization_id
      and (least(m.spend, m.average_invoice) < 0 or m.invoice_count < 0
           or m.share_of_spend_percent < 0 or m.share_of_spend_percent > 100
           or 'NaN' in (m.spend, m.average_invoice, m.share_of_spend_percent, m.price_variance,
                        m.price_variance_percent))
    union
    select 'invoice-analytics'
    from analytics.invoice_analytics as m
    where m.organization_id = p_organization_id
      and (least(m.total_amount, m.average_amount) < 0 or m.invoice_count < 0
           or 'NaN' in (m.total_amount, m.average_amount))
  ) as problems;
  if v_problem is not null then
    raise exception 'Rebuilt datasets hold negative or NaN figures: %', v_problem
      using errcode = 'data_exception';
  end if;

  -- 3. Plausible row counts: rows exactly where the base tables have data for them,
  --    never more rows than the base rows they summarize.
  with base as (
    select
      count(*) filter (where invoice.status in ('pending', 'approved', 'paid')) as booked_invoices,
      count(*) as invoices,
      count(distinct invoice.currency) as invoice_currencies,
      count(distinct invoice.currency)
        filter (where invoice.status in ('pending', 'approved', 'paid')) as booked_currencies,
      (
        select count(distinct recent.currency)
        from public.invoices as recent
        where recent.organization_id = p_organization_id
          and recent.invoice_date between p_as_of - 179 and p_as_of
          and recent.status in ('pending', 'approved', 'paid')
      ) as recent_booked_currencies
    from public.invoices as invoice
    where invoice.organization_id = p_organization_id
      and invoice.invoice_date between v_window_start and p_as_of
  ),
  base_lines as (
    select count(*) as lines, count(distinct invoice.currency) as currencies
    from public.invoices as invoice
    join public.invoice_lines as line
      on line.organization_id = invoice.organization_id and line.invoice_id = invoice.id
    where invoice.organization_id = p_organization_id
      and invoice.invoice_date between v_window_start and p_as_of
      and invoice.status in ('pending', 'approved', 'paid')
  ),
  rebuilt as (
    select
      (select count(distinct currency) from analytics.dashboard_metrics
        where organization_id = p_organization_id) as dashboard_currencies,
      (select count(*) from analytics.dashboard_metrics
        where organization_id = p_organization_id) as dashboard_rows,
      (select count(*) from analytics.cogs_analysis
        where organization_id = p_organization_id) as cogs_rows,
      (select count(distinct currency) from analytics.cogs_analysis
        where organization_id = p_organization_id) as cogs_currencies,
      (select count(*) from analytics.supplier_metrics
        where organization_id = p_organization_id) as supplier_rows,
      (select count(distinct currency) from analytics.supplier_metrics
        where organization_id = p_organization_id) as supplier_currencies,
      (select count(*) from analytics.invoice_analytics
        where organization_id = p_organization_id) as invoice_rows,
      (select count(distinct currency) from analytics.invoice_analytics
        where organization_id = p_organization_id) as invoice_currencies
  )
  select concat_ws('; ',
    case when rebuilt.dashboard_rows <> base.recent_booked_currencies then format(
      'dashboard-metrics has %s rows for %s currencies with booked invoices in 180 days',
      rebuilt.dashboard_rows, base.recent_booked_currencies) end,
    case when rebuilt.cogs_currencies <> base_lines.currencies
           or rebuilt.cogs_rows > base_lines.lines then format(
      'cogs-analysis has %s rows in %s currencies for %s booked lines in %s currencies',
      rebuilt.cogs_rows, rebuilt.cogs_currencies, base_lines.lines, base_lines.currencies) end,
    case when rebuilt.supplier_currencies <> base.booked_currencies
           or rebuilt.supplier_rows > base.booked_invoices then format(
      'supplier-metrics has %s rows in %s currencies for %s booked invoices in %s currencies',
      rebuilt.supplier_rows, rebuilt.supplier_currencies, base.booked_invoices,
      base.booked_currencies) end,
    case when rebuilt.invoice_currencies <> base.invoice_currencies
           or rebuilt.invoice_rows > base.invoices then format(
      'invoice-analytics has %s rows in %s currencies for %s invoices in %s currencies',
      rebuilt.invoice_rows, rebuilt.invoice_currencies, base.invoices,
      base.invoice_currencies) end
  )
  into v_problem
  from base, base_lines, rebuilt;
  if v_problem <> '' then
    raise exception 'Rebuilt datasets have implausible row counts: %', v_problem
      using errcode = 'data_exception';
  end if;
end
$$;
comment on function nightly.validate_rebuild(uuid, date) is
  'Raises (data_exception) unless the organization''s rebuilt nightly datasets as of p_as_of '
  'reconcile with the base tables (booked spend, lines and products per currency; invoices per '
  'currency), hold no negative or NaN figures, and have plausible row counts.';

-- -----------------------------------------------------------------------------
-- Key figures and significant changes
-- -----------------------------------------------------------------------------

create function nightly.key_figures(p_organization_id uuid)
returns jsonb
language sql
stable
set search_path = ''
as $$
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
$$;
comment on function nightly.key_figures(uuid) is
  'Headline figures of an organization''s current nightly datasets, per currency: '
  '{"EUR": {booked_spend_12_months, booked_invoices_12_months, products_purchased, '
  'spend_last_30_days, active_suppliers_last_90_days}}.';

create function nightly.significant_changes(
  p_previous jsonb,
  p_current jsonb,
  p_threshold_percent numeric
)
returns jsonb
language sql
immutable
set search_path = ''
as $$
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
$$;
comment on function nightly.significant_changes(jsonb, jsonb, numeric) is
  'Key figures (nightly.key_figures) that moved by at least p_threshold_percent of their previous '
  'value, or appeared from 0: [{currency, figure, previous, current, change_percent}]. '
  'No previous snapshot (null): nothing is significant.';

revoke execute on function
  nightly.validate_rebuild(uuid, date),
  nightly.key_figures(uuid),
  nightly.significant_changes(jsonb, jsonb, numeric)
  from public;
grant execute on function
  nightly.validate_rebuild(uuid, date),
  nightly.key_figures(uuid),
  nightly.significant_changes(jsonb, jsonb, numeric)
  to service_role;
