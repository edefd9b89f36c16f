-- The tenant-security matrix: for every table of the procurement domain and
-- every actor (anon, member of A, member of B, admin of A, owner of A, a member
-- removed from A, service_role), what they can read, insert, update and delete
-- of organization A's rows — as the real API roles with JWT claims (set role +
-- request.jwt.claims, as PostgREST does), each cell in a rolled-back
-- subtransaction. Outcomes: a number is the count of A's rows read / updated /
-- deleted; ok = the insert inserted its row; rls = refused by a row-level
-- security policy; denied = refused by privileges.
begin;
select plan(450);

-- ---------------------------------------------------------------------------
-- Fixture: A with owner, admin, member, a removed member, one paid invoice of
-- one line and its analytics rebuilt; B with a member, never rebuilt.
-- ---------------------------------------------------------------------------
create temporary table ids (name text primary key, id uuid not null default gen_random_uuid());
insert into ids (name) values
  ('orgA'), ('orgB'), ('ownerA'), ('adminA'), ('memberA'), ('removedA'), ('memberB'), ('outsider'),
  ('usedSupplierA'), ('spareSupplierA'), ('usedLocationA'), ('spareLocationA'), ('usedProductA'),
  ('spareProductA'), ('invoiceA'), ('lineA'), ('supplierB'), ('locationB'), ('productB'), ('invoiceB');
create function pg_temp.id(p_name text) returns uuid language sql stable
  as $$ select id from ids where name = p_name $$;

insert into auth.users (id, email)
  select id, id || '@tenants.test' from ids
   where name in ('ownerA', 'adminA', 'memberA', 'removedA', 'memberB', 'outsider');
insert into public.organizations (id, name)
  values (pg_temp.id('orgA'), 'Tenant A'), (pg_temp.id('orgB'), 'Tenant B');
insert into public.organization_members (organization_id, user_id, role) values
  (pg_temp.id('orgA'), pg_temp.id('ownerA'), 'owner'),
  (pg_temp.id('orgA'), pg_temp.id('adminA'), 'admin'),
  (pg_temp.id('orgA'), pg_temp.id('memberA'), 'member'),
  (pg_temp.id('orgA'), pg_temp.id('removedA'), 'member'),
  (pg_temp.id('orgB'), pg_temp.id('memberB'), 'member');
insert into public.suppliers (id, organization_id, name) values
  (pg_temp.id('usedSupplierA'), pg_temp.id('orgA'), 'Used supplier'),
  (pg_temp.id('spareSupplierA'), pg_temp.id('orgA'), 'Spare supplier'),
  (pg_temp.id('supplierB'), pg_temp.id('orgB'), 'Supplier of B');
insert into public.locations (id, organization_id, code, name) values
  (pg_temp.id('usedLocationA'), pg_temp.id('orgA'), 'A1', 'Used location'),
  (pg_temp.id('spareLocationA'), pg_temp.id('orgA'), 'A2', 'Spare location'),
  (pg_temp.id('locationB'), pg_temp.id('orgB'), 'B1', 'Location of B');
insert into public.products (id, organization_id, sku, name, category, unit) values
  (pg_temp.id('usedProductA'), pg_temp.id('orgA'), 'A-1', 'Used product', 'Produce', 'kg'),
  (pg_temp.id('spareProductA'), pg_temp.id('orgA'), 'A-2', 'Spare product', 'Produce', 'kg'),
  (pg_temp.id('productB'), pg_temp.id('orgB'), 'B-1', 'Product of B', 'Produce', 'kg');
insert into public.invoices
  (id, organization_id, supplier_id, location_id, invoice_number, invoice_date, status, currency)
values
  (pg_temp.id('invoiceA'), pg_temp.id('orgA'), pg_temp.id('usedSupplierA'), pg_temp.id('usedLocationA'),
   'A-0001', date '2026-11-20' - 5, 'paid', 'EUR'),
  (pg_temp.id('invoiceB'), pg_temp.id('orgB'), pg_temp.id('supplierB'), pg_temp.id('locationB'),
   'B-0001', date '2026-11-20' - 5, 'paid', 'EUR');
insert into public.invoice_lines
  (id, organization_id, invoice_id, line_number, product_id, quantity, unit_price)
values
  (pg_temp.id('lineA'), pg_temp.id('orgA'), pg_temp.id('invoiceA'), 1, pg_temp.id('usedProductA'), 2, 10),
  (gen_random_uuid(), pg_temp.id('orgB'), pg_temp.id('invoiceB'), 1, pg_temp.id('productB'), 3, 7);
