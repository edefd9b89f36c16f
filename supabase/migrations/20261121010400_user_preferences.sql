-- =============================================================================
-- User preferences: one row per user and organization (default location,
-- display currency, price-alert threshold, free-form UI settings).
-- Users read and write only their own row, and only while they are members:
-- the row references the membership and disappears with it.
-- =============================================================================

create table public.user_preferences (
  organization_id uuid not null,
  user_id uuid not null,
  default_location_id uuid,
  display_currency char(3) references public.currencies (code),
  price_alert_threshold_percent numeric(6, 2) not null default 10,
  settings jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (organization_id, user_id),
  constraint user_preferences_require_membership
    foreign key (organization_id, user_id)
    references public.organization_members (organization_id, user_id) on delete cascade,
  constraint user_preferences_default_location_must_belong_to_organization
    foreign key (organization_id, default_location_id)
    references public.locations (organization_id, id) on delete set null (default_location_id),
  constraint user_preferences_threshold_in_range
    check (price_alert_threshold_percent > 0 and price_alert_threshold_percent <= 1000),
  constraint user_preferences_settings_is_object check (jsonb_typeof(settings) = 'object')
);
alter table public.user_preferences enable row level security;
comment on table public.user_preferences is
  'Per user and organization settings; served by the user-preferences dataset.';

create index user_preferences_user_id_idx on public.user_preferences (user_id);

create trigger user_preferences_touch_updated_at
  before update on public.user_preferences
  for each row execute function private.touch_updated_at();

-- -----------------------------------------------------------------------------
-- Grants (see the tenancy migration on why defaults are narrowed)
-- -----------------------------------------------------------------------------

revoke all on table public.user_preferences from anon, authenticated;
grant select, insert, update, delete on table public.user_preferences to authenticated;
grant all on table public.user_preferences to service_role;

-- -----------------------------------------------------------------------------
-- Policies
-- -----------------------------------------------------------------------------

create policy "Organization members can read their own preferences"
  on public.user_preferences for select to authenticated
  using (
    user_id = (select auth.uid())
    and organization_id in (select private.current_user_organization_ids('member'))
  );

create policy "Organization members can add their own preferences"
  on public.user_preferences for insert to authenticated
  with check (
    user_id = (select auth.uid())
    and organization_id in (select private.current_user_organization_ids('member'))
  );

create policy "Organization members can change their own preferences"
  on public.user_preferences for update to authenticated
  using (
    user_id = (select auth.uid())
    and organization_id in (select private.current_user_organization_ids('member'))
  )
  with check (
    user_id = (select auth.uid())
    and organization_id in (select private.current_user_organization_ids('member'))
  );

create policy "Organization members can remove their own preferences"
  on public.user_preferences for delete to authenticated
  using (
    user_id = (select auth.uid())
    and organization_id in (select private.current_user_organization_ids('member'))
  );
