-- =============================================================================
-- Local stack only: the event triggers hosted Supabase fires when a project
-- enables pg_cron or pg_net, so `postgres` gets what the platform grants it.
-- Sources (supabase/postgres):
--   migrations/db/migrations/20231020085357_revoke_writes_on_cron_job_from_postgres.sql
--   ansible/files/postgresql_extension_custom_scripts/pg_cron/after-create.sql
-- One difference, forced by pg_cron's version (see grant_pg_cron_access).
--   migrations/db/migrations/20250220051611_pg_net_perms_fix.sql
--   migrations/db/migrations/20250402065937_alter_internal_event_triggers_owner_to_supabase_admin.sql
-- Supautils runs the whole CREATE EXTENSION as supabase_admin, these triggers
-- included; here only the (trusted) extension script does, so the triggers are
-- SECURITY DEFINER to run with the same rights.
-- =============================================================================

create or replace function extensions.grant_pg_cron_access() returns event_trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if exists (
    select from pg_catalog.pg_event_trigger_ddl_commands() as ev
    join pg_catalog.pg_extension as ext on ev.objid = ext.oid
    where ext.extname = 'pg_cron'
  ) then
    grant usage on schema cron to postgres with grant option;
    grant all on all functions in schema cron to postgres with grant option;
    alter default privileges in schema cron grant all on tables to postgres with grant option;
    alter default privileges in schema cron grant all on functions to postgres with grant option;
    alter default privileges in schema cron grant all on sequences to postgres with grant option;
    alter default privileges for user supabase_admin in schema cron grant all
      on sequences to postgres with grant option;
    alter default privileges for user supabase_admin in schema cron grant all
      on tables to postgres with grant option;
    alter default privileges for user supabase_admin in schema cron grant all
      on functions to postgres with grant option;
    grant all privileges on all tables in schema cron to postgres with grant option;
    -- Hosted then revokes writes on cron.job from postgres (pg_cron 1.6 writes it
    -- as its owner). Debian's pg_cron 1.4 writes cron.job as the caller, so
    -- cron.schedule / cron.alter_job / cron.unschedule need them (and its
    -- sequences) here.
    grant usage on all sequences in schema cron to postgres;
  end if;
end
$$;
comment on function extensions.grant_pg_cron_access() is 'Grants access to pg_cron';

create or replace function extensions.grant_pg_net_access() returns event_trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if exists (
    select from pg_catalog.pg_event_trigger_ddl_commands() as ev
    join pg_catalog.pg_extension as ext on ev.objid = ext.oid
    where ext.extname = 'pg_net'
  ) then
    if not exists (select from pg_catalog.pg_roles where rolname = 'supabase_functions_admin') then
      create user supabase_functions_admin noinherit createrole login noreplication;
    end if;
    grant usage on schema net to supabase_functions_admin, postgres, anon, authenticated, service_role;
  end if;
end
$$;
comment on function extensions.grant_pg_net_access() is 'Grants access to pg_net';

do $$
begin
  if not exists (select from pg_catalog.pg_event_trigger where evtname = 'issue_pg_cron_access') then
    create event trigger issue_pg_cron_access on ddl_command_end when tag in ('CREATE EXTENSION')
      execute function extensions.grant_pg_cron_access();
  end if;
  if not exists (select from pg_catalog.pg_event_trigger where evtname = 'issue_pg_net_access') then
    create event trigger issue_pg_net_access on ddl_command_end when tag in ('CREATE EXTENSION')
      execute function extensions.grant_pg_net_access();
  end if;
end
$$;