insert into public.user_preferences (organization_id, user_id, display_currency)
  values (pg_temp.id('orgA'), pg_temp.id('memberA'), 'EUR');
do $$ begin perform analytics.rebuild_organization(pg_temp.id('orgA'), date '2026-11-20'); end $$;
delete from public.organization_members
 where organization_id = pg_temp.id('orgA') and user_id = pg_temp.id('removedA');
delete from analytics.organization_state where organization_id = pg_temp.id('orgB');

-- ---------------------------------------------------------------------------
-- Actors and the cell runner.
-- ---------------------------------------------------------------------------
create temporary table actors (position int, name text primary key, role text, user_id uuid);
insert into actors values
  (1, 'anon', 'anon', null),
  (2, 'memberOfA', 'authenticated', pg_temp.id('memberA')),
  (3, 'memberOfB', 'authenticated', pg_temp.id('memberB')),
  (4, 'adminOfA', 'authenticated', pg_temp.id('adminA')),
  (5, 'ownerOfA', 'authenticated', pg_temp.id('ownerA')),
  (6, 'removedFromA', 'authenticated', pg_temp.id('removedA')),
  (7, 'serviceRole', 'service_role', null);

-- Runs p_statement as the actor in a subtransaction that is always undone.
create function pg_temp.outcome(p_role text, p_user uuid, p_operation text, p_statement text)
returns text
language plpgsql
as $$
declare
  v_count bigint;
  v_result text;
begin
  begin
    perform set_config('request.jwt.claims', case
      when p_user is null then json_build_object('role', p_role)::text
      else json_build_object('sub', p_user, 'role', p_role, 'aud', 'authenticated')::text
    end, true);
    execute format('set local role %I', p_role);
    if p_operation = 'read' then
      execute p_statement into v_count;
    else
      execute p_statement;
      get diagnostics v_count = row_count;
    end if;
    v_result := case
      when p_operation <> 'insert' then v_count::text
      when v_count = 1 then 'ok'
      else 'inserted ' || v_count
    end;
    raise exception using errcode = 'P0999', message = v_result;
  exception
    when sqlstate 'P0999' then
      v_result := sqlerrm;
    when insufficient_privilege then
      v_result := case when sqlerrm like '%row-level security%' then 'rls' else 'denied' end;
  end;
  return v_result;
end
$$;

-- ---------------------------------------------------------------------------
-- The cases: each table's four statements on A's rows, and what each actor gets.
-- ---------------------------------------------------------------------------
create temporary table cases (table_name text primary key, statements text[], expected jsonb);

create function pg_temp.admin_writable(p_rows int, p_deletable int) returns jsonb language sql as $$
  select jsonb_build_object(
    'anon', array['denied', 'denied', 'denied', 'denied'],
    'memberOfA', array[p_rows::text, 'rls', '0', '0'],
    'memberOfB', array['0', 'rls', '0', '0'],
    'adminOfA', array[p_rows::text, 'ok', p_rows::text, p_deletable::text],
    'ownerOfA', array[p_rows::text, 'ok', p_rows::text, p_deletable::text],
    'removedFromA', array['0', 'rls', '0', '0'],
    'serviceRole', array[p_rows::text, 'ok', p_rows::text, p_deletable::text])
$$;

create function pg_temp.read_only_for_members(p_rows int) returns jsonb language sql as $$
  select jsonb_build_object(
    'anon', array['denied', 'denied', 'denied', 'denied'],
    'memberOfA', array[p_rows::text, 'denied', 'denied', 'denied'],
    'memberOfB', array['0', 'denied', 'denied', 'denied'],
    'adminOfA', array[p_rows::text, 'denied', 'denied', 'denied'],
    'ownerOfA', array[p_rows::text, 'denied', 'denied', 'denied'],
    'removedFromA', array['0', 'denied', 'denied', 'denied'],
    'serviceRole', array[p_rows::text, 'ok', p_rows::text, p_rows::text])
$$;

insert into cases values
('public.organizations', array[
  format('select count(*) from public.organizations where id = %L', pg_temp.id('orgA')),
  $$insert into public.organizations (name) values ('New org')$$,
  format('update public.organizations set name = name where id = %L', pg_temp.id('orgA')),
  format('delete from public.organizations where id = %L', pg_temp.id('orgA'))],
 jsonb_build_object(
  'anon', array['denied', 'denied', 'denied', 'denied'],
  'memberOfA', array['1', 'rls', '0', '0'],
  'memberOfB', array['0', 'rls', '0', '0'],
  'adminOfA', array['1', 'rls', '1', '0'],
  'ownerOfA', array['1', 'rls', '1', '1'],
  'removedFromA', array['0', 'rls', '0', '0'],
  'serviceRole', array['1', 'ok', '1', '1'])),
