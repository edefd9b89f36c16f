-- =============================================================================
-- price-alerts is user-scoped: its default threshold is the caller's
-- user_preferences.price_alert_threshold_percent (analytics.price_alerts), so two
-- members of one organization asking the same URL get different rows. It was
-- registered as per organization, so the datasets function cached one member's
-- alert list and served it to the others. Now both registries say user-scoped
-- (shared/datasets/registry.ts, here), and the cache key carries the caller.
--
-- The rule behind it, checked when a registration is written: a dataset reading
-- per-user state (public.user_preferences, whose rows belong to one user) is
-- user-scoped. The other live datasets (supplier-data, location-data) read only
-- tables every member of the organization sees alike (member-level RLS), so they
-- stay per organization.
--
-- Entries cached under the old per-organization keys are never asked for again
-- (the new keys add `user=`) and leave with their retention (SHORT, 5 min).
-- =============================================================================

update analytics.datasets
set user_scoped = true
where name = 'price-alerts';

alter table analytics.datasets
  add constraint datasets_per_user_state_is_user_scoped
  check (user_scoped or not ('user_preferences' = any (source_tables)));
comment on constraint datasets_per_user_state_is_user_scoped on analytics.datasets is
  'A dataset reading per-user state (public.user_preferences) depends on the caller: it must be '
  'user-scoped, so its cache key carries the caller.';
