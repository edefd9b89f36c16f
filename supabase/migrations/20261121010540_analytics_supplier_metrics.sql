-- =============================================================================
-- Nightly dataset `supplier-metrics`: spend and price level per supplier over
-- the reporting window, per organization and currency (booked invoices only).
--
--   invoice_count, spend, average_invoice   booked invoices of the supplier
--   share_of_spend_percent   100 x spend / spend with all suppliers
--   price_variance           what the supplier's lines cost above (or, negative,
--                            below) the organization's reference prices:
--                            sum over its lines of (unit_price - reference) x quantity,
--                            where a product's reference price is its quantity-weighted
--                            average unit price with all suppliers in the window
--   price_variance_percent   100 x price_variance / (its lines at reference prices)
--   last_invoice_on          date of its latest booked invoice in the window
-- =============================================================================

create table analytics.supplier_metrics (
  organization_id uuid not null references public.organizations (id) on delete cascade,
  supplier_id uuid not null,
  currency char(3) not null,
  supplier_name text not null,
  invoice_count integer not null,
  spend numeric(20, 2) not null,
  average_invoice numeric(20, 2),
  share_of_spend_percent numeric,
  price_variance numeric(20, 2) not null,
  price_variance_percent numeric,
  last_invoice_on date not null,
  primary key (organization_id, supplier_id, currency)
);
alter table analytics.supplier_metrics enable row level security;
comment on table analytics.supplier_metrics is
  'Nightly dataset supplier-metrics: one row per organization, supplier and currency.';

revoke all on table analytics.supplier_metrics from public;
grant select on table analytics.supplier_metrics to authenticated;
grant all on table analytics.supplier_metrics to service_role;

create policy "Organization members can read supplier metrics"
  on analytics.supplier_metrics for select to authenticated
  using (organization_id in (select private.current_user_organization_ids('member')));

-- -----------------------------------------------------------------------------
-- Compute
-- -----------------------------------------------------------------------------

create function analytics.compute_supplier_metrics(target_organization_id uuid, as_of date)
returns setof analytics.supplier_metrics
language sql
stable
set search_path = ''
as $$
  with lines as (
    select line.supplier_id, line.currency, line.product_id, line.quantity, line.unit_price
    from private.booked_invoice_lines(
      target_organization_id, private.reporting_window_start(as_of), as_of
    ) as line
  ),
  reference_prices as (
    select
      lines.product_id,
      lines.currency,
      sum(lines.quantity * lines.unit_price)::numeric(1000, 24) / sum(lines.quantity)
        as reference_unit_price
    from lines
    group by lines.product_id, lines.currency
  ),
  price_levels as (
    select
      lines.supplier_id,
      lines.currency,
      sum(lines.quantity * lines.unit_price) as exact_cost,
      sum(lines.quantity * reference.reference_unit_price) as reference_cost
    from lines
    join reference_prices as reference
      on reference.product_id = lines.product_id and reference.currency = lines.currency
    group by lines.supplier_id, lines.currency
  ),
  per_supplier as (
    select
      invoice.supplier_id,
      invoice.currency,
      count(*) as invoice_count,
      sum(invoice.total) as spend,
      max(invoice.invoice_date) as last_invoice_on
    from private.invoice_totals(
      target_organization_id, private.reporting_window_start(as_of), as_of
    ) as invoice
    where invoice.is_booked
    group by invoice.supplier_id, invoice.currency
  )
  select
    target_organization_id,
    per_supplier.supplier_id,
    per_supplier.currency,
    supplier.name,
    per_supplier.invoice_count::integer,
    per_supplier.spend,
    private.rounded_ratio(per_supplier.spend, per_supplier.invoice_count, 2),
    private.rounded_ratio(
      100 * per_supplier.spend,
      sum(per_supplier.spend) over (partition by per_supplier.currency),
      2
    ),
    round(coalesce(price_levels.exact_cost - price_levels.reference_cost, 0), 2),
    private.rounded_ratio(
      100 * (price_levels.exact_cost - price_levels.reference_cost),
      price_levels.reference_cost,
      2
    ),
    per_supplier.last_invoice_on
  from per_supplier
  join public.suppliers as supplier
    on supplier.organization_id = target_organization_id
    and supplier.id = per_supplier.supplier_id
  left join price_levels
    on price_levels.supplier_id = per_supplier.supplier_id
    and price_levels.currency = per_supplier.currency
$$;
comment on function analytics.compute_supplier_metrics(uuid, date) is
  'Computes the supplier-metrics rows of one organization as of a date, from base tables.';

revoke execute on function analytics.compute_supplier_metrics(uuid, date) from public;
grant execute on function analytics.compute_supplier_metrics(uuid, date) to service_role;
