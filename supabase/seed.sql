-- =============================================================================
-- Demo data for local development. Loaded into a new `deno task dev` cluster
-- (and by `supabase db reset`). Deterministic: values are hashes of row
-- numbers; invoice dates are relative to the day the seed runs, so dashboards
-- always show recent activity.
--
-- Every demo user signs in with the password `nightshift-demo` (supabase-js
-- `auth.signInWithPassword`); stored as GoTrue stores it (bcrypt, cost 10, in
-- auth.users.encrypted_password). `deno task jwt <user id>` mints a token too.
--
--   user id                                name          memberships
--   d0000000-0000-4000-8000-000000000001   Olivia Owner  owner of Nordic Bistro, owner of Copper Canteen
--   d0000000-0000-4000-8000-000000000002   Adam Admin    admin of Nordic Bistro
--   d0000000-0000-4000-8000-000000000003   Mia Member    member of Nordic Bistro
--   d0000000-0000-4000-8000-000000000004   Sam Shared    member of Nordic Bistro, admin of Harbor Deli
--   d0000000-0000-4000-8000-000000000005   Hugo Harbor   owner of Harbor Deli
--   d0000000-0000-4000-8000-000000000006   Nora Nobody   no organization
--
--   organization id                        name            data
--   0a000000-0000-4000-8000-000000000001   Nordic Bistro   4 suppliers, 2 locations, 10 products, 160 invoices
--   0a000000-0000-4000-8000-000000000002   Harbor Deli     3 suppliers, 1 location, 6 products, 60 invoices (DKK and EUR)
--   0a000000-0000-4000-8000-000000000003   Copper Canteen  suspended, no invoices
-- =============================================================================

-- -----------------------------------------------------------------------------
-- Users
-- -----------------------------------------------------------------------------

insert into auth.users (
  id, instance_id, aud, role, email, encrypted_password, email_confirmed_at, raw_app_meta_data,
  raw_user_meta_data
)
select
  person.id::uuid,
  '00000000-0000-0000-0000-000000000000'::uuid,
  'authenticated',
  'authenticated',
  person.email,
  extensions.crypt('nightshift-demo', extensions.gen_salt('bf', 10)),
  now(),
  '{"provider": "email", "providers": ["email"]}'::jsonb,
  jsonb_build_object('full_name', person.name)
from (values
  ('d0000000-0000-4000-8000-000000000001', 'olivia@demo.nightshift.test', 'Olivia Owner'),
  ('d0000000-0000-4000-8000-000000000002', 'adam@demo.nightshift.test', 'Adam Admin'),
  ('d0000000-0000-4000-8000-000000000003', 'mia@demo.nightshift.test', 'Mia Member'),
  ('d0000000-0000-4000-8000-000000000004', 'sam@demo.nightshift.test', 'Sam Shared'),
  ('d0000000-0000-4000-8000-000000000005', 'hugo@demo.nightshift.test', 'Hugo Harbor'),
  ('d0000000-0000-4000-8000-000000000006', 'nora@demo.nightshift.test', 'Nora Nobody')
) as person (id, email, name);

-- -----------------------------------------------------------------------------
-- Organizations and members
-- -----------------------------------------------------------------------------

insert into public.organizations (id, name, status, time_zone) values
  ('0a000000-0000-4000-8000-000000000001', 'Nordic Bistro', 'active', 'Europe/Copenhagen'),
  ('0a000000-0000-4000-8000-000000000002', 'Harbor Deli', 'active', 'Europe/Copenhagen'),
  ('0a000000-0000-4000-8000-000000000003', 'Copper Canteen', 'suspended', 'Europe/Berlin');

insert into public.organization_members (organization_id, user_id, role) values
  ('0a000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-000000000001', 'owner'),
  ('0a000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-000000000002', 'admin'),
  ('0a000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-000000000003', 'member'),
  ('0a000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-000000000004', 'member'),
  ('0a000000-0000-4000-8000-000000000002', 'd0000000-0000-4000-8000-000000000005', 'owner'),
  ('0a000000-0000-4000-8000-000000000002', 'd0000000-0000-4000-8000-000000000004', 'admin'),
  ('0a000000-0000-4000-8000-000000000003', 'd0000000-0000-4000-8000-000000000001', 'owner');

