-- =============================================================================
-- Private Realtime channels `cache-invalidation:<organization id>`: frontends
-- subscribe to drop stale client caches. Realtime checks, as the subscribing
-- user and with realtime.topic() set to the channel, that RLS on
-- realtime.messages lets them read; only members of that organization may.
-- =============================================================================

create policy "Organization members can receive their cache invalidation broadcasts"
  on realtime.messages
  as permissive
  for select
  to authenticated
  using (
    realtime.messages.extension = 'broadcast'
    and (select realtime.topic()) in (
      select 'cache-invalidation:' || organization_id::text
      from private.current_user_organization_ids('member') as organization_id
    )
  );
