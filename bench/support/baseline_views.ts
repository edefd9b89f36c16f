/**
 * The nightly benchmark's baseline: the five nightly datasets as global
 * materialized views, the way the seed plan kept them — one set-based query
 * per dataset over every organization, refreshed as a whole. Each view is the
 * same computation as its `analytics.compute_*` function (same definitions,
 * windows, rounding and column types), grouped by organization instead of
 * filtered to one; the benchmark checks the rows are identical.
 *
 * The as-of date of each organization comes from `bench_baseline.as_of`, so
 * the views and the nightly run compute the same nights.
 *
 * @module
 */

/** Schema of the baseline's objects. */
export const BASELINE_SCHEMA = "bench_baseline";

/** The views, in the order a refresh visits them. */
export const BASELINE_VIEWS = [
  "dashboard_metrics",
  "product_metrics",
  "cogs_analysis",
  "supplier_metrics",
  "invoice_analytics",
] as const;

/** Creates the schema, the as-of table (filled by the caller) and the five views, unpopulated. */
export const CREATE_BASELINE_SQL = `
create schema bench_baseline;

create table bench_baseline.as_of (
  organization_id uuid primary key,
  as_of date not null,
  window_start date not null
);

-- Booked invoice lines in each organization's reporting window.
create view bench_baseline.booked_lines as
  select invoice.organization_id, invoice.id as invoice_id, invoice.invoice_date,
    invoice.supplier_id, invoice.currency, line.line_number, line.product_id, line.quantity,
    line.unit_price, line.line_total
  from bench_baseline.as_of as a
  join public.invoices as invoice
    on invoice.organization_id = a.organization_id
   and invoice.invoice_date between a.window_start and a.as_of
   and invoice.status in ('pending', 'approved', 'paid')
  join public.invoice_lines as line
    on line.organization_id = invoice.organization_id and line.invoice_id = invoice.id;

-- Every invoice in each organization's reporting window with its total.
create view bench_baseline.window_invoices as
  select invoice.organization_id, invoice.id, invoice.invoice_date, invoice.status,
    invoice.status in ('pending', 'approved', 'paid') as is_booked, invoice.supplier_id,
    invoice.currency, coalesce(sum(line.line_total), 0)::numeric(20, 2) as total
  from bench_baseline.as_of as a
  join public.invoices as invoice
    on invoice.organization_id = a.organization_id
   and invoice.invoice_date between a.window_start and a.as_of
  left join public.invoice_lines as line
    on line.organization_id = invoice.organization_id and line.invoice_id = invoice.id
  group by invoice.id;

create materialized view bench_baseline.dashboard_metrics as
  with booked as (
    select invoice.organization_id, a.as_of, invoice.invoice_date, invoice.supplier_id,
      invoice.currency, coalesce(sum(line.line_total), 0)::numeric(20, 2) as total
    from bench_baseline.as_of as a
    join public.invoices as invoice
      on invoice.organization_id = a.organization_id
     and invoice.invoice_date between a.as_of - 179 and a.as_of
     and invoice.status in ('pending', 'approved', 'paid')
    left join public.invoice_lines as line
      on line.organization_id = invoice.organization_id and line.invoice_id = invoice.id
    group by invoice.id, a.as_of
  ),
  per_currency as (
    select organization_id, as_of, currency,
      coalesce(sum(total) filter (where invoice_date > as_of - 30), 0) as spend_last_30_days,
      coalesce(sum(total) filter (where invoice_date <= as_of - 30
                                    and invoice_date > as_of - 60), 0) as spend_previous_30_days,
      coalesce(sum(total) filter (where invoice_date > as_of - 90), 0) as spend_last_90_days,
      coalesce(sum(total) filter (where invoice_date <= as_of - 90), 0) as spend_previous_90_days,
      count(*) filter (where invoice_date > as_of - 30) as invoice_count_last_30_days,
      count(distinct supplier_id) filter (where invoice_date > as_of - 90)
        as active_suppliers_last_90_days
    from booked
    group by organization_id, as_of, currency
  )
  select organization_id, currency::char(3), as_of as as_of_date,
    spend_last_30_days::numeric(20, 2), spend_previous_30_days::numeric(20, 2),
    private.rounded_ratio(100 * (spend_last_30_days - spend_previous_30_days),
      spend_previous_30_days, 2) as spend_change_30_days_percent,
    spend_last_90_days::numeric(20, 2), spend_previous_90_days::numeric(20, 2),
    private.rounded_ratio(100 * (spend_last_90_days - spend_previous_90_days),
      spend_previous_90_days, 2) as spend_change_90_days_percent,
    invoice_count_last_30_days::integer,
    private.rounded_ratio(spend_last_30_days, invoice_count_last_30_days, 2)::numeric(20, 2)
      as average_invoice_last_30_days,
    active_suppliers_last_90_days::integer
  from per_currency
with no data;

create materialized view bench_baseline.product_metrics as
  with lines as (
    select line.*,
      row_number() over (
        partition by line.organization_id, line.product_id, line.currency
        order by line.invoice_date, line.invoice_id, line.line_number
      ) as purchase_rank,
      row_number() over (
        partition by line.organization_id, line.product_id, line.currency
        order by line.invoice_date desc, line.invoice_id desc, line.line_number desc
      ) as reverse_purchase_rank
    from bench_baseline.booked_lines as line
  ),
  per_product as (
    select organization_id, product_id, currency, count(*) as line_count,
      sum(quantity) as quantity_total, sum(line_total) as spend_total,
      sum(quantity * unit_price) as exact_cost, min(unit_price) as min_unit_price,
      max(unit_price) as max_unit_price,
      max(unit_price) filter (where purchase_rank = 1) as first_unit_price,
      max(unit_price) filter (where reverse_purchase_rank = 1) as last_unit_price,
      min(invoice_date) as first_purchased_on, max(invoice_date) as last_purchased_on
    from lines
    group by organization_id, product_id, currency
  )
  select per_product.organization_id, per_product.product_id, per_product.currency::char(3),
    product.sku, product.name as product_name, product.category, product.unit,
    per_product.line_count::integer, per_product.quantity_total::numeric(20, 3),
    per_product.spend_total::numeric(20, 2),
    private.rounded_ratio(per_product.exact_cost, per_product.quantity_total, 4)::numeric(12, 4)
      as average_unit_price,
    per_product.min_unit_price::numeric(12, 4), per_product.max_unit_price::numeric(12, 4),
    per_product.first_unit_price::numeric(12, 4), per_product.last_unit_price::numeric(12, 4),
    private.rounded_ratio(100 * (per_product.last_unit_price - per_product.first_unit_price),
      per_product.first_unit_price, 2) as price_change_percent,
    per_product.first_purchased_on, per_product.last_purchased_on
  from per_product
  join public.products as product
    on product.organization_id = per_product.organization_id
   and product.id = per_product.product_id
with no data;

create materialized view bench_baseline.cogs_analysis as
  with cell as (
    select line.organization_id, date_trunc('month', line.invoice_date)::date as month,
      product.category, line.currency, count(*) as line_count, sum(line.line_total) as spend
    from bench_baseline.booked_lines as line
    join public.products as product
      on product.organization_id = line.organization_id and product.id = line.product_id
    group by 1, 2, 3, 4
  )
  select organization_id, month, category, currency::char(3), line_count::integer,
    spend::numeric(20, 2),
    private.rounded_ratio(100 * spend,
      sum(spend) over (partition by organization_id, month, currency), 2) as share_of_month_percent,
    private.rounded_ratio(100 * spend,
      sum(spend) over (partition by organization_id, currency), 2) as share_of_total_percent
  from cell
with no data;

create materialized view bench_baseline.supplier_metrics as
  with lines as (
    select organization_id, supplier_id, currency, product_id, quantity, unit_price
    from bench_baseline.booked_lines
  ),
  reference_prices as (
    select organization_id, product_id, currency,
      sum(quantity * unit_price)::numeric(1000, 24) / sum(quantity) as reference_unit_price
    from lines
    group by organization_id, product_id, currency
  ),
  price_levels as (
    select lines.organization_id, lines.supplier_id, lines.currency,
      sum(lines.quantity * lines.unit_price) as exact_cost,
      sum(lines.quantity * reference.reference_unit_price) as reference_cost
    from lines
    join reference_prices as reference
      on reference.organization_id = lines.organization_id
     and reference.product_id = lines.product_id and reference.currency = lines.currency
    group by lines.organization_id, lines.supplier_id, lines.currency
  ),
  per_supplier as (
    select organization_id, supplier_id, currency, count(*) as invoice_count, sum(total) as spend,
      max(invoice_date) as last_invoice_on
    from bench_baseline.window_invoices
    where is_booked
    group by organization_id, supplier_id, currency
  )
  select per_supplier.organization_id, per_supplier.supplier_id, per_supplier.currency::char(3),
    supplier.name as supplier_name, per_supplier.invoice_count::integer,
    per_supplier.spend::numeric(20, 2),
    private.rounded_ratio(per_supplier.spend, per_supplier.invoice_count, 2)::numeric(20, 2)
      as average_invoice,
    private.rounded_ratio(100 * per_supplier.spend,
      sum(per_supplier.spend) over (partition by per_supplier.organization_id, per_supplier.currency),
      2) as share_of_spend_percent,
    round(coalesce(price_levels.exact_cost - price_levels.reference_cost, 0), 2)::numeric(20, 2)
      as price_variance,
    private.rounded_ratio(100 * (price_levels.exact_cost - price_levels.reference_cost),
      price_levels.reference_cost, 2) as price_variance_percent,
    per_supplier.last_invoice_on
  from per_supplier
  join public.suppliers as supplier
    on supplier.organization_id = per_supplier.organization_id
   and supplier.id = per_supplier.supplier_id
  left join price_levels
    on price_levels.organization_id = per_supplier.organization_id
   and price_levels.supplier_id = per_supplier.supplier_id
   and price_levels.currency = per_supplier.currency
with no data;

create materialized view bench_baseline.invoice_analytics as
  select organization_id, date_trunc('month', invoice_date)::date as month, status,
    currency::char(3), count(*)::integer as invoice_count, sum(total)::numeric(20, 2) as total_amount,
    private.rounded_ratio(sum(total), count(*), 2)::numeric(20, 2) as average_amount
  from bench_baseline.window_invoices
  group by 1, 2, 3, 4
with no data;

-- REFRESH ... CONCURRENTLY needs a unique index on each view.
create unique index on bench_baseline.dashboard_metrics (organization_id, currency);
create unique index on bench_baseline.product_metrics (organization_id, product_id, currency);
create unique index on bench_baseline.cogs_analysis (organization_id, month, category, currency);
create unique index on bench_baseline.supplier_metrics (organization_id, supplier_id, currency);
create unique index on bench_baseline.invoice_analytics (organization_id, month, status, currency);
`;
