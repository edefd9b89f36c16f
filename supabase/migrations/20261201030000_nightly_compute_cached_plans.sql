-- =============================================================================
-- The five nightly compute functions as PL/pgSQL over the base tables, so each
-- organization's rebuild reuses planned queries with real estimates.
--
-- Measured on the benchmark's data (bench/nightly_bench.ts: 200 organizations,
-- ~1,600 booked lines each in the reporting window): computing took ~60% of an
-- organization's refresh, ~25 ms of backend CPU. Two causes, both of the
-- SQL-function form:
--   * a LANGUAGE sql function that is not inlined is planned again on every
--     call (PostgreSQL 15 keeps its plan for one call only), and so is every
--     helper it calls: 5 compute + 6 helper plannings per organization;
--   * private.booked_invoice_lines / private.invoice_totals carry
--     `set search_path`, which forbids inlining: the planner sees a function
--     scan of 1,000 guessed rows. compute_supplier_metrics's plan, built on those
--     guesses, re-sorted and re-aggregated every line once per supplier.
-- Static SQL in PL/pgSQL is prepared once per connection (custom plans first,
-- then a generic plan), and reads the base tables directly.
--
-- The definitions are those of 20261121010510..550 (booked = pending, approved,
-- paid; the reporting window of private.reporting_window_start; amounts per
-- currency; private.rounded_ratio for every ratio), and each column is cast to
-- the table's type as the SQL function's result coercion did, so the rows are
-- the same (tests/domain/datasets_recompute_test.ts recomputes them in
-- TypeScript; the benchmark compares them with its set-based views).
-- Where the SQL version's plan depended on row estimates, the new form does not:
-- supplier-metrics takes each product's reference price from a window aggregate
-- instead of joining an aggregate back to the lines, and its spend from the same
-- lines instead of reading every invoice's lines again; product-metrics takes the
-- first and last purchase price from ordered aggregates instead of two window
-- sorts of every line; cogs-analysis sums lines per product before looking up
-- categories. Measured as backend CPU per organization (reference data, 100
-- organizations, 3 interleaved rounds): product 5.8 -> 3.1 ms, supplier 12.4 ->
-- 3.7 ms, cogs 3.7 -> 3.3 ms, dashboard 1.4 -> 0.9 ms, invoice 2.0 -> 1.5 ms.
-- =============================================================================

create or replace function analytics.compute_dashboard_metrics(target_organization_id uuid, as_of date)
returns setof analytics.dashboard_metrics
language plpgsql
stable
set search_path = ''
as $$
begin
  return query
  with booked as (
    select invoice.invoice_date, invoice.supplier_id, invoice.currency,
      coalesce(sum(line.line_total), 0)::numeric(20, 2) as total
    from public.invoices as invoice
    left join public.invoice_lines as line
      on line.organization_id = invoice.organization_id and line.invoice_id = invoice.id
    where invoice.organization_id = target_organization_id
      and invoice.invoice_date between as_of - 179 and as_of
      and invoice.status in ('pending', 'approved', 'paid')
    group by invoice.id
  ),
  per_currency as (
    select
      booked.currency,
      coalesce(sum(booked.total) filter (where booked.invoice_date > as_of - 30), 0)
        as spend_last_30_days,
      coalesce(sum(booked.total) filter (where booked.invoice_date <= as_of - 30
                                           and booked.invoice_date > as_of - 60), 0)
        as spend_previous_30_days,
      coalesce(sum(booked.total) filter (where booked.invoice_date > as_of - 90), 0)
        as spend_last_90_days,
      coalesce(sum(booked.total) filter (where booked.invoice_date <= as_of - 90), 0)
        as spend_previous_90_days,
      count(*) filter (where booked.invoice_date > as_of - 30) as invoice_count_last_30_days,
      count(distinct booked.supplier_id) filter (where booked.invoice_date > as_of - 90)
        as active_suppliers_last_90_days
    from booked
    group by booked.currency
  )
  select
    target_organization_id,
    per_currency.currency::char(3),
    as_of,
    per_currency.spend_last_30_days::numeric(20, 2),
    per_currency.spend_previous_30_days::numeric(20, 2),
    private.rounded_ratio(
      100 * (per_currency.spend_last_30_days - per_currency.spend_previous_30_days),
      per_currency.spend_previous_30_days,
      2
    ),
    per_currency.spend_last_90_days::numeric(20, 2),
    per_currency.spend_previous_90_days::numeric(20, 2),
    private.rounded_ratio(
      100 * (per_currency.spend_last_90_days - per_currency.spend_previous_90_days),
      per_currency.spend_previous_90_days,
      2
    ),
    per_currency.invoice_count_last_30_days::integer,
    private.rounded_ratio(
      per_currency.spend_last_30_days,
      per_currency.invoice_count_last_30_days,
      2
    )::numeric(20, 2),
    per_currency.active_suppliers_last_90_days::integer
  from per_currency;