-- -----------------------------------------------------------------------------
-- Catalogs (ids: 5b... suppliers, 1c... locations, 9d... products)
-- -----------------------------------------------------------------------------

insert into public.suppliers (id, organization_id, name, contact_email, country_code) values
  ('5b000000-0000-4000-8000-000000000101', '0a000000-0000-4000-8000-000000000001',
   'Fresh Fields Produce', 'orders@freshfields.example', 'DK'),
  ('5b000000-0000-4000-8000-000000000102', '0a000000-0000-4000-8000-000000000001',
   'North Sea Fisheries', 'sales@northsea.example', 'DK'),
  ('5b000000-0000-4000-8000-000000000103', '0a000000-0000-4000-8000-000000000001',
   'Baltic Dairy', 'hello@balticdairy.example', 'SE'),
  ('5b000000-0000-4000-8000-000000000104', '0a000000-0000-4000-8000-000000000001',
   'Metro Wholesale', 'b2b@metro.example', 'DE'),
  ('5b000000-0000-4000-8000-000000000201', '0a000000-0000-4000-8000-000000000002',
   'Harbor Bakery Supply', 'orders@harborbakery.example', 'DK'),
  ('5b000000-0000-4000-8000-000000000202', '0a000000-0000-4000-8000-000000000002',
   'Alpine Cheese Traders', 'sales@alpinecheese.example', 'CH'),
  ('5b000000-0000-4000-8000-000000000203', '0a000000-0000-4000-8000-000000000002',
   'Sunrise Beverages', 'orders@sunrise.example', 'DK');

insert into public.locations (id, organization_id, code, name, city, country_code) values
  ('1c000000-0000-4000-8000-000000000101', '0a000000-0000-4000-8000-000000000001',
   'CPH-1', 'Nordic Bistro Vesterbro', 'Copenhagen', 'DK'),
  ('1c000000-0000-4000-8000-000000000102', '0a000000-0000-4000-8000-000000000001',
   'AAR-1', 'Nordic Bistro Aarhus', 'Aarhus', 'DK'),
  ('1c000000-0000-4000-8000-000000000201', '0a000000-0000-4000-8000-000000000002',
   'HAR-1', 'Harbor Deli Nyhavn', 'Copenhagen', 'DK');

