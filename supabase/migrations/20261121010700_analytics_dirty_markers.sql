-- =============================================================================
-- Dirty markers: base-table writes record, per organization, that its nightly
-- datasets are out of date (analytics.organization_state.last_changed_at).
--
-- Statement-level triggers with transition tables: a statement touching 10,000
-- lines of 3 organizations costs 3 upserts, not 10,000. Only tables the nightly
-- datasets read are marked (suppliers, products, invoices, invoice_lines);
-- locations and preferences feed live datasets only.
--
-- These triggers only mark; they do not invalidate caches. Cache tag bumps for
-- live datasets are a separate concern with triggers of their own.
-- =============================================================================

-- Security definer: the writer (an org admin) may not write refresh state.
-- It only stamps organizations that appear in the statement's own rows.
create function private.mark_organizations_changed()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  -- Organizations in id order, so that concurrent statements lock state rows
  -- in the same order. The timestamp is taken after the row lock is obtained
  -- (see the concurrency notes of analytics.rebuild_organization).
  if tg_op = 'INSERT' then
    insert into analytics.organization_state as state (organization_id, last_changed_at)
    select changed.organization_id, clock_timestamp()
    from (select distinct organization_id from new_rows) as changed
    order by changed.organization_id
    on conflict (organization_id) do update set last_changed_at = clock_timestamp();
  elsif tg_op = 'UPDATE' then
    insert into analytics.organization_state as state (organization_id, last_changed_at)
    select changed.organization_id, clock_timestamp()
    from (
      select organization_id from old_rows
      union
      select organization_id from new_rows
    ) as changed
    order by changed.organization_id
    on conflict (organization_id) do update set last_changed_at = clock_timestamp();
  else
    -- Rows deleted together with their organization have no state row left to mark.
    insert into analytics.organization_state as state (organization_id, last_changed_at)
    select changed.organization_id, clock_timestamp()
    from (select distinct organization_id from old_rows) as changed
    join public.organizations as organization on organization.id = changed.organization_id
    order by changed.organization_id
    on conflict (organization_id) do update set last_changed_at = clock_timestamp();
  end if;
  return null;
end
$$;
comment on function private.mark_organizations_changed() is
  'Statement trigger: stamps analytics.organization_state.last_changed_at once per organization '
  'present in the statement''s transition tables.';
revoke execute on function private.mark_organizations_changed() from public;

-- -----------------------------------------------------------------------------
-- Triggers (transition tables allow one event per trigger)
-- -----------------------------------------------------------------------------

create trigger analytics_dirty_marker_after_insert
  after insert on public.suppliers
  referencing new table as new_rows
  for each statement execute function private.mark_organizations_changed();
create trigger analytics_dirty_marker_after_update
  after update on public.suppliers
  referencing old table as old_rows new table as new_rows
  for each statement execute function private.mark_organizations_changed();
create trigger analytics_dirty_marker_after_delete
  after delete on public.suppliers
  referencing old table as old_rows
  for each statement execute function private.mark_organizations_changed();

create trigger analytics_dirty_marker_after_insert
  after insert on public.products
  referencing new table as new_rows
  for each statement execute function private.mark_organizations_changed();
create trigger analytics_dirty_marker_after_update
  after update on public.products
  referencing old table as old_rows new table as new_rows
  for each statement execute function private.mark_organizations_changed();
create trigger analytics_dirty_marker_after_delete
  after delete on public.products
  referencing old table as old_rows
  for each statement execute function private.mark_organizations_changed();

create trigger analytics_dirty_marker_after_insert
  after insert on public.invoices
  referencing new table as new_rows
  for each statement execute function private.mark_organizations_changed();
create trigger analytics_dirty_marker_after_update
  after update on public.invoices
  referencing old table as old_rows new table as new_rows
  for each statement execute function private.mark_organizations_changed();
create trigger analytics_dirty_marker_after_delete
  after delete on public.invoices
  referencing old table as old_rows
  for each statement execute function private.mark_organizations_changed();

create trigger analytics_dirty_marker_after_insert
  after insert on public.invoice_lines
  referencing new table as new_rows
  for each statement execute function private.mark_organizations_changed();
create trigger analytics_dirty_marker_after_update
  after update on public.invoice_lines
  referencing old table as old_rows new table as new_rows
  for each statement execute function private.mark_organizations_changed();
create trigger analytics_dirty_marker_after_delete
  after delete on public.invoice_lines
  referencing old table as old_rows
  for each statement execute function private.mark_organizations_changed();
