-- =============================================================================
-- Nightly dataset `product-metrics`: what each product cost over the reporting
-- window, per organization, product and currency (booked lines only).
--
--   quantity_total, spend_total     sums of quantity and line totals
--   average_unit_price              sum(quantity x unit_price) / sum(quantity)
--   min/max_unit_price              extremes of the unit price
--   first/last_unit_price           unit price of the first / last purchase, purchases
--                                   ordered by invoice date, invoice id, line number
--   price_change_percent            100 x (last - first) / first; null when first is 0
--   first/last_purchased_on         invoice dates of the first / last purchase
--
-- Product sku, name, category and unit are copied in, so the dataset serves
-- as is; renaming a product marks the organization dirty.
-- =============================================================================

create table analytics.product_metrics (
  organization_id uuid not null references public.organizations (id) on delete cascade,
  product_id uuid not null,
  currency char(3) not null,
  sku text not null,
  product_name text not null,
  category text not null,
  unit text not null,
  line_count integer not null,
  quantity_total numeric(20, 3) not null,
  spend_total numeric(20, 2) not null,
  average_unit_price numeric(12, 4),
  min_unit_price numeric(12, 4) not null,
  max_unit_price numeric(12, 4) not null,
  first_unit_price numeric(12, 4) not null,
  last_unit_price numeric(12, 4) not null,
  price_change_percent numeric,
  first_purchased_on date not null,
  last_purchased_on date not null,
  primary key (organization_id, product_id, currency)
);
alter table analytics.product_metrics enable row level security;
comment on table analytics.product_metrics is
  'Nightly dataset product-metrics: one row per organization, product and currency.';

revoke all on table analytics.product_metrics from public;
grant select on table analytics.product_metrics to authenticated;
grant all on table analytics.product_metrics to service_role;

create policy "Organization members can read product metrics"
  on analytics.product_metrics for select to authenticated
  using (organization_id in (select private.current_user_organization_ids('member')));

-- -----------------------------------------------------------------------------
-- Compute
-- -----------------------------------------------------------------------------

create function analytics.compute_product_metrics(target_organization_id uuid, as_of date)
returns setof analytics.product_metrics
language sql
stable
set search_path = ''
as $$
  with lines as (
    select
      line.*,
      row_number() over (
        partition by line.product_id, line.currency
        order by line.invoice_date, line.invoice_id, line.line_number
      ) as purchase_rank,
      row_number() over (
        partition by line.product_id, line.currency
        order by line.invoice_date desc, line.invoice_id desc, line.line_number desc
      ) as reverse_purchase_rank
    from private.booked_invoice_lines(
      target_organization_id, private.reporting_window_start(as_of), as_of
    ) as line
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
      max(lines.unit_price) filter (where lines.purchase_rank = 1) as first_unit_price,
      max(lines.unit_price) filter (where lines.reverse_purchase_rank = 1) as last_unit_price,
      min(lines.invoice_date) as first_purchased_on,
      max(lines.invoice_date) as last_purchased_on
    from lines
    group by lines.product_id, lines.currency
  )
  select
    target_organization_id,
    per_product.product_id,
    per_product.currency,
    product.sku,
    product.name,
    product.category,
    product.unit,
    per_product.line_count::integer,
    per_product.quantity_total,
    per_product.spend_total,
    private.rounded_ratio(per_product.exact_cost, per_product.quantity_total, 4),
    per_product.min_unit_price,
    per_product.max_unit_price,
    per_product.first_unit_price,
    per_product.last_unit_price,
    private.rounded_ratio(
      100 * (per_product.last_unit_price - per_product.first_unit_price),
      per_product.first_unit_price,
      2
    ),
    per_product.first_purchased_on,
    per_product.last_purchased_on
  from per_product
  join public.products as product
    on product.organization_id = target_organization_id and product.id = per_product.product_id
$$;
comment on function analytics.compute_product_metrics(uuid, date) is
  'Computes the product-metrics rows of one organization as of a date, from base tables.';

revoke execute on function analytics.compute_product_metrics(uuid, date) from public;
grant execute on function analytics.compute_product_metrics(uuid, date) to service_role;
