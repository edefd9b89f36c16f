-- Hosted Supabase's roles and owners, as supabase/postgres sets them up
-- (migrations/db/init-scripts/00000000000000-initial-schema.sql,
-- migrations/db/migrations/10000000000000_demote-postgres.sql,
-- migrations/db/migrations/20250421084701_revoke_admin_roles_from_postgres.sql).
-- Runs as postgres, on the local stack and on a Supabase project alike.
begin;
select plan(14);

select is(current_user::text, 'postgres', 'the tests run as postgres');
select ok(not rolsuper, 'postgres is not a superuser') from pg_roles where rolname = 'postgres';
select ok(rolbypassrls, 'postgres bypasses RLS') from pg_roles where rolname = 'postgres';
select ok(rolcreaterole and rolcreatedb, 'postgres may create roles and databases')
  from pg_roles where rolname = 'postgres';
select ok(rolsuper, 'supabase_admin is the superuser') from pg_roles where rolname = 'supabase_admin';
select ok(rolbypassrls and not rolcanlogin, 'service_role bypasses RLS and cannot log in')
  from pg_roles where rolname = 'service_role';
select ok(not rolbypassrls and not rolcanlogin, 'anon and authenticated are NOLOGIN under RLS')
  from (select bool_or(rolbypassrls) as rolbypassrls, bool_or(rolcanlogin) as rolcanlogin
          from pg_roles where rolname in ('anon', 'authenticated')) as api;
select ok(pg_has_role('postgres', 'authenticated', 'member')
  and pg_has_role('postgres', 'anon', 'member') and pg_has_role('postgres', 'service_role', 'member'),
  'postgres may set role to the API roles');
select ok(not pg_has_role('postgres', 'supabase_auth_admin', 'member'),
  'postgres is no member of supabase_auth_admin');

select is(
  (select array_agg(nspname::text || ':' || nspowner::regrole::text order by nspname)
     from pg_namespace where nspname in ('auth', 'extensions', 'realtime', 'vault')),
  array['auth:supabase_admin', 'extensions:supabase_admin', 'realtime:supabase_admin',
        'vault:supabase_admin'],
  'platform schemas belong to supabase_admin');
select is((select relowner::regrole::text from pg_class where oid = 'auth.users'::regclass),
  'supabase_auth_admin', 'auth.users belongs to supabase_auth_admin');
select is((select relowner::regrole::text from pg_class where oid = 'realtime.messages'::regclass),
  'supabase_realtime_admin', 'realtime.messages belongs to supabase_realtime_admin');

select ok(not has_schema_privilege('postgres', 'auth', 'CREATE'), 'postgres cannot create in auth');
select ok(not has_schema_privilege('postgres', 'realtime', 'CREATE'),
  'postgres cannot create in realtime');

select * from finish();
rollback;
