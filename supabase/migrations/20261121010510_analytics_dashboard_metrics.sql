-- =============================================================================
-- Nightly dataset `dashboard-metrics`: headline spend figures per organization
-- and currency, as of a date.
--
--   spend_last_30_days       booked spend dated in (as_of - 30 days, as_of]
--   spend_previous_30_days   booked spend dated in (as_of - 60 days, as_of - 30 days]
--   spend_change_30_days_percent   100 x (last - previous) / previous; null when previous is 0
--   spend_last/previous_90_days and spend_change_90_days_percent: the same over 90 days
--   invoice_count_last_30_days     booked invoices in the last 30 days
--   average_invoice_last_30_days   spend_last_30_days / invoice_count_last_30_days
--   active_suppliers_last_90_days  suppliers with a booked invoice in the last 90 days
--
-- One row per currency with booked invoices in the last 180 days; an
-- organization without such invoices has no rows.
-- =============================================================================

create table analytics.dashboard_metrics (
  organization_id uuid not null references public.organizations (id) on delete cascade,
  currency char(3) not null,
  as_of_date date not null,
  spend_last_30_days numeric(20, 2) not null,
  spend_previous_30_days numeric(20, 2) not null,
  spend_change_30_days_percent numeric,
  spend_last_90_days numeric(20, 2) not null,
  spend_previous_90_days numeric(20, 2) not null,
  spend_change_90_days_percent numeric,
  invoice_count_last_30_days integer not null,
  average_invoice_last_30_days numeric(20, 2),
  active_suppliers_last_90_days integer not null,
  primary key (organization_id, currency)
);
alter table analytics.dashboard_metrics enable row level security;
comment on table analytics.dashboard_metrics is
  'Nightly dataset dashboard-metrics: one row per organization and currency.';

revoke all on table analytics.dashboard_metrics from public;
grant select on table analytics.dashboard_metrics to authenticated;
grant all on table analytics.dashboard_metrics to service_role;

create policy "Organization members can read dashboard metrics"
  on analytics.dashboard_metrics for select to authenticated
  using (organization_id in (select private.current_user_organization_ids('member')));

-- -----------------------------------------------------------------------------
-- Compute
-- -----------------------------------------------------------------------------

create function analytics.compute_dashboard_metrics(target_organization_id uuid, as_of date)
returns setof analytics.dashboard_metrics
language sql
stable
set search_path = ''
as $$
  with booked as (
    select invoice.invoice_date, invoice.supplier_id, invoice.currency, invoice.total
    from private.invoice_totals(target_organization_id, as_of - 179, as_of) as invoice
    where invoice.is_booked
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
    per_currency.currency,
    as_of,
    per_currency.spend_last_30_days,
    per_currency.spend_previous_30_days,
    private.rounded_ratio(
      100 * (per_currency.spend_last_30_days - per_currency.spend_previous_30_days),
      per_currency.spend_previous_30_days,
      2
    ),
    per_currency.spend_last_90_days,
    per_currency.spend_previous_90_days,
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
    ),
    per_currency.active_suppliers_last_90_days::integer
  from per_currency
$$;
comment on function analytics.compute_dashboard_metrics(uuid, date) is
  'Computes the dashboard-metrics rows of one organization as of a date, from base tables.';

revoke execute on function analytics.compute_dashboard_metrics(uuid, date) from public;
grant execute on function analytics.compute_dashboard_metrics(uuid, date) to service_role;
