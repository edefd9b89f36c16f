-- =============================================================================
-- Guards shared by the live dataset functions: who may read an organization's
-- live datasets, and which parameters are acceptable. Errors carry SQLSTATEs
-- the datasets edge function maps to HTTP: insufficient_privilege (42501) to
-- 403, invalid_parameter_value (22023) to 400.
-- =============================================================================

-- -----------------------------------------------------------------------------
-- Membership
-- -----------------------------------------------------------------------------

create function private.assert_can_read_organization(target_organization_id uuid)
returns void
language plpgsql
stable
set search_path = ''
as $$
begin
  -- Roles that bypass RLS (service_role, the database owner) may read any organization.
  if pg_catalog.row_security_active('public.organizations')
     and (
       target_organization_id is null
       or target_organization_id not in (select private.current_user_organization_ids('member'))
     ) then
    raise exception 'Not a member of organization %', target_organization_id
      using errcode = 'insufficient_privilege',
            hint = 'Only members of an organization can read its datasets.';
  end if;
end
$$;
comment on function private.assert_can_read_organization(uuid) is
  'Raises insufficient_privilege (42501) unless the caller is a member of the organization or '
  'bypasses RLS.';

revoke execute on function private.assert_can_read_organization(uuid) from public;
grant execute on function private.assert_can_read_organization(uuid)
  to authenticated, service_role;

-- -----------------------------------------------------------------------------
-- Parameters
-- -----------------------------------------------------------------------------

-- Today as the organization sees it: live datasets default their date window
-- to the organization's local date, not the server's UTC date (an invoice
-- dated today in Copenhagen at 00:30 belongs in today's window).
create function private.organization_local_date(target_organization_id uuid)
returns date
language sql
stable
set search_path = ''
as $$
  select coalesce(
    (select (now() at time zone organization.time_zone)::date
       from public.organizations as organization
      where organization.id = target_organization_id),
    current_date
  )
$$;
comment on function private.organization_local_date(uuid) is
  'The current date in the organization''s time zone (UTC date when the organization is unknown).';
revoke execute on function private.organization_local_date(uuid) from public;
grant execute on function private.organization_local_date(uuid) to authenticated, service_role;

create function private.assert_valid_range(from_date date, to_date date, max_rows integer)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
  if from_date > to_date then
    raise exception 'Invalid date range: from_date % is after to_date %', from_date, to_date
      using errcode = 'invalid_parameter_value';
  end if;
  if max_rows is null or max_rows not between 1 and 1000 then
    raise exception 'Invalid max_rows: expected 1 to 1000, received %', max_rows
      using errcode = 'invalid_parameter_value';
  end if;
end
$$;
comment on function private.assert_valid_range(date, date, integer) is
  'Raises invalid_parameter_value (22023) for a reversed date range or max_rows outside 1..1000.';

revoke execute on function private.assert_valid_range(date, date, integer) from public;
grant execute on function private.assert_valid_range(date, date, integer)
  to authenticated, service_role;
