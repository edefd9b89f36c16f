-- =============================================================================
-- Nightly dataset `cogs-analysis`: cost of goods by product category and
-- calendar month over the reporting window, per organization and currency
-- (booked lines only).
--
--   spend                   sum of line totals of the category in the month
--   share_of_month_percent  100 x spend / spend of all categories in that month
--   share_of_total_percent  100 x spend / spend of the whole window
-- (shares are within one currency and null when the whole is 0)
-- =============================================================================

create table analytics.cogs_analysis (
  organization_id uuid not null references public.organizations (id) on delete cascade,
  month date not null,
  category text not null,
  currency char(3) not null,
  line_count integer not null,
  spend numeric(20, 2) not null,
  share_of_month_percent numeric,
  share_of_total_percent numeric,
  primary key (organization_id, month, category, currency),
  constraint cogs_analysis_month_is_first_day check (extract(day from month) = 1)
);
alter table analytics.cogs_analysis enable row level security;
comment on table analytics.cogs_analysis is
  'Nightly dataset cogs-analysis: one row per organization, month, category and currency.';

revoke all on table analytics.cogs_analysis from public;
grant select on table analytics.cogs_analysis to authenticated;
grant all on table analytics.cogs_analysis to service_role;

create policy "Organization members can read the COGS analysis"
  on analytics.cogs_analysis for select to authenticated
  using (organization_id in (select private.current_user_organization_ids('member')));

-- -----------------------------------------------------------------------------
-- Compute
-- -----------------------------------------------------------------------------

create function analytics.compute_cogs_analysis(target_organization_id uuid, as_of date)
returns setof analytics.cogs_analysis
language sql
stable
set search_path = ''
as $$
  with per_month_and_category as (
    select
      date_trunc('month', line.invoice_date)::date as month,
      product.category,
      line.currency,
      count(*) as line_count,
      sum(line.line_total) as spend
    from private.booked_invoice_lines(
      target_organization_id, private.reporting_window_start(as_of), as_of
    ) as line
    join public.products as product
      on product.organization_id = target_organization_id and product.id = line.product_id
    group by 1, 2, 3
  )
  select
    target_organization_id,
    cell.month,
    cell.category,
    cell.currency,
    cell.line_count::integer,
    cell.spend,
    private.rounded_ratio(
      100 * cell.spend, sum(cell.spend) over (partition by cell.month, cell.currency), 2
    ),
    private.rounded_ratio(100 * cell.spend, sum(cell.spend) over (partition by cell.currency), 2)
  from per_month_and_category as cell
$$;
comment on function analytics.compute_cogs_analysis(uuid, date) is
  'Computes the cogs-analysis rows of one organization as of a date, from base tables.';

revoke execute on function analytics.compute_cogs_analysis(uuid, date) from public;
grant execute on function analytics.compute_cogs_analysis(uuid, date) to service_role;
