-- =============================================================================
-- Audit of explicit cache invalidations (cache-admin/invalidate): who asked,
-- for which organization, which tags, in which mode, why, and when. Written in
-- the same transaction as the tag bumps and the Realtime broadcast, so an
-- invalidation without its audit row (or the reverse) cannot exist.
-- Service side only, like the rest of the cache schema.
-- =============================================================================

create table cache.invalidation_audit (
  id bigint generated always as identity primary key,
  organization_id uuid not null,
  -- auth.users id of the caller; null when the service role asked.
  actor_user_id uuid,
  actor_role text not null check (actor_role in ('owner', 'admin', 'service_role')),
  mode text not null check (mode in ('expire', 'purge')),
  datasets text[] not null default '{}',
  tags text[] not null default '{}',
  -- The tags actually bumped, with their new versions: {"tag": version}.
  bumped jsonb not null,
  reason text check (length(reason) <= 500),
  created_at timestamptz not null default now()
);
alter table cache.invalidation_audit enable row level security;
create index invalidation_audit_organization_idx
  on cache.invalidation_audit (organization_id, created_at desc);
comment on table cache.invalidation_audit is
  'One row per explicit invalidation through cache-admin: who, what, when, why.';

revoke all on cache.invalidation_audit from public, anon, authenticated;
grant select, insert on cache.invalidation_audit to service_role;
create policy "Service role manages the invalidation audit" on cache.invalidation_audit
  as permissive for all to service_role using (true) with check (true);
