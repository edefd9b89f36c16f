-- =============================================================================
-- The overdue bound, defined once (issue 14, item 6)
-- =============================================================================
-- An active organization without a successful nightly refresh for longer than
-- nightly.overdue_after() is overdue: the health check of cache-admin, the
-- /nightly-refresh/status document and the hourly overdue alert all read it here,
-- so they cannot disagree. Change it with a migration that replaces this function.

create function nightly.overdue_after()
returns interval
language sql
immutable
set search_path = ''
as $$
  select interval '25 hours'
$$;
comment on function nightly.overdue_after() is
  'The overdue bound: an active organization without a successful nightly refresh for longer '
  'than this is overdue (cache-admin health, nightly status, the hourly overdue alert). The one '
  'place it is defined: a night (24 h) plus an hour of slack for the run itself.';

revoke execute on function nightly.overdue_after() from public;
grant execute on function nightly.overdue_after() to authenticated, service_role;