end
$$;
comment on function analytics.compute_dashboard_metrics(uuid, date) is
  'Computes the dashboard-metrics rows of one organization as of a date, from base tables.';

create or replace function analytics.compute_product_metrics(target_organization_id uuid, as_of date)
returns setof analytics.product_metrics
language plpgsql
stable
set search_path = ''
as $$
begin
  return query
  with lines as (
    select
      invoice.id as invoice_id, invoice.invoice_date, invoice.currency,
      line.line_number, line.product_id, line.quantity, line.unit_price, line.line_total
    from public.invoices as invoice
    join public.invoice_lines as line
      on line.organization_id = invoice.organization_id and line.invoice_id = invoice.id
    where invoice.organization_id = target_organization_id
      and invoice.invoice_date between private.reporting_window_start(as_of) and as_of
      and invoice.status in ('pending', 'approved', 'paid')
  ),
  per_product as (
    select
      lines.product_id,
      lines.currency,
      count(*) as line_count,
      sum(lines.quantity) as quantity_total,
      sum(lines.line_total) as spend_total,
      sum(lines.quantity * lines.unit_price) as exact_cost,
      min(lines.unit_price) as min_unit_price,
      max(lines.unit_price) as max_unit_price,
      -- The first / last purchase's price: (date, invoice, line) orders purchases
      -- uniquely, as the row_number() ranks of the SQL version did.
      (array_agg(lines.unit_price
                 order by lines.invoice_date, lines.invoice_id, lines.line_number))[1]
        as first_unit_price,
      (array_agg(lines.unit_price
                 order by lines.invoice_date desc, lines.invoice_id desc, lines.line_number desc))[1]
        as last_unit_price,
      min(lines.invoice_date) as first_purchased_on,
      max(lines.invoice_date) as last_purchased_on
    from lines
    group by lines.product_id, lines.currency
  )
  select
    target_organization_id,
    per_product.product_id,
    per_product.currency::char(3),
    product.sku,
    product.name,
    product.category,
    product.unit,
    per_product.line_count::integer,
    per_product.quantity_total::numeric(20, 3),
    per_product.spend_total::numeric(20, 2),
    private.rounded_ratio(per_product.exact_cost, per_product.quantity_total, 4)::numeric(12, 4),
    per_product.min_unit_price::numeric(12, 4),
    per_product.max_unit_price::numeric(12, 4),
    per_product.first_unit_price::numeric(12, 4),
    per_product.last_unit_price::numeric(12, 4),
    private.rounded_ratio(
      100 * (per_product.last_unit_price - per_product.first_unit_price),
      per_product.first_unit_price,
      2
    ),
    per_product.first_purchased_on,
    per_product.last_purchased_on
  from per_product
  join public.products as product
    on product.organization_id = target_organization_id and product.id = per_product.product_id;
end
$$;
comment on function analytics.compute_product_metrics(uuid, date) is
  'Computes the product-metrics rows of one organization as of a date, from base tables.';

create or replace function analytics.compute_cogs_analysis(target_organization_id uuid, as_of date)
returns setof analytics.cogs_analysis
language plpgsql
stable
set search_path = ''
as $$
begin
  return query
  -- Lines summed per product first, so each product's category is looked up once
  -- per month and currency rather than once per line.
  with per_product as (
    select
      date_trunc('month', invoice.invoice_date)::date as month,
      line.product_id,
      invoice.currency,
      count(*) as line_count,
      sum(line.line_total) as spend
    from public.invoices as invoice
    join public.invoice_lines as line
      on line.organization_id = invoice.organization_id and line.invoice_id = invoice.id
    where invoice.organization_id = target_organization_id
      and invoice.invoice_date between private.reporting_window_start(as_of) and as_of
      and invoice.status in ('pending', 'approved', 'paid')
    group by 1, 2, 3
  ),
  per_month_and_category as (
    select
      per_product.month,
      product.category,
      per_product.currency,
      sum(per_product.line_count) as line_count,
      sum(per_product.spend) as spend
    from per_product
    join public.products as product
      on product.organization_id = target_organization_id and product.id = per_product.product_id
    group by 1, 2, 3
  )
  select
    target_organization_id,
    cell.month,
    cell.category,
    cell.currency::char(3),
    cell.line_count::integer,
    cell.spend::numeric(20, 2),
    private.rounded_ratio(
      100 * cell.spend, sum(cell.spend) over (partition by cell.month, cell.currency), 2
    ),
    private.rounded_ratio(100 * cell.spend, sum(cell.spend) over (partition by cell.currency), 2)
  from per_month_and_category as cell;
end
$$;
comment on function analytics.compute_cogs_analysis(uuid, date) is
  'Computes the cogs-analysis rows of one organization as of a date, from base tables.';

