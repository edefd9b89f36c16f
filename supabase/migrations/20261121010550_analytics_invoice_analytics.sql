-- =============================================================================
-- Nightly dataset `invoice-analytics`: invoices by calendar month and status
-- over the reporting window, per organization and currency. Unlike the other
-- datasets it covers every status, drafts and cancelled invoices included.
--
--   invoice_count, total_amount   invoices and the sum of their totals
--   average_amount                total_amount / invoice_count
-- (an invoice without lines counts, with a total of 0)
-- =============================================================================

create table analytics.invoice_analytics (
  organization_id uuid not null references public.organizations (id) on delete cascade,
  month date not null,
  status public.invoice_status not null,
  currency char(3) not null,
  invoice_count integer not null,
  total_amount numeric(20, 2) not null,
  average_amount numeric(20, 2) not null,
  primary key (organization_id, month, status, currency),
  constraint invoice_analytics_month_is_first_day check (extract(day from month) = 1)
);
alter table analytics.invoice_analytics enable row level security;
comment on table analytics.invoice_analytics is
  'Nightly dataset invoice-analytics: one row per organization, month, status and currency.';

revoke all on table analytics.invoice_analytics from public;
grant select on table analytics.invoice_analytics to authenticated;
grant all on table analytics.invoice_analytics to service_role;

create policy "Organization members can read invoice analytics"
  on analytics.invoice_analytics for select to authenticated
  using (organization_id in (select private.current_user_organization_ids('member')));

-- -----------------------------------------------------------------------------
-- Compute
-- -----------------------------------------------------------------------------

create function analytics.compute_invoice_analytics(target_organization_id uuid, as_of date)
returns setof analytics.invoice_analytics
language sql
stable
set search_path = ''
as $$
  select
    target_organization_id,
    date_trunc('month', invoice.invoice_date)::date,
    invoice.status,
    invoice.currency,
    count(*)::integer,
    sum(invoice.total),
    private.rounded_ratio(sum(invoice.total), count(*), 2)
  from private.invoice_totals(
    target_organization_id, private.reporting_window_start(as_of), as_of
  ) as invoice
  group by 2, 3, 4
$$;
comment on function analytics.compute_invoice_analytics(uuid, date) is
  'Computes the invoice-analytics rows of one organization as of a date, from base tables.';

revoke execute on function analytics.compute_invoice_analytics(uuid, date) from public;
grant execute on function analytics.compute_invoice_analytics(uuid, date) to service_role;
