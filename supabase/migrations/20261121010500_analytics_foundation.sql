-- =============================================================================
-- Analytics foundation: the schema holding the nightly datasets, the
-- per-organization refresh state (dirty marker and last rebuild), and the
-- private helpers every dataset's compute function shares.
--
-- Definitions shared by all datasets:
--   * booked spend: invoices whose status is pending, approved or paid;
--   * the reporting window of an as-of date: the twelve calendar months ending
--     with the as-of date's month, up to and including the as-of date;
--   * amounts are never summed across currencies: datasets have a currency
--     column and every total, share and average is per currency.
-- =============================================================================

create schema if not exists analytics;
comment on schema analytics is
  'Per-organization analytics: nightly dataset tables, refresh state and dataset read functions.';
revoke all on schema analytics from public;
grant usage on schema analytics to authenticated, service_role;

-- -----------------------------------------------------------------------------
-- Refresh state per organization
-- -----------------------------------------------------------------------------

create table analytics.organization_state (
  organization_id uuid primary key references public.organizations (id) on delete cascade,
  last_changed_at timestamptz,
  last_rebuilt_at timestamptz,
  rebuilt_as_of_date date
);
alter table analytics.organization_state enable row level security;
comment on table analytics.organization_state is
  'Dirty marker and rebuild bookkeeping. An organization needs a rebuild when it was never '
  'rebuilt or last_changed_at > last_rebuilt_at (see analytics.organization_freshness).';
comment on column analytics.organization_state.last_changed_at is
  'When a statement last changed rows the nightly datasets read (set by statement triggers).';
comment on column analytics.organization_state.last_rebuilt_at is
  'When the last committed rebuild started reading, i.e. the data it reflects is at least this '
  'recent.';
comment on column analytics.organization_state.rebuilt_as_of_date is
  'The as-of date the current dataset rows were computed for.';

revoke all on table analytics.organization_state from public;
grant select on table analytics.organization_state to authenticated;
grant all on table analytics.organization_state to service_role;

create policy "Organization members can read their refresh state"
  on analytics.organization_state for select to authenticated
  using (organization_id in (select private.current_user_organization_ids('member')));

create view analytics.organization_freshness
with (security_invoker = true)
as
  select
    organization.id as organization_id,
    organization.status,
    organization.time_zone,
    state.last_changed_at,
    state.last_rebuilt_at,
    state.rebuilt_as_of_date,
    (
      state.last_rebuilt_at is null
      or coalesce(state.last_changed_at > state.last_rebuilt_at, false)
    ) as needs_rebuild
  from public.organizations as organization
  left join analytics.organization_state as state on state.organization_id = organization.id;
comment on view analytics.organization_freshness is
  'Every organization with its refresh state; needs_rebuild is the dirty predicate.';

revoke all on table analytics.organization_freshness from public;
grant select on table analytics.organization_freshness to authenticated, service_role;

-- -----------------------------------------------------------------------------
-- Helpers shared by the compute functions
-- -----------------------------------------------------------------------------

-- Exact to the requested digits: the dividend gets 24 decimals first, so the
-- only rounding that matters is the final one (half away from zero).
create function private.rounded_ratio(numerator numeric, denominator numeric, digits integer)
returns numeric
language sql
immutable
set search_path = ''
as $$
  select case
    when denominator is null or denominator = 0 then null
    else round(numerator::numeric(1000, 24) / denominator, digits)
  end
$$;
comment on function private.rounded_ratio(numeric, numeric, integer) is
  'numerator / denominator rounded to digits decimals; null when the denominator is 0 or null.';

create function private.reporting_window_start(as_of_date date)
returns date
language sql
immutable
set search_path = ''
as $$
  select (date_trunc('month', as_of_date) - interval '11 months')::date
$$;
comment on function private.reporting_window_start(date) is
  'First day of the twelve calendar months ending with as_of_date''s month.';

create function private.invoice_totals(
  target_organization_id uuid,
  from_date date,
  to_date date
)
returns table (
  invoice_id uuid,
  invoice_date date,
  status public.invoice_status,
  is_booked boolean,
  supplier_id uuid,
  location_id uuid,
  currency char(3),
  total numeric(20, 2)
)
language sql
stable
set search_path = ''
as $$
  select
    invoice.id,
    invoice.invoice_date,
    invoice.status,
    invoice.status in ('pending', 'approved', 'paid'),
    invoice.supplier_id,
    invoice.location_id,
    invoice.currency,
    coalesce(sum(line.line_total), 0)
  from public.invoices as invoice
  left join public.invoice_lines as line
    on line.organization_id = invoice.organization_id and line.invoice_id = invoice.id
  where invoice.organization_id = target_organization_id
    and invoice.invoice_date between from_date and to_date
  group by invoice.id
$$;
comment on function private.invoice_totals(uuid, date, date) is
  'Every invoice of an organization dated in [from_date, to_date], any status, with its total '
  '(sum of line totals, 0 without lines) and whether it is booked spend.';

create function private.booked_invoice_lines(
  target_organization_id uuid,
  from_date date,
  to_date date
)
returns table (
  invoice_id uuid,
  invoice_date date,
  supplier_id uuid,
  location_id uuid,
  currency char(3),
  line_number integer,
  product_id uuid,
  quantity numeric(12, 3),
  unit_price numeric(12, 4),
  line_total numeric(14, 2)
)
language sql
stable
set search_path = ''
as $$
  select
    invoice.id,
    invoice.invoice_date,
    invoice.supplier_id,
    invoice.location_id,
    invoice.currency,
    line.line_number,
    line.product_id,
    line.quantity,
    line.unit_price,
    line.line_total
  from public.invoices as invoice
  join public.invoice_lines as line
    on line.organization_id = invoice.organization_id and line.invoice_id = invoice.id
  where invoice.organization_id = target_organization_id
    and invoice.invoice_date between from_date and to_date
    and invoice.status in ('pending', 'approved', 'paid')
$$;
comment on function private.booked_invoice_lines(uuid, date, date) is
  'Lines of the booked invoices (pending, approved, paid) of an organization dated in '
  '[from_date, to_date], with their invoice''s date, supplier, location and currency.';

-- Security invoker: callers see only what RLS lets them see. The live dataset
-- functions call these as the signed-in user; the nightly rebuild as its owner.
revoke execute on function
  private.rounded_ratio(numeric, numeric, integer),
  private.reporting_window_start(date),
  private.invoice_totals(uuid, date, date),
  private.booked_invoice_lines(uuid, date, date)
  from public;
grant execute on function
  private.rounded_ratio(numeric, numeric, integer),
  private.reporting_window_start(date),
  private.invoice_totals(uuid, date, date),
  private.booked_invoice_lines(uuid, date, date)
  to authenticated, service_role;
