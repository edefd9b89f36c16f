-- =============================================================================
-- Private Realtime channels `cache-invalidation:<organization id>`: frontends
-- subscribe to drop stale client caches. Realtime checks, as the subscribing
-- user and with realtime.topic() set to the channel, that RLS on
-- realtime.messages lets them read; only members of that organization may,
-- and only messages of that very channel (topic = realtime.topic()).
--
-- realtime.messages belongs to supabase_realtime_admin. On hosted Supabase
-- `postgres` may still create policies on it: supautils' `policy_grants` lists
-- realtime.messages for postgres (supabase/postgres
-- ansible/files/postgresql_config/supautils.conf.j2), so this migration applies
-- with `supabase db push` as postgres. Projects whose supautils lacks that
-- grant create the policy in the dashboard's SQL editor instead.
-- =============================================================================

create policy "Members receive their organization's cache invalidations"
  on realtime.messages
  as permissive
  for select
  to authenticated
  using (
    realtime.messages.extension = 'broadcast'
    and realtime.messages.topic = (select realtime.topic())
    and (select realtime.topic()) in (
      select 'cache-invalidation:' || organization_id::text
      from private.current_user_organization_ids('member') as organization_id
    )
  );
