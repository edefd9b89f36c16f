-- =============================================================================
-- threshold_percent has one domain everywhere (issue 13, item 4): greater than 0
-- and at most 1000, as the datasets function validates it and
-- user_preferences.price_alert_threshold_percent stores it. analytics.price_alerts
-- refused 0 and below but accepted any larger value; it now refuses above 1000 too.
-- The function is otherwise unchanged (20261121010800_live_price_alerts.sql).
-- =============================================================================

create or replace function analytics.price_alerts(
  target_organization_id uuid,
  from_date date default null,
  to_date date default null,
  filter_location_id uuid default null,
  filter_supplier_id uuid default null,
  threshold_percent numeric default null,
  max_rows integer default 50
)
returns table (
  product_id uuid,
  sku text,
  product_name text,
  category text,
  supplier_id uuid,
  supplier_name text,
  currency char(3),
  latest_invoice_id uuid,
  latest_invoice_date date,
  latest_unit_price numeric(12, 4),
  reference_unit_price numeric(12, 4),
  change_percent numeric,
  purchase_count integer
)
language plpgsql
stable
-- Optional filters (`x is null or ...`) make PL/pgSQL's generic plan, chosen
-- after five calls on one connection, far slower than a custom one.
set plan_cache_mode = force_custom_plan
set search_path = ''
as $$
declare
  effective_to date := coalesce(to_date, private.organization_local_date(target_organization_id));
  effective_from date := coalesce(from_date, effective_to - 89);
  effective_threshold numeric;
begin
  perform private.assert_can_read_organization(target_organization_id);
  perform private.assert_valid_range(effective_from, effective_to, max_rows);
  if threshold_percent is not null and (threshold_percent <= 0 or threshold_percent > 1000) then
    raise exception 'Invalid threshold_percent: expected a number greater than 0 and at most 1000, received %',
      threshold_percent using errcode = 'invalid_parameter_value';
  end if;

  select coalesce(threshold_percent, preference.price_alert_threshold_percent, 10)
  into effective_threshold
  from (select 1) as one
  left join public.user_preferences as preference
    on preference.organization_id = target_organization_id
    and preference.user_id = (select auth.uid());

  return query
  with lines as (
    select
      line.*,
      row_number() over (
        partition by line.product_id, line.supplier_id, line.currency
        order by line.invoice_date desc, line.invoice_id desc, line.line_number desc
      ) as recency_rank,
      max(line.invoice_date) over (
        partition by line.product_id, line.supplier_id, line.currency
      ) as latest_date
    from private.booked_invoice_lines(target_organization_id, effective_from, effective_to)
      as line
    where (filter_location_id is null or line.location_id = filter_location_id)
      and (filter_supplier_id is null or line.supplier_id = filter_supplier_id)
  ),
  earlier as (
    select
      lines.product_id,
      lines.supplier_id,
      lines.currency,
      sum(lines.quantity * lines.unit_price)::numeric(1000, 24) / sum(lines.quantity)
        as reference_unit_price,
      count(*) + 1 as purchase_count
    from lines
    where lines.invoice_date < lines.latest_date
    group by lines.product_id, lines.supplier_id, lines.currency
  ),
  compared as (
    select
      latest.product_id,
      latest.supplier_id,
      latest.currency,
      latest.invoice_id as latest_invoice_id,
      latest.invoice_date as latest_invoice_date,
      latest.unit_price as latest_unit_price,
      earlier.reference_unit_price,
      earlier.purchase_count
    from lines as latest
    join earlier
      on earlier.product_id = latest.product_id
      and earlier.supplier_id = latest.supplier_id
      and earlier.currency = latest.currency
    where latest.recency_rank = 1
      and earlier.reference_unit_price > 0
  )
  select
    compared.product_id,
    product.sku,
    product.name,
    product.category,
    compared.supplier_id,
    supplier.name,
    compared.currency,
    compared.latest_invoice_id,
    compared.latest_invoice_date,
    compared.latest_unit_price,
    round(compared.reference_unit_price, 4)::numeric(12, 4),
    private.rounded_ratio(
      100 * (compared.latest_unit_price - compared.reference_unit_price),
      compared.reference_unit_price,
      2
    ),
    compared.purchase_count::integer
  from compared
  join public.products as product
    on product.organization_id = target_organization_id and product.id = compared.product_id
  join public.suppliers as supplier
    on supplier.organization_id = target_organization_id and supplier.id = compared.supplier_id
  where abs(compared.latest_unit_price - compared.reference_unit_price) * 100
        >= effective_threshold * compared.reference_unit_price
  order by
    abs(compared.latest_unit_price - compared.reference_unit_price)
      / compared.reference_unit_price desc,
    product.sku,
    compared.supplier_id,
    compared.currency
  limit max_rows;
end
$$;
comment on function analytics.price_alerts(uuid, date, date, uuid, uuid, numeric, integer) is
  'Live dataset price-alerts: latest prices that moved by at least threshold_percent against '
  'earlier purchases from the same supplier. Dates default to the 90 days ending today in the organization''s time zone.';