-- A has an owner, an admin and a member; admins may not touch the owner's row.
('public.organization_members', array[
  format('select count(*) from public.organization_members where organization_id = %L', pg_temp.id('orgA')),
  format($$insert into public.organization_members (organization_id, user_id, role) values (%L, %L, 'member')$$,
         pg_temp.id('orgA'), pg_temp.id('outsider')),
  format('update public.organization_members set role = role where organization_id = %L', pg_temp.id('orgA')),
  format('delete from public.organization_members where organization_id = %L', pg_temp.id('orgA'))],
 jsonb_build_object(
  'anon', array['denied', 'denied', 'denied', 'denied'],
  'memberOfA', array['3', 'rls', '0', '0'],
  'memberOfB', array['0', 'rls', '0', '0'],
  'adminOfA', array['3', 'ok', '2', '2'],
  'ownerOfA', array['3', 'ok', '3', '3'],
  'removedFromA', array['0', 'rls', '0', '0'],
  'serviceRole', array['3', 'ok', '3', '3'])),
('public.suppliers', array[
  format('select count(*) from public.suppliers where organization_id = %L', pg_temp.id('orgA')),
  format($$insert into public.suppliers (organization_id, name) values (%L, 'New')$$, pg_temp.id('orgA')),
  format('update public.suppliers set name = name where organization_id = %L', pg_temp.id('orgA')),
  format('delete from public.suppliers where id = %L', pg_temp.id('spareSupplierA'))],
 pg_temp.admin_writable(2, 1)),
('public.locations', array[
  format('select count(*) from public.locations where organization_id = %L', pg_temp.id('orgA')),
  format($$insert into public.locations (organization_id, code, name) values (%L, 'N', 'New')$$, pg_temp.id('orgA')),
  format('update public.locations set name = name where organization_id = %L', pg_temp.id('orgA')),
  format('delete from public.locations where id = %L', pg_temp.id('spareLocationA'))],
 pg_temp.admin_writable(2, 1)),
('public.products', array[
  format('select count(*) from public.products where organization_id = %L', pg_temp.id('orgA')),
  format($$insert into public.products (organization_id, sku, name, category) values (%L, 'N-1', 'New', 'Produce')$$,
         pg_temp.id('orgA')),
  format('update public.products set name = name where organization_id = %L', pg_temp.id('orgA')),
  format('delete from public.products where id = %L', pg_temp.id('spareProductA'))],
 pg_temp.admin_writable(2, 1)),
('public.invoices', array[
  format('select count(*) from public.invoices where organization_id = %L', pg_temp.id('orgA')),
  format($$insert into public.invoices (organization_id, supplier_id, location_id, invoice_number, invoice_date, currency)
           values (%L, %L, %L, 'A-0002', '2026-11-01', 'EUR')$$,
         pg_temp.id('orgA'), pg_temp.id('usedSupplierA'), pg_temp.id('usedLocationA')),
  format('update public.invoices set status = status where organization_id = %L', pg_temp.id('orgA')),
  format('delete from public.invoices where id = %L', pg_temp.id('invoiceA'))],
 pg_temp.admin_writable(1, 1)),
('public.invoice_lines', array[
  format('select count(*) from public.invoice_lines where organization_id = %L', pg_temp.id('orgA')),
  format($$insert into public.invoice_lines (organization_id, invoice_id, line_number, product_id, quantity, unit_price)
           values (%L, %L, 2, %L, 1, 1)$$,
         pg_temp.id('orgA'), pg_temp.id('invoiceA'), pg_temp.id('usedProductA')),
  format('update public.invoice_lines set quantity = quantity where organization_id = %L', pg_temp.id('orgA')),
  format('delete from public.invoice_lines where id = %L', pg_temp.id('lineA'))],
 pg_temp.admin_writable(1, 1)),
-- Everyone tries to save preferences for A's admin: only the admin may. Only
-- A's member has saved preferences; each user sees and changes only their own.
('public.user_preferences', array[
  format('select count(*) from public.user_preferences where organization_id = %L', pg_temp.id('orgA')),
  format('insert into public.user_preferences (organization_id, user_id) values (%L, %L)',
         pg_temp.id('orgA'), pg_temp.id('adminA')),
  format('update public.user_preferences set settings = settings where organization_id = %L', pg_temp.id('orgA')),
  format('delete from public.user_preferences where organization_id = %L', pg_temp.id('orgA'))],
 jsonb_build_object(
  'anon', array['denied', 'denied', 'denied', 'denied'],
  'memberOfA', array['1', 'rls', '1', '1'],
  'memberOfB', array['0', 'rls', '0', '0'],
  'adminOfA', array['0', 'ok', '0', '0'],
  'ownerOfA', array['0', 'rls', '0', '0'],
  'removedFromA', array['0', 'rls', '0', '0'],
  'serviceRole', array['1', 'ok', '1', '1'])),
