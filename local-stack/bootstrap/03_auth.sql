-- =============================================================================
-- Local stack only: the part of GoTrue's `auth` schema that projects rely on.
-- `auth.uid()`, `auth.role()`, `auth.jwt()` and `auth.email()` read the JWT
-- claims that PostgREST (or our functions) put in `request.jwt.claims`,
-- with the same fallbacks as on Supabase. Owners and grants as on hosted
-- Supabase (supabase/postgres): schema owned by supabase_admin, tables and
-- functions by supabase_auth_admin, `postgres` with table privileges but no
-- CREATE on the schema and no membership in supabase_auth_admin.
--   migrations/db/init-scripts/00000000000001-auth-schema.sql
--   migrations/db/migrations/20211115181400_update-auth-permissions.sql
--   migrations/db/migrations/20211124212715_update-auth-owner.sql
--   migrations/db/migrations/20250421084701_revoke_admin_roles_from_postgres.sql
-- =============================================================================

create schema if not exists auth authorization supabase_admin;
grant usage on schema auth to anon, authenticated, service_role, postgres;
grant all privileges on schema auth to supabase_auth_admin;
alter role supabase_auth_admin set search_path = auth;

create table if not exists auth.users (
  instance_id uuid,
  id uuid primary key default extensions.gen_random_uuid(),
  aud varchar(255) default 'authenticated',
  role varchar(255) default 'authenticated',
  email varchar(255) unique,
  encrypted_password varchar(255),
  email_confirmed_at timestamptz,
  raw_app_meta_data jsonb default '{"provider": "email", "providers": ["email"]}'::jsonb,
  raw_user_meta_data jsonb default '{}'::jsonb,
  is_super_admin boolean,
  is_anonymous boolean not null default false,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  last_sign_in_at timestamptz,
  banned_until timestamptz,
  deleted_at timestamptz
);
comment on table auth.users is 'Local stack emulation of GoTrue''s auth.users (subset of columns).';

create or replace function auth.uid() returns uuid
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$$;

create or replace function auth.role() returns text
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$$;

create or replace function auth.email() returns text
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.email', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
  )::text
$$;

create or replace function auth.jwt() returns jsonb
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')
  )::jsonb
$$;

alter table auth.users owner to supabase_auth_admin;
alter function auth.uid() owner to supabase_auth_admin;
alter function auth.role() owner to supabase_auth_admin;
alter function auth.email() owner to supabase_auth_admin;
alter function auth.jwt() owner to supabase_auth_admin;
grant execute on function auth.uid(), auth.role(), auth.email(), auth.jwt()
  to anon, authenticated, service_role;
grant all on all tables in schema auth to supabase_auth_admin, postgres, dashboard_user;
grant all on all routines in schema auth to postgres, dashboard_user;
alter default privileges for role supabase_auth_admin in schema auth
  grant all on tables to postgres, dashboard_user;
alter default privileges for role supabase_auth_admin in schema auth
  grant all on routines to postgres, dashboard_user;
revoke create on schema auth from postgres;
revoke supabase_auth_admin from postgres;
