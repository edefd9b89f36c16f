-- =============================================================================
-- The SQL dataset registry: one row per dataset served to frontends, the
-- database's half of shared/datasets/registry.ts (a test keeps the two equal:
-- names, sources, tiers, parameters, source tables, user scoping).
--
--   analytics.datasets   name, source (nightly | live), tiers, accepted
--                        parameters, the base tables it reads and, for a nightly
--                        dataset, its snapshot table, compute function and row order
--
-- What iterates over it: nightly.dataset_names(), analytics.rebuild_organization,
-- analytics.dataset_json (names, parameters, nightly rows) and the base-table
-- write triggers (which datasets a write to a table expires, which tables mark
-- organizations dirty), so a new nightly dataset is one migration: its table,
-- its compute function and its registry row (ARCHITECTURE.md, "Adding a nightly
-- dataset").
--
-- A registration is checked when it is written (private.check_dataset_registration):
-- a forgotten or mistyped piece fails the migration, not a request.
-- =============================================================================

create table analytics.datasets (
  name text primary key check (name ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  -- Order of listings (README table, hints, rebuild order).
  position integer not null unique,
  source text not null check (source in ('nightly', 'live')),
  freshness_tier text not null check (freshness_tier in (
    'REAL_TIME', 'FREQUENT', 'MODERATE', 'STABLE', 'REFERENCE', 'NIGHTLY_REFRESH')),
  retention_tier text not null check (retention_tier in (
    'SHORT', 'MEDIUM', 'LONG', 'VERY_LONG', 'NIGHTLY_CACHE')),
  -- Query parameters accepted besides organization_id, sorted.
  parameters text[] not null default '{}',
  -- Tables of schema public the computation reads, sorted; each has organization_id.
  source_tables text[] not null check (cardinality(source_tables) > 0),
  -- Rows depend on the caller, not only on the organization (the cache key adds the user).
  user_scoped boolean not null default false,
  -- Nightly datasets: where the snapshot rows live, the function computing one
  -- organization's rows `(organization_id uuid, as_of date) returns setof <snapshot_table>`,
  -- and the columns ordering the rows served (so equal data gives equal bytes).
  snapshot_table regclass,
  compute_function text,
  row_order text[],
  description text not null,
  constraint datasets_nightly_has_snapshot check (
    (source = 'nightly') = (snapshot_table is not null)
    and (source = 'nightly') = (compute_function is not null)
    and (source = 'nightly') = (row_order is not null and cardinality(row_order) > 0)
  )
);
alter table analytics.datasets enable row level security;
comment on table analytics.datasets is
  'The dataset registry (SQL half of shared/datasets/registry.ts): one row per dataset with its '
  'source, tiers, parameters, source tables and, for nightly datasets, snapshot table, compute '
  'function and row order. Rebuild, serving, the nightly dataset list and the write triggers '
  'iterate over it.';
comment on column analytics.datasets.compute_function is
  'Nightly only: schema-qualified name of `(uuid, date) returns setof <snapshot_table>`, stored '
  'in canonical form by private.check_dataset_registration.';

revoke all on table analytics.datasets from public, anon;
grant select on table analytics.datasets to authenticated, service_role;
create policy "Signed-in users and the service role can read the dataset registry"
  on analytics.datasets for select to authenticated, service_role
  using (true);

-- -----------------------------------------------------------------------------
-- Registration check
-- -----------------------------------------------------------------------------

create function private.check_dataset_registration()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  v_function regprocedure;
  v_missing text;
begin
  -- Lists are kept sorted and without duplicates, so comparisons are plain equality.
  new.parameters := array(select distinct p from unnest(new.parameters) as p order by p);
  new.source_tables := array(select distinct t from unnest(new.source_tables) as t order by t);

  select string_agg(t.name, ', ')
  into v_missing
  from unnest(new.source_tables) as t (name)
  where not exists (
    select from pg_catalog.pg_attribute as a
    where a.attrelid = to_regclass(format('public.%I', t.name))
      and a.attname = 'organization_id' and not a.attisdropped
  );
  if v_missing is not null then
    raise exception 'Cannot register dataset %: source tables must be public tables with '
      'organization_id: %', new.name, v_missing
      using errcode = 'invalid_object_definition';
  end if;

  -- A nightly row missing its snapshot pieces is refused by datasets_nightly_has_snapshot.
  if new.source = 'nightly' and new.snapshot_table is not null
     and new.compute_function is not null then
    v_function := to_regprocedure(new.compute_function || '(uuid, date)');
    if v_function is null or not exists (
      select from pg_catalog.pg_proc as p
      join pg_catalog.pg_class as c on c.oid = new.snapshot_table
      where p.oid = v_function and p.proretset and p.prorettype = c.reltype
    ) then
      raise exception 'Cannot register dataset %: % must be a function (uuid, date) returning '
        'setof %', new.name, new.compute_function, new.snapshot_table
        using errcode = 'invalid_object_definition';
    end if;
    new.compute_function := v_function::oid::regproc::text;

    select string_agg(o.name, ', ')
    into v_missing
    from unnest(array['organization_id'] || new.row_order) as o (name)
    where not exists (
      select from pg_catalog.pg_attribute as a
      where a.attrelid = new.snapshot_table and a.attname = o.name and a.attnum > 0
        and not a.attisdropped
    );
    if v_missing is not null then
      raise exception 'Cannot register dataset %: % has no column %', new.name,
        new.snapshot_table, v_missing
        using errcode = 'invalid_object_definition';
    end if;
  end if;
  return new;
end
$$;
comment on function private.check_dataset_registration() is
  'Row trigger of analytics.datasets: sorts parameters and source tables; refuses a registration '
  'whose source tables are not public '
  'tables with organization_id, or (nightly) whose compute function is not (uuid, date) returning '
  'setof its snapshot table or whose row order names missing columns; stores the compute '
  'function''s canonical name.';
revoke execute on function private.check_dataset_registration() from public;

create trigger datasets_check_registration
  before insert or update on analytics.datasets
  for each row execute function private.check_dataset_registration();

-- -----------------------------------------------------------------------------
-- The datasets of the reference domain
-- -----------------------------------------------------------------------------

insert into analytics.datasets (
  name, position, source, freshness_tier, retention_tier, parameters, source_tables, user_scoped,
  snapshot_table, compute_function, row_order, description
)
values
  ('dashboard-metrics', 10, 'nightly', 'NIGHTLY_REFRESH', 'NIGHTLY_CACHE', '{}',
   '{invoice_lines,invoices}', false,
   'analytics.dashboard_metrics', 'analytics.compute_dashboard_metrics', '{currency}',
   'Headline spend per currency.'),
  ('product-metrics', 20, 'nightly', 'NIGHTLY_REFRESH', 'NIGHTLY_CACHE', '{}',
   '{invoice_lines,invoices,products}', false,
   'analytics.product_metrics', 'analytics.compute_product_metrics',
   '{sku,product_id,currency}',
   'Per product and currency over twelve months.'),
  ('cogs-analysis', 30, 'nightly', 'NIGHTLY_REFRESH', 'NIGHTLY_CACHE', '{}',
   '{invoice_lines,invoices,products}', false,
   'analytics.cogs_analysis', 'analytics.compute_cogs_analysis', '{month,category,currency}',
   'Spend per month, product category and currency.'),
  ('supplier-metrics', 40, 'nightly', 'NIGHTLY_REFRESH', 'NIGHTLY_CACHE', '{}',
   '{invoice_lines,invoices,suppliers}', false,
   'analytics.supplier_metrics', 'analytics.compute_supplier_metrics',
   '{supplier_name,supplier_id,currency}',
   'Per supplier and currency over twelve months.'),
  ('invoice-analytics', 50, 'nightly', 'NIGHTLY_REFRESH', 'NIGHTLY_CACHE', '{}',
   '{invoice_lines,invoices}', false,
   'analytics.invoice_analytics', 'analytics.compute_invoice_analytics',
   '{month,status,currency}',
   'Invoices per month, status and currency.'),
  ('price-alerts', 60, 'live', 'REAL_TIME', 'SHORT',
   '{from,limit,location_id,supplier_id,threshold_percent,to}',
   '{invoice_lines,invoices,products,suppliers,user_preferences}', false,
   null, null, null,
   'Latest prices that moved by at least a threshold (analytics.price_alerts).'),
  ('supplier-data', 70, 'live', 'STABLE', 'LONG',
   '{from,limit,location_id,supplier_id,to}',
   '{invoice_lines,invoices,suppliers}', false,
   null, null, null,
   'Suppliers with their recent activity (analytics.supplier_data).'),
  ('location-data', 80, 'live', 'STABLE', 'VERY_LONG',
   '{from,limit,location_id,to}',
   '{invoices,locations}', false,
   null, null, null,
   'Locations with their recent activity (analytics.location_data).'),
  ('user-preferences', 90, 'live', 'STABLE', 'VERY_LONG', '{}',
   '{locations,user_preferences}', true,
   null, null, null,
   'The caller''s preferences for the organization (analytics.current_user_preferences).');

-- -----------------------------------------------------------------------------
-- The nightly dataset list, from the registry
-- -----------------------------------------------------------------------------

create or replace function nightly.dataset_names()
returns text[]
language sql
stable
set search_path = ''
as $$
  select coalesce(array_agg(d.name order by d.position), '{}')
  from analytics.datasets as d
  where d.source = 'nightly'
$$;
comment on function nightly.dataset_names() is
  'The nightly datasets, in registry order (analytics.datasets where source = nightly): what '
  'analytics.rebuild_organization rebuilds and whose tags the nightly refresh expires.';
