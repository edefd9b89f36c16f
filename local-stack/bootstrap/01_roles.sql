-- =============================================================================
-- Local stack only, run by the bootstrap superuser `supabase_admin`: the roles,
-- database and schema privileges a hosted Supabase database has before any
-- project migration. Sources (supabase/postgres):
--   migrations/db/init-scripts/00000000000000-initial-schema.sql
--   migrations/db/init-scripts/00000000000003-post-setup.sql
--   migrations/db/migrations/10000000000000_demote-postgres.sql
--   migrations/db/migrations/20230201083204_grant_auth_roles_to_postgres.sql
--   migrations/db/migrations/20230306081037_grant_pg_monitor_to_postgres.sql
--   migrations/db/migrations/20230529180330_alter_api_roles_for_inherit.sql
--   migrations/db/migrations/20240606060239_grant_predefined_roles_to_postgres.sql
--   migrations/db/migrations/20221103090837_revoke_admin.sql
-- `postgres` is NOSUPERUSER BYPASSRLS: whatever needs a superuser on hosted
-- Supabase fails here too. Idempotent; never part of supabase/migrations.
-- =============================================================================

do $$
declare
  role_name text;
begin
  if not exists (select from pg_catalog.pg_roles where rolname = 'postgres') then
    create role postgres login password 'postgres';
  end if;
  foreach role_name in array array['anon', 'authenticated', 'service_role'] loop
    if not exists (select from pg_catalog.pg_roles where rolname = role_name) then
      execute format('create role %I nologin noinherit', role_name);
    end if;
  end loop;
  if not exists (select from pg_catalog.pg_roles where rolname = 'authenticator') then
    create role authenticator login noinherit password 'postgres';
  end if;
  if not exists (select from pg_catalog.pg_roles where rolname = 'supabase_auth_admin') then
    create role supabase_auth_admin noinherit createrole login noreplication password 'postgres';
  end if;
  if not exists (select from pg_catalog.pg_roles where rolname = 'supabase_realtime_admin') then
    create role supabase_realtime_admin noinherit nologin noreplication;
  end if;
  if not exists (select from pg_catalog.pg_roles where rolname = 'supabase_functions_admin') then
    create role supabase_functions_admin noinherit createrole login noreplication;
  end if;
  if not exists (select from pg_catalog.pg_roles where rolname = 'supabase_read_only_user') then
    create role supabase_read_only_user login bypassrls;
  end if;
  if not exists (select from pg_catalog.pg_roles where rolname = 'supabase_replication_admin') then
    create role supabase_replication_admin login replication;
  end if;
  if not exists (select from pg_catalog.pg_roles where rolname = 'dashboard_user') then
    create role dashboard_user nosuperuser createdb createrole replication;
  end if;
end
$$;

alter role supabase_admin with superuser createdb createrole replication bypassrls password 'postgres';
-- 10000000000000_demote-postgres.sql
alter role postgres nosuperuser createdb createrole login replication bypassrls password 'postgres';
-- 20230529180330_alter_api_roles_for_inherit.sql
alter role anon inherit;
alter role authenticated inherit;
alter role service_role inherit bypassrls;
alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';

grant pg_read_all_data to supabase_read_only_user;
grant anon, authenticated, service_role to authenticator;
grant anon, authenticated, service_role to postgres;
grant pg_monitor, pg_read_all_data, pg_signal_backend to postgres;

grant all on database postgres to postgres, dashboard_user;

alter role supabase_admin set search_path to "$user", public, auth, extensions;
alter role postgres set search_path to "$user", public, extensions;

-- public: reachable by the API roles, so Row Level Security is what guards it.
grant usage on schema public to postgres, anon, authenticated, service_role;
grant create on schema public to postgres;
alter default privileges in schema public grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema public
  grant all on tables to anon, authenticated, service_role;
alter default privileges for role postgres in schema public
  grant all on functions to anon, authenticated, service_role;
alter default privileges for role postgres in schema public
  grant all on sequences to anon, authenticated, service_role;

-- Extension namespacing (owned by supabase_admin; postgres may create in it).
create schema if not exists extensions;
grant usage on schema extensions to postgres, anon, authenticated, service_role;
grant all on schema extensions to postgres, dashboard_user;
create extension if not exists "uuid-ossp" with schema extensions;
create extension if not exists pgcrypto with schema extensions;
-- 20230224042246_grant_extensions_perms_for_postgres.sql
grant all privileges on all tables in schema extensions to postgres with grant option;
grant all privileges on all routines in schema extensions to postgres with grant option;
grant all privileges on all sequences in schema extensions to postgres with grant option;
alter default privileges in schema extensions grant all on tables to postgres with grant option;
alter default privileges in schema extensions grant all on routines to postgres with grant option;
alter default privileges in schema extensions grant all on sequences to postgres with grant option;
