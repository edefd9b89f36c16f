-- =============================================================================
-- Writes invalidate automatically: statement-level triggers on the base tables
-- expire the cache tags of the LIVE datasets of every organization a statement
-- touched — one bump per statement and organization, whatever the row count
-- (transition tables). Nightly datasets are snapshots and are not invalidated
-- here; the nightly refresh does that. Organizations are also marked dirty for
-- the nightly run by the separate analytics dirty-marker triggers.
--
-- `expire`, not `purge`: after a write, the next read is served STALE (never as
-- fresh) while it is recomputed, and the following reads get the new data.
--
-- Which live datasets read which table:
--   suppliers, locations, invoices, invoice_lines → price-alerts, supplier-data, location-data
--   products                                      → price-alerts
--   user_preferences                              → user-preferences
-- =============================================================================

-- Security definer: writers (organization admins) have no privilege on the
-- cache schema. It only bumps tags of organizations present in the statement's
-- own transition rows, with the datasets named by the trigger's arguments.
create function private.expire_live_datasets()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  touched_organizations uuid[];
  touched_organization uuid;
begin
  -- Only the branch of this statement's event is planned, so each trigger
  -- references just the transition tables it declares.
  if tg_op = 'INSERT' then
    select array_agg(distinct organization_id order by organization_id)
    into touched_organizations from new_rows;
  elsif tg_op = 'UPDATE' then
    select array_agg(distinct changed.organization_id order by changed.organization_id)
    into touched_organizations
    from (select organization_id from old_rows
          union all
          select organization_id from new_rows) as changed;
  else
    select array_agg(distinct organization_id order by organization_id)
    into touched_organizations from old_rows;
  end if;

  -- In organization order, so concurrent statements take tag locks in one order.
  foreach touched_organization in array coalesce(touched_organizations, '{}') loop
    perform cache.invalidate_datasets(touched_organization, tg_argv::text[], 'expire');
  end loop;
  return null;
end
$$;
comment on function private.expire_live_datasets() is
  'Statement trigger: expires the live datasets named by the trigger arguments for every '
  'organization in the statement''s transition rows, once per organization.';
revoke execute on function private.expire_live_datasets() from public;

-- -----------------------------------------------------------------------------
-- Triggers (transition tables allow one event per trigger)
-- -----------------------------------------------------------------------------

do $$
declare
  feeds constant jsonb := '{
    "suppliers": ["price-alerts", "supplier-data", "location-data"],
    "locations": ["price-alerts", "supplier-data", "location-data"],
    "invoices": ["price-alerts", "supplier-data", "location-data"],
    "invoice_lines": ["price-alerts", "supplier-data", "location-data"],
    "products": ["price-alerts"],
    "user_preferences": ["user-preferences"]
  }';
  base_table text;
  datasets text;
begin
  for base_table, datasets in
    select feed.base_table,
           (select string_agg(quote_literal(dataset.name), ', ')
              from jsonb_array_elements_text(feed.dataset_names) as dataset (name))
    from jsonb_each(feeds) as feed (base_table, dataset_names)
  loop
    execute format(
      'create trigger cache_expire_live_datasets_after_insert after insert on public.%I '
      'referencing new table as new_rows for each statement '
      'execute function private.expire_live_datasets(%s)', base_table, datasets);
    execute format(
      'create trigger cache_expire_live_datasets_after_update after update on public.%I '
      'referencing old table as old_rows new table as new_rows for each statement '
      'execute function private.expire_live_datasets(%s)', base_table, datasets);
    execute format(
      'create trigger cache_expire_live_datasets_after_delete after delete on public.%I '
      'referencing old table as old_rows for each statement '
      'execute function private.expire_live_datasets(%s)', base_table, datasets);
  end loop;
end
$$;