('public.currencies', array[
  $$select count(*) from public.currencies where code = 'EUR'$$,
  $$insert into public.currencies (code, name) values ('XTS', 'Testing code')$$,
  $$update public.currencies set name = name where code = 'EUR'$$,
  $$delete from public.currencies where code = 'ISK'$$],
 jsonb_build_object(
  'anon', array['1', 'denied', 'denied', 'denied'],
  'memberOfA', array['1', 'denied', 'denied', 'denied'],
  'memberOfB', array['1', 'denied', 'denied', 'denied'],
  'adminOfA', array['1', 'denied', 'denied', 'denied'],
  'ownerOfA', array['1', 'denied', 'denied', 'denied'],
  'removedFromA', array['1', 'denied', 'denied', 'denied'],
  'serviceRole', array['1', 'ok', '1', '1']));

-- The dataset registry: readable by signed-in users and the service role (serving reads it as
-- the caller), written only by migrations (its owner).
insert into cases values
('analytics.datasets', array[
  $$select count(*) from analytics.datasets where name = 'price-alerts'$$,
  $$insert into analytics.datasets (name, position, source, freshness_tier, retention_tier, source_tables, description)
    values ('x-test', 1000, 'live', 'STABLE', 'LONG', '{invoices}', 'x')$$,
  $$update analytics.datasets set description = description where name = 'price-alerts'$$,
  $$delete from analytics.datasets where name = 'price-alerts'$$],
 jsonb_build_object(
  'anon', array['denied', 'denied', 'denied', 'denied'],
  'memberOfA', array['1', 'denied', 'denied', 'denied'],
  'memberOfB', array['1', 'denied', 'denied', 'denied'],
  'adminOfA', array['1', 'denied', 'denied', 'denied'],
  'ownerOfA', array['1', 'denied', 'denied', 'denied'],
  'removedFromA', array['1', 'denied', 'denied', 'denied'],
  'serviceRole', array['1', 'denied', 'denied', 'denied']));

-- Nightly dataset tables: members read, only service_role writes; the insert
-- copies A's rows to B (B was never rebuilt).
insert into cases
select dataset, array[
  format('select count(*) from %s where organization_id = %L', dataset, pg_temp.id('orgA')),
  format($$insert into %1$s select (jsonb_populate_record(null::%1$s,
           to_jsonb(r) || jsonb_build_object('organization_id', %3$L::uuid))).*
           from %1$s as r where r.organization_id = %2$L$$, dataset, pg_temp.id('orgA'), pg_temp.id('orgB')),
  format('update %s set organization_id = organization_id where organization_id = %L', dataset, pg_temp.id('orgA')),
  format('delete from %s where organization_id = %L', dataset, pg_temp.id('orgA'))],
  pg_temp.read_only_for_members(1)
from unnest(array['analytics.organization_state', 'analytics.dashboard_metrics',
  'analytics.product_metrics', 'analytics.cogs_analysis', 'analytics.supplier_metrics',
  'analytics.invoice_analytics']) as dataset;

-- ---------------------------------------------------------------------------
-- 16 tables x 7 actors x 4 operations.
-- ---------------------------------------------------------------------------
select is(
  pg_temp.outcome(actors.role, actors.user_id, operation.name, cases.statements[operation.position]),
  cases.expected -> actors.name ->> (operation.position::int - 1),
  format('%s may %s A''s rows of %s: %s', actors.name, operation.name, cases.table_name,
         cases.expected -> actors.name ->> (operation.position::int - 1)))
from cases
cross join actors
cross join unnest(array['read', 'insert', 'update', 'delete']) with ordinality as operation(name, position)
order by cases.table_name, actors.position, operation.position;

select is(
  (select array_agg(n.nspname || '.' || c.relname order by 1)
     from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
    where c.relkind in ('r', 'p') and not c.relrowsecurity and n.nspname in ('public', 'analytics')),
  null, 'every table of public and analytics has row level security on');
select set_eq(
  $$select n.nspname || '.' || c.relname from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
     where c.relkind in ('r', 'p') and n.nspname = 'analytics'
        or (n.nspname = 'public' and c.relname in (select split_part(table_name, '.', 2) from cases
                                                     where table_name like 'public.%'))$$,
  $$select table_name from cases$$,
  'the matrix covers every analytics table');

select * from finish();
rollback;
