-- =============================================================================
-- Local stack only: what supautils lets `postgres` do on hosted Supabase beyond
-- its own privileges, and nothing more. Source: supabase/postgres
-- ansible/files/postgresql_config/supautils.conf.j2.
--
-- * privileged_extensions: their control files are `trusted` in the stack's
--   PostgreSQL (local-stack/postgres/overlay.ts), so `postgres` creates them and
--   the bootstrap superuser owns their objects.
-- * policy_grants {"postgres": [..., "realtime.messages", ...]}: `postgres` may
--   create, alter and drop policies on realtime.messages, which it does not own.
--   PostgreSQL checks ownership by role membership, so `postgres` is made a
--   member of the table's owner and the guard below refuses every other use of
--   that ownership (ALTER, DROP, indexes, triggers, functions of the owner),
--   with the error hosted gives. The owner's own DELETE/TRUNCATE/REFERENCES/
--   TRIGGER privileges are revoked so the membership grants no DML hosted
--   `postgres` lacks (Realtime itself only drops partitions, as their owner).
-- =============================================================================

do $$
begin
  execute format(
    'alter database postgres set supautils.policy_grants = %L',
    '{"postgres":["auth.audit_log_entries","auth.identities","auth.refresh_tokens","auth.sessions","auth.users","realtime.messages","storage.buckets","storage.migrations","storage.objects","storage.s3_multipart_uploads","storage.s3_multipart_uploads_parts"]}'
  );
end
$$;

grant supabase_realtime_admin to postgres;
revoke delete, truncate, references, trigger on realtime.messages from supabase_realtime_admin;

create or replace function extensions.supautils_policy_grants_guard() returns event_trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  command record;
  target_owner oid;
  target_table oid;
  acting_role text := session_user;
begin
  if (select rolsuper from pg_catalog.pg_roles where rolname = acting_role) then
    return;
  end if;
  for command in select * from pg_catalog.pg_event_trigger_ddl_commands() loop
    target_table := case command.classid
      when 'pg_catalog.pg_class'::regclass then command.objid
      when 'pg_catalog.pg_policy'::regclass then
        (select polrelid from pg_catalog.pg_policy where oid = command.objid)
      when 'pg_catalog.pg_trigger'::regclass then
        (select tgrelid from pg_catalog.pg_trigger where oid = command.objid)
      when 'pg_catalog.pg_attrdef'::regclass then
        (select adrelid from pg_catalog.pg_attrdef where oid = command.objid)
      when 'pg_catalog.pg_constraint'::regclass then
        (select conrelid from pg_catalog.pg_constraint where oid = command.objid)
    end;
    if target_table is not null then
      select relowner into target_owner from pg_catalog.pg_class where oid = target_table;
    elsif command.classid = 'pg_catalog.pg_proc'::regclass then
      select proowner into target_owner from pg_catalog.pg_proc where oid = command.objid;
    else
      continue;
    end if;
    if target_owner = 'supabase_realtime_admin'::regrole
      and not (
        tg_tag in ('CREATE POLICY', 'ALTER POLICY')
        and target_table = 'realtime.messages'::regclass
      )
    then
      raise exception 'must be owner of %', command.object_identity using errcode = '42501';
    end if;
  end loop;
end
$$;
comment on function extensions.supautils_policy_grants_guard() is
  'Local stack: limits postgres''s membership in supabase_realtime_admin to supautils policy_grants.';

create or replace function extensions.supautils_policy_grants_drop_guard() returns event_trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  dropped record;
begin
  if (select rolsuper from pg_catalog.pg_roles where rolname = session_user) or tg_tag = 'DROP POLICY' then
    return;
  end if;
  for dropped in select * from pg_catalog.pg_event_trigger_dropped_objects() loop
    if dropped.original and dropped.schema_name = 'realtime' then
      raise exception 'must be owner of %', dropped.object_identity using errcode = '42501';
    end if;
  end loop;
end
$$;
comment on function extensions.supautils_policy_grants_drop_guard() is
  'Local stack: postgres may drop policies on realtime.messages, nothing else of realtime.';

do $$
begin
  if not exists (select from pg_catalog.pg_event_trigger where evtname = 'supautils_policy_grants') then
    create event trigger supautils_policy_grants on ddl_command_end
      execute function extensions.supautils_policy_grants_guard();
  end if;
  if not exists (select from pg_catalog.pg_event_trigger where evtname = 'supautils_policy_grants_drop') then
    create event trigger supautils_policy_grants_drop on sql_drop
      execute function extensions.supautils_policy_grants_drop_guard();
  end if;
end
$$;