insert into public.products (id, organization_id, sku, name, category, unit) values
  ('9d000000-0000-4000-8000-000000000101', '0a000000-0000-4000-8000-000000000001', 'NB-TOM', 'Tomatoes', 'Produce', 'kg'),
  ('9d000000-0000-4000-8000-000000000102', '0a000000-0000-4000-8000-000000000001', 'NB-POT', 'Potatoes', 'Produce', 'kg'),
  ('9d000000-0000-4000-8000-000000000103', '0a000000-0000-4000-8000-000000000001', 'NB-SAL', 'Salmon fillet', 'Seafood', 'kg'),
  ('9d000000-0000-4000-8000-000000000104', '0a000000-0000-4000-8000-000000000001', 'NB-COD', 'Cod loin', 'Seafood', 'kg'),
  ('9d000000-0000-4000-8000-000000000105', '0a000000-0000-4000-8000-000000000001', 'NB-MLK', 'Whole milk', 'Dairy', 'l'),
  ('9d000000-0000-4000-8000-000000000106', '0a000000-0000-4000-8000-000000000001', 'NB-BUT', 'Butter', 'Dairy', 'kg'),
  ('9d000000-0000-4000-8000-000000000107', '0a000000-0000-4000-8000-000000000001', 'NB-OIL', 'Olive oil', 'Dry goods', 'l'),
  ('9d000000-0000-4000-8000-000000000108', '0a000000-0000-4000-8000-000000000001', 'NB-FLR', 'Flour', 'Dry goods', 'kg'),
  ('9d000000-0000-4000-8000-000000000109', '0a000000-0000-4000-8000-000000000001', 'NB-NAP', 'Napkins', 'Packaging', 'case'),
  ('9d000000-0000-4000-8000-000000000110', '0a000000-0000-4000-8000-000000000001', 'NB-SOA', 'Dish soap', 'Cleaning', 'l'),
  ('9d000000-0000-4000-8000-000000000201', '0a000000-0000-4000-8000-000000000002', 'HD-SOU', 'Sourdough loaf', 'Bakery', 'each'),
  ('9d000000-0000-4000-8000-000000000202', '0a000000-0000-4000-8000-000000000002', 'HD-CRO', 'Croissants', 'Bakery', 'box'),
  ('9d000000-0000-4000-8000-000000000203', '0a000000-0000-4000-8000-000000000002', 'HD-CHE', 'Cheddar', 'Dairy', 'kg'),
  ('9d000000-0000-4000-8000-000000000204', '0a000000-0000-4000-8000-000000000002', 'HD-GRU', 'Gruyere', 'Dairy', 'kg'),
  ('9d000000-0000-4000-8000-000000000205', '0a000000-0000-4000-8000-000000000002', 'HD-WAT', 'Sparkling water', 'Beverages', 'case'),
  ('9d000000-0000-4000-8000-000000000206', '0a000000-0000-4000-8000-000000000002', 'HD-JUI', 'Orange juice', 'Beverages', 'l');

-- -----------------------------------------------------------------------------
-- Invoices and lines: row n of an organization draws its values from
-- hashint8extended(n, stream); ids are md5 of a fixed text.
-- -----------------------------------------------------------------------------

create temporary table demo_invoice_plan as
select
  plan.organization_id,
  plan.n,
  md5(format('nightshift-demo:invoice:%s:%s', plan.organization_id, plan.n))::uuid as invoice_id,
  plan.suppliers[1 + (hashint8extended(plan.n, 11) & 1023) % array_length(plan.suppliers, 1)]
    as supplier_id,
  plan.locations[1 + (hashint8extended(plan.n, 12) & 1023) % array_length(plan.locations, 1)]
    as location_id,
  current_date - ((plan.n * 397 + (hashint8extended(plan.n, 13) & 7)) % plan.days)::integer
    as invoice_date,
  case
    when (hashint8extended(plan.n, 14) & 1023) < 20 then 'draft'
    when (hashint8extended(plan.n, 14) & 1023) < 40 then 'cancelled'
    when (hashint8extended(plan.n, 14) & 1023) < 140 then 'pending'
    when (hashint8extended(plan.n, 14) & 1023) < 330 then 'approved'
    else 'paid'
  end::public.invoice_status as status,
  case
    when plan.second_currency is not null and (hashint8extended(plan.n, 15) & 1023) < 200
      then plan.second_currency
    else plan.currency
  end as currency,
  plan.products
from (
  select
    '0a000000-0000-4000-8000-000000000001'::uuid as organization_id,
    n,
    400 as days,
    'DKK' as currency,
    null::text as second_currency,
    array[
      '5b000000-0000-4000-8000-000000000101', '5b000000-0000-4000-8000-000000000102',
      '5b000000-0000-4000-8000-000000000103', '5b000000-0000-4000-8000-000000000104'
    ]::uuid[] as suppliers,
    array[
      '1c000000-0000-4000-8000-000000000101', '1c000000-0000-4000-8000-000000000102'
    ]::uuid[] as locations,
    array(
      select id from public.products
      where organization_id = '0a000000-0000-4000-8000-000000000001' order by sku
    ) as products
  from generate_series(1, 160) as n
  union all
  select
    '0a000000-0000-4000-8000-000000000002'::uuid,
    n,
    200,
    'DKK',
    'EUR',
    array[
      '5b000000-0000-4000-8000-000000000201', '5b000000-0000-4000-8000-000000000202',
      '5b000000-0000-4000-8000-000000000203'
    ]::uuid[],
    array['1c000000-0000-4000-8000-000000000201']::uuid[],
    array(
      select id from public.products
      where organization_id = '0a000000-0000-4000-8000-000000000002' order by sku
    )
  from generate_series(1, 60) as n
) as plan;