create or replace function analytics.compute_supplier_metrics(target_organization_id uuid, as_of date)
returns setof analytics.supplier_metrics
language plpgsql
stable
set search_path = ''
as $$
begin
  return query
  with lines as (
    -- Each booked line with its product's quantity-weighted cost over the window
    -- (a window aggregate: no join whose plan depends on row estimates).
    select
      invoice.supplier_id,
      invoice.currency,
      line.quantity,
      line.unit_price,
      line.line_total,
      sum(line.quantity * line.unit_price) over product as product_cost,
      sum(line.quantity) over product as product_quantity
    from public.invoices as invoice
    join public.invoice_lines as line
      on line.organization_id = invoice.organization_id and line.invoice_id = invoice.id
    where invoice.organization_id = target_organization_id
      and invoice.invoice_date between private.reporting_window_start(as_of) and as_of
      and invoice.status in ('pending', 'approved', 'paid')
    window product as (partition by line.product_id, invoice.currency)
  ),
  price_levels as materialized (
    -- Spend is summed from the same lines: a supplier's spend is the sum of its
    -- booked invoices' totals, i.e. of their lines' totals (0 without lines).
    -- Materialized: whatever join the plan picks, the lines are aggregated once.
    select
      lines.supplier_id,
      lines.currency,
      sum(lines.line_total) as spend,
      sum(lines.quantity * lines.unit_price) as exact_cost,
      sum(lines.quantity
          * (lines.product_cost::numeric(1000, 24) / lines.product_quantity)) as reference_cost
    from lines
    group by lines.supplier_id, lines.currency
  ),
  per_supplier as (
    select
      invoice.supplier_id,
      invoice.currency,
      count(*) as invoice_count,
      max(invoice.invoice_date) as last_invoice_on
    from public.invoices as invoice
    where invoice.organization_id = target_organization_id
      and invoice.invoice_date between private.reporting_window_start(as_of) and as_of
      and invoice.status in ('pending', 'approved', 'paid')
    group by invoice.supplier_id, invoice.currency
  ),
  supplier_rows as (
    select
      per_supplier.supplier_id,
      per_supplier.currency,
      per_supplier.invoice_count,
      per_supplier.last_invoice_on,
      coalesce(price_levels.spend, 0) as spend,
      price_levels.exact_cost,
      price_levels.reference_cost
    from per_supplier
    left join price_levels
      on price_levels.supplier_id = per_supplier.supplier_id
      and price_levels.currency = per_supplier.currency
  )
  select
    target_organization_id,
    supplier_rows.supplier_id,
    supplier_rows.currency::char(3),
    supplier.name,
    supplier_rows.invoice_count::integer,
    supplier_rows.spend::numeric(20, 2),
    private.rounded_ratio(supplier_rows.spend, supplier_rows.invoice_count, 2)::numeric(20, 2),
    private.rounded_ratio(
      100 * supplier_rows.spend,
      sum(supplier_rows.spend) over (partition by supplier_rows.currency),
      2
    ),
    round(coalesce(supplier_rows.exact_cost - supplier_rows.reference_cost, 0), 2)::numeric(20, 2),
    private.rounded_ratio(
      100 * (supplier_rows.exact_cost - supplier_rows.reference_cost),
      supplier_rows.reference_cost,
      2
    ),
    supplier_rows.last_invoice_on
  from supplier_rows
  join public.suppliers as supplier
    on supplier.organization_id = target_organization_id
    and supplier.id = supplier_rows.supplier_id;
end
$$;
comment on function analytics.compute_supplier_metrics(uuid, date) is
  'Computes the supplier-metrics rows of one organization as of a date, from base tables.';

create or replace function analytics.compute_invoice_analytics(target_organization_id uuid, as_of date)
returns setof analytics.invoice_analytics
language plpgsql
stable
set search_path = ''
as $$
begin
  return query
  with invoice_totals as (
    select invoice.invoice_date, invoice.status, invoice.currency,
      coalesce(sum(line.line_total), 0)::numeric(20, 2) as total
    from public.invoices as invoice
    left join public.invoice_lines as line
      on line.organization_id = invoice.organization_id and line.invoice_id = invoice.id
    where invoice.organization_id = target_organization_id
      and invoice.invoice_date between private.reporting_window_start(as_of) and as_of
    group by invoice.id
  )
  select
    target_organization_id,
    date_trunc('month', invoice.invoice_date)::date,
    invoice.status,
    invoice.currency::char(3),
    count(*)::integer,
    sum(invoice.total)::numeric(20, 2),
    private.rounded_ratio(sum(invoice.total), count(*), 2)::numeric(20, 2)
  from invoice_totals as invoice
  group by 2, 3, 4;
end
$$;
comment on function analytics.compute_invoice_analytics(uuid, date) is
  'Computes the invoice-analytics rows of one organization as of a date, from base tables.';
