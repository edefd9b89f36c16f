-- =============================================================================
-- Tenancy: organizations, their members, and the one membership helper every
-- policy of the procurement domain delegates to.
--
-- Rules:
--   * Members (any role) read their organization and its member list.
--   * Admins and owners update the organization and manage non-owner members;
--     only owners grant, change or remove the owner role, and delete the
--     organization.
--   * Organizations are created by service_role (the sign-up backend).
--   * service_role bypasses RLS and may do everything; anon sees nothing.
-- =============================================================================

-- -----------------------------------------------------------------------------
-- Private schema: internals that no API role may call directly unless granted.
-- -----------------------------------------------------------------------------

create schema if not exists private;
revoke all on schema private from public;
grant usage on schema private to authenticated, service_role;

-- -----------------------------------------------------------------------------
-- Types
-- -----------------------------------------------------------------------------

create type public.organization_status as enum ('active', 'suspended');
comment on type public.organization_status is
  'Suspended organizations stay readable by their members; the nightly refresh skips them.';

-- Ordered by privilege, so `role >= ''admin''` means admin or owner.
create type public.organization_role as enum ('member', 'admin', 'owner');
comment on type public.organization_role is
  'Membership role, ordered by privilege: member < admin < owner.';

-- -----------------------------------------------------------------------------
-- Shared trigger functions
-- -----------------------------------------------------------------------------

-- Keeps `updated_at` honest on every update, whoever writes the row.
create function private.touch_updated_at()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end
$$;
comment on function private.touch_updated_at() is
  'Row trigger: sets updated_at to the transaction time on update.';
revoke execute on function private.touch_updated_at() from public;

-- True for names of the IANA time zone database that PostgreSQL knows, e.g.
-- Europe/Copenhagen. POSIX offset strings such as 'CET+3' are refused.
-- (pg_timezone_names would be exact but reads the whole zone database per call.)
create function private.is_time_zone_name(candidate text)
returns boolean
language plpgsql
stable
set search_path = ''
as $$
begin
  if candidate is null or candidate !~ '^[A-Za-z_]+(/[A-Za-z0-9_+-]+)*$' then
    return false;
  end if;
  perform now() at time zone candidate;
  return true;
exception
  when invalid_parameter_value then
    return false;
end
$$;
comment on function private.is_time_zone_name(text) is
  'Checks that a text is an IANA time zone name PostgreSQL recognizes.';
revoke execute on function private.is_time_zone_name(text) from public;
-- A check constraint calls it as the writing role.
grant execute on function private.is_time_zone_name(text) to authenticated, service_role;

-- -----------------------------------------------------------------------------
-- Organizations
-- -----------------------------------------------------------------------------

create table public.organizations (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  status public.organization_status not null default 'active',
  time_zone text not null default 'Europe/Copenhagen',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint organizations_name_not_blank check (length(btrim(name)) between 1 and 200),
  constraint organizations_time_zone_must_be_known check (private.is_time_zone_name(time_zone))
);
alter table public.organizations enable row level security;
comment on table public.organizations is
  'Tenants. Every procurement row belongs to exactly one organization.';
comment on column public.organizations.time_zone is
  'IANA time zone; the nightly refresh runs at 02:00 local time.';

create trigger organizations_touch_updated_at
  before update on public.organizations
  for each row execute function private.touch_updated_at();

-- -----------------------------------------------------------------------------
-- Organization members
-- -----------------------------------------------------------------------------

create table public.organization_members (
  organization_id uuid not null references public.organizations (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  role public.organization_role not null default 'member',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- One membership per user and organization.
  primary key (organization_id, user_id)
);
alter table public.organization_members enable row level security;
comment on table public.organization_members is
  'Who belongs to which organization, with which role. Deleting a row revokes access at once.';

-- The membership helper looks memberships up by user.
create index organization_members_user_id_idx
  on public.organization_members (user_id, organization_id) include (role);

create trigger organization_members_touch_updated_at
  before update on public.organization_members
  for each row execute function private.touch_updated_at();

-- -----------------------------------------------------------------------------
-- The membership helper
-- -----------------------------------------------------------------------------

-- Security definer so that policies on organization_members itself can call it
-- without recursing into those policies. It only ever reveals the calling
-- user's own memberships.
create function private.current_user_organization_ids(
  minimum_role public.organization_role default 'member'
)
returns setof uuid
language sql
stable
security definer
set search_path = ''
as $$
  select membership.organization_id
  from public.organization_members as membership
  where membership.user_id = (select auth.uid())
    and membership.role >= minimum_role
$$;
comment on function private.current_user_organization_ids(public.organization_role) is
  'Organizations in which the signed-in user (auth.uid()) holds at least minimum_role. '
  'Policies use it as `organization_id in (select private.current_user_organization_ids(...))`, '
  'which Postgres evaluates once per statement.';
revoke execute on function private.current_user_organization_ids(public.organization_role)
  from public;
grant execute on function private.current_user_organization_ids(public.organization_role)
  to authenticated, service_role;

-- -----------------------------------------------------------------------------
-- Grants: Supabase's default privileges give anon and authenticated ALL on new
-- public tables, including TRUNCATE, which RLS does not guard. Narrow them.
-- -----------------------------------------------------------------------------

revoke all on table public.organizations, public.organization_members from anon, authenticated;
grant select, insert, update, delete
  on table public.organizations, public.organization_members to authenticated;
grant all on table public.organizations, public.organization_members to service_role;

-- -----------------------------------------------------------------------------
-- Policies: organizations
-- -----------------------------------------------------------------------------

create policy "Organization members can read their organization"
  on public.organizations for select to authenticated
  using (id in (select private.current_user_organization_ids('member')));

create policy "Organization admins can update their organization"
  on public.organizations for update to authenticated
  using (id in (select private.current_user_organization_ids('admin')))
  with check (id in (select private.current_user_organization_ids('admin')));

create policy "Organization owners can delete their organization"
  on public.organizations for delete to authenticated
  using (id in (select private.current_user_organization_ids('owner')));

-- -----------------------------------------------------------------------------
-- Policies: organization members
-- -----------------------------------------------------------------------------

create policy "Organization members can read their organization's members"
  on public.organization_members for select to authenticated
  using (organization_id in (select private.current_user_organization_ids('member')));

create policy "Organization admins can add members; owners also owners"
  on public.organization_members for insert to authenticated
  with check (
    organization_id in (select private.current_user_organization_ids('admin'))
    and (
      role <> 'owner'
      or organization_id in (select private.current_user_organization_ids('owner'))
    )
  );

create policy "Organization admins can update members; owners also owners"
  on public.organization_members for update to authenticated
  using (
    organization_id in (select private.current_user_organization_ids('admin'))
    and (
      role <> 'owner'
      or organization_id in (select private.current_user_organization_ids('owner'))
    )
  )
  with check (
    organization_id in (select private.current_user_organization_ids('admin'))
    and (
      role <> 'owner'
      or organization_id in (select private.current_user_organization_ids('owner'))
    )
  );

create policy "Organization admins can remove members; owners also owners"
  on public.organization_members for delete to authenticated
  using (
    organization_id in (select private.current_user_organization_ids('admin'))
    and (
      role <> 'owner'
      or organization_id in (select private.current_user_organization_ids('owner'))
    )
  );