insert into public.invoices (
  id, organization_id, supplier_id, location_id, invoice_number, invoice_date, due_date, status,
  currency
)
select
  invoice_id, organization_id, supplier_id, location_id, format('DEMO-%s', lpad(n::text, 5, '0')),
  invoice_date, invoice_date + 30, status, currency
from demo_invoice_plan;

-- 2 to 6 lines per invoice; prices drift up about 8 % a year, with noise.
insert into public.invoice_lines (
  organization_id, invoice_id, line_number, product_id, quantity, unit_price
)
select
  plan.organization_id,
  plan.invoice_id,
  line.number,
  product.id,
  case
    when product.unit in ('kg', 'l')
      then round((0.5 + (hashint8extended(plan.n * 10 + line.number, 21) & 1023) / 64.0)::numeric, 3)
    else (1 + (hashint8extended(plan.n * 10 + line.number, 21) & 15))::numeric
  end,
  round((
    (12 + (hashtextextended(product.sku, 22) & 127))::numeric
    * (1 - (current_date - plan.invoice_date) * 0.08 / 365)
    * (0.95 + (hashint8extended(plan.n * 10 + line.number, 23) & 1023) / 10240.0)
    * case when plan.currency = 'EUR' then 0.134 else 1 end
  ), 4)
from demo_invoice_plan as plan
cross join lateral generate_series(1, 2 + ((hashint8extended(plan.n, 16) & 1023) % 5)::integer)
  as line (number)
join public.products as product
  on product.id = plan.products[
    1 + (hashint8extended(plan.n * 10 + line.number, 17) & 1023) % array_length(plan.products, 1)
  ];

-- A supplier raised the price of salmon last week: the price-alerts dataset shows it.
insert into public.invoices (
  id, organization_id, supplier_id, location_id, invoice_number, invoice_date, status, currency
) values (
  '1e000000-0000-4000-8000-000000000001', '0a000000-0000-4000-8000-000000000001',
  '5b000000-0000-4000-8000-000000000102', '1c000000-0000-4000-8000-000000000101',
  'DEMO-SPIKE', current_date - 2, 'approved', 'DKK'
);
insert into public.invoice_lines (
  organization_id, invoice_id, line_number, product_id, quantity, unit_price
)
select
  '0a000000-0000-4000-8000-000000000001', '1e000000-0000-4000-8000-000000000001', 1,
  '9d000000-0000-4000-8000-000000000103', 6.5, round(avg(unit_price) * 1.22, 4)
from public.invoice_lines
where product_id = '9d000000-0000-4000-8000-000000000103';

drop table demo_invoice_plan;

-- -----------------------------------------------------------------------------
-- Preferences
-- -----------------------------------------------------------------------------

insert into public.user_preferences (
  organization_id, user_id, default_location_id, display_currency, price_alert_threshold_percent,
  settings
) values
  ('0a000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-000000000003',
   '1c000000-0000-4000-8000-000000000102', 'DKK', 5, '{"dashboard": {"period": "30d"}}'),
  ('0a000000-0000-4000-8000-000000000002', 'd0000000-0000-4000-8000-000000000004',
   '1c000000-0000-4000-8000-000000000201', 'EUR', 15, '{}');

-- -----------------------------------------------------------------------------
-- Nightly analytics, as tonight's refresh would leave them
-- -----------------------------------------------------------------------------

select analytics.rebuild_organization(organization.id)
from public.organizations as organization
where organization.id in (
  '0a000000-0000-4000-8000-000000000001',
  '0a000000-0000-4000-8000-000000000002',
  '0a000000-0000-4000-8000-000000000003'
)
order by organization.id;
