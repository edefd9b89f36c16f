-- =============================================================================
-- Live datasets over reference data: `supplier-data`, `location-data` and
-- `user-preferences`, computed from base tables at request time.
--
-- All run as the caller (security invoker): RLS decides what they see, and a
-- caller who is not a member of the organization gets insufficient_privilege.
-- Activity columns count booked invoices (pending, approved, paid) dated in
-- [from_date, to_date], by default the 365 days ending today in the organization's time zone.
-- =============================================================================

-- -----------------------------------------------------------------------------
-- supplier-data
-- -----------------------------------------------------------------------------

create function analytics.supplier_data(
  target_organization_id uuid,
  from_date date default null,
  to_date date default null,
  filter_location_id uuid default null,
  filter_supplier_id uuid default null,
  max_rows integer default 100
)
returns table (
  supplier_id uuid,
  name text,
  contact_email text,
  phone text,
  country_code char(2),
  is_active boolean,
  invoice_count integer,
  product_count integer,
  last_invoice_date date
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
  effective_from date := coalesce(from_date, effective_to - 364);
begin
  perform private.assert_can_read_organization(target_organization_id);
  perform private.assert_valid_range(effective_from, effective_to, max_rows);

  return query
  with activity as (
    select
      invoice.supplier_id,
      count(distinct invoice.id) as invoice_count,
      count(distinct line.product_id) as product_count,
      max(invoice.invoice_date) as last_invoice_date
    from public.invoices as invoice
    left join public.invoice_lines as line
      on line.organization_id = invoice.organization_id and line.invoice_id = invoice.id
    where invoice.organization_id = target_organization_id
      and invoice.invoice_date between effective_from and effective_to
      and invoice.status in ('pending', 'approved', 'paid')
      and (filter_location_id is null or invoice.location_id = filter_location_id)
    group by invoice.supplier_id
  )
  select
    supplier.id,
    supplier.name,
    supplier.contact_email,
    supplier.phone,
    supplier.country_code,
    supplier.is_active,
    coalesce(activity.invoice_count, 0)::integer,
    coalesce(activity.product_count, 0)::integer,
    activity.last_invoice_date
  from public.suppliers as supplier
  left join activity on activity.supplier_id = supplier.id
  where supplier.organization_id = target_organization_id
    and (filter_supplier_id is null or supplier.id = filter_supplier_id)
  order by supplier.name, supplier.id
  limit max_rows;
end
$$;
comment on function analytics.supplier_data(uuid, date, date, uuid, uuid, integer) is
  'Live dataset supplier-data: the organization''s suppliers with their recent activity '
  '(optionally at one location), ordered by name.';

-- -----------------------------------------------------------------------------
-- location-data
-- -----------------------------------------------------------------------------

create function analytics.location_data(
  target_organization_id uuid,
  from_date date default null,
  to_date date default null,
  filter_location_id uuid default null,
  max_rows integer default 100
)
returns table (
  location_id uuid,
  code text,
  name text,
  city text,
  country_code char(2),
  is_active boolean,
  invoice_count integer,
  supplier_count integer,
  last_invoice_date date
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
  effective_from date := coalesce(from_date, effective_to - 364);
begin
  perform private.assert_can_read_organization(target_organization_id);
  perform private.assert_valid_range(effective_from, effective_to, max_rows);

  return query
  with activity as (
    select
      invoice.location_id,
      count(*) as invoice_count,
      count(distinct invoice.supplier_id) as supplier_count,
      max(invoice.invoice_date) as last_invoice_date
    from public.invoices as invoice
    where invoice.organization_id = target_organization_id
      and invoice.invoice_date between effective_from and effective_to
      and invoice.status in ('pending', 'approved', 'paid')
    group by invoice.location_id
  )
  select
    location.id,
    location.code,
    location.name,
    location.city,
    location.country_code,
    location.is_active,
    coalesce(activity.invoice_count, 0)::integer,
    coalesce(activity.supplier_count, 0)::integer,
    activity.last_invoice_date
  from public.locations as location
  left join activity on activity.location_id = location.id
  where location.organization_id = target_organization_id
    and (filter_location_id is null or location.id = filter_location_id)
  order by location.code, location.id
  limit max_rows;
end
$$;
comment on function analytics.location_data(uuid, date, date, uuid, integer) is
  'Live dataset location-data: the organization''s locations with their recent activity, '
  'ordered by code.';

-- -----------------------------------------------------------------------------
-- user-preferences
-- -----------------------------------------------------------------------------

create function analytics.current_user_preferences(target_organization_id uuid)
returns table (
  user_id uuid,
  default_location_id uuid,
  default_location_name text,
  display_currency char(3),
  price_alert_threshold_percent numeric(6, 2),
  settings jsonb
)
language plpgsql
stable
set search_path = ''
as $$
begin
  perform private.assert_can_read_organization(target_organization_id);

  -- Without a signed-in user (service_role) there are no preferences to show.
  return query
  select
    (select auth.uid()),
    preference.default_location_id,
    location.name,
    preference.display_currency,
    coalesce(preference.price_alert_threshold_percent, 10.00)::numeric(6, 2),
    coalesce(preference.settings, '{}'::jsonb)
  from (select 1) as one
  left join public.user_preferences as preference
    on preference.organization_id = target_organization_id
    and preference.user_id = (select auth.uid())
  left join public.locations as location
    on location.organization_id = target_organization_id
    and location.id = preference.default_location_id
  where (select auth.uid()) is not null;
end
$$;
comment on function analytics.current_user_preferences(uuid) is
  'Live dataset user-preferences: the signed-in user''s preferences for the organization, with '
  'defaults when none are saved (threshold 10 %, empty settings).';

-- -----------------------------------------------------------------------------
-- Grants
-- -----------------------------------------------------------------------------

revoke execute on function
  analytics.supplier_data(uuid, date, date, uuid, uuid, integer),
  analytics.location_data(uuid, date, date, uuid, integer),
  analytics.current_user_preferences(uuid)
  from public;
grant execute on function
  analytics.supplier_data(uuid, date, date, uuid, uuid, integer),
  analytics.location_data(uuid, date, date, uuid, integer),
  analytics.current_user_preferences(uuid)
  to authenticated, service_role;
