-- =============================================================================
-- Procurement catalog: the suppliers an organization buys from, the locations
-- it buys for, and the products it buys. Members read; admins and owners write.
--
-- Each table has `unique (organization_id, id)` so that invoices and lines can
-- reference it with a composite foreign key: a row of one organization can
-- never point at a supplier, location or product of another.
-- Rows are removed with their organization (on delete cascade); removing one
-- that invoices still reference is refused (deactivate it instead).
-- =============================================================================

-- -----------------------------------------------------------------------------
-- Suppliers
-- -----------------------------------------------------------------------------

create table public.suppliers (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  name text not null,
  contact_email text,
  phone text,
  country_code char(2),
  is_active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint suppliers_id_within_organization unique (organization_id, id),
  constraint suppliers_name_unique_within_organization unique (organization_id, name),
  constraint suppliers_name_not_blank check (length(btrim(name)) between 1 and 200),
  constraint suppliers_contact_email_looks_like_email
    check (contact_email is null or contact_email ~ '^[^@\s]+@[^@\s]+$'),
  constraint suppliers_country_code_is_iso_3166 check (country_code ~ '^[A-Z]{2}$')
);
alter table public.suppliers enable row level security;
comment on table public.suppliers is 'Companies an organization receives invoices from.';

create trigger suppliers_touch_updated_at
  before update on public.suppliers
  for each row execute function private.touch_updated_at();

-- -----------------------------------------------------------------------------
-- Locations
-- -----------------------------------------------------------------------------

create table public.locations (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  code text not null,
  name text not null,
  city text,
  country_code char(2),
  is_active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint locations_id_within_organization unique (organization_id, id),
  constraint locations_code_unique_within_organization unique (organization_id, code),
  constraint locations_code_not_blank check (length(btrim(code)) between 1 and 50),
  constraint locations_name_not_blank check (length(btrim(name)) between 1 and 200),
  constraint locations_country_code_is_iso_3166 check (country_code ~ '^[A-Z]{2}$')
);
alter table public.locations enable row level security;
comment on table public.locations is 'Sites (restaurants, stores, warehouses) goods are delivered to.';

create trigger locations_touch_updated_at
  before update on public.locations
  for each row execute function private.touch_updated_at();

-- -----------------------------------------------------------------------------
-- Products
-- -----------------------------------------------------------------------------

create table public.products (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  sku text not null,
  name text not null,
  category text not null,
  unit text not null default 'each',
  is_active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint products_id_within_organization unique (organization_id, id),
  constraint products_sku_unique_within_organization unique (organization_id, sku),
  constraint products_sku_not_blank check (length(btrim(sku)) between 1 and 64),
  constraint products_name_not_blank check (length(btrim(name)) between 1 and 200),
  constraint products_category_not_blank check (length(btrim(category)) between 1 and 100),
  constraint products_unit_is_known
    check (unit in ('each', 'kg', 'g', 'l', 'ml', 'm', 'box', 'case', 'pack', 'hour'))
);
alter table public.products enable row level security;
comment on table public.products is 'Items an organization buys; category drives the COGS analysis.';
comment on column public.products.unit is 'Unit of quantity on invoice lines (each, kg, l, box, ...).';

create trigger products_touch_updated_at
  before update on public.products
  for each row execute function private.touch_updated_at();

-- -----------------------------------------------------------------------------
-- Grants (see the tenancy migration on why defaults are narrowed)
-- -----------------------------------------------------------------------------

revoke all on table public.suppliers, public.locations, public.products
  from anon, authenticated;
grant select, insert, update, delete
  on table public.suppliers, public.locations, public.products to authenticated;
grant all on table public.suppliers, public.locations, public.products to service_role;

-- -----------------------------------------------------------------------------
-- Policies: suppliers
-- -----------------------------------------------------------------------------

create policy "Organization members can read suppliers"
  on public.suppliers for select to authenticated
  using (organization_id in (select private.current_user_organization_ids('member')));

create policy "Organization admins can add suppliers"
  on public.suppliers for insert to authenticated
  with check (organization_id in (select private.current_user_organization_ids('admin')));

create policy "Organization admins can change suppliers"
  on public.suppliers for update to authenticated
  using (organization_id in (select private.current_user_organization_ids('admin')))
  with check (organization_id in (select private.current_user_organization_ids('admin')));

create policy "Organization admins can remove suppliers"
  on public.suppliers for delete to authenticated
  using (organization_id in (select private.current_user_organization_ids('admin')));

-- -----------------------------------------------------------------------------
-- Policies: locations
-- -----------------------------------------------------------------------------

create policy "Organization members can read locations"
  on public.locations for select to authenticated
  using (organization_id in (select private.current_user_organization_ids('member')));

create policy "Organization admins can add locations"
  on public.locations for insert to authenticated
  with check (organization_id in (select private.current_user_organization_ids('admin')));

create policy "Organization admins can change locations"
  on public.locations for update to authenticated
  using (organization_id in (select private.current_user_organization_ids('admin')))
  with check (organization_id in (select private.current_user_organization_ids('admin')));

create policy "Organization admins can remove locations"
  on public.locations for delete to authenticated
  using (organization_id in (select private.current_user_organization_ids('admin')));

-- -----------------------------------------------------------------------------
-- Policies: products
-- -----------------------------------------------------------------------------

create policy "Organization members can read products"
  on public.products for select to authenticated
  using (organization_id in (select private.current_user_organization_ids('member')));

create policy "Organization admins can add products"
  on public.products for insert to authenticated
  with check (organization_id in (select private.current_user_organization_ids('admin')));

create policy "Organization admins can change products"
  on public.products for update to authenticated
  using (organization_id in (select private.current_user_organization_ids('admin')))
  with check (organization_id in (select private.current_user_organization_ids('admin')));

create policy "Organization admins can remove products"
  on public.products for delete to authenticated
  using (organization_id in (select private.current_user_organization_ids('admin')));
