-- Realtime's database side as the Realtime server's tenant migrations leave it
-- (supabase/realtime lib/realtime/tenants/repo/migrations/:
-- 20241030150047_messages_partitioning.ex, 20241108114728_messages_using_uuid.ex,
-- 20260605120000_rename_broadcast_send_warning.ex, 20260707120000_restrict_realtime_schema.ex).
begin;
select plan(10);

select function_returns('realtime', 'send', array['jsonb', 'text', 'text', 'boolean'], 'void',
  'realtime.send(payload, event, topic, private) returns void');
select function_returns('realtime', 'topic', array[]::text[], 'text', 'realtime.topic() returns text');
select isnt_definer('realtime', 'send', array['jsonb', 'text', 'text', 'boolean'],
  'realtime.send runs as its caller, so RLS insert policies apply');
select is((select pg_get_partkeydef('realtime.messages'::regclass)), 'RANGE (inserted_at)',
  'realtime.messages is partitioned by range of inserted_at');
select col_is_pk('realtime', 'messages', array['id', 'inserted_at'], 'the key is (id, inserted_at)');
select col_type_is('realtime', 'messages', 'id', 'uuid', 'message ids are uuids');
select ok((select relrowsecurity from pg_class where oid = 'realtime.messages'::regclass),
  'realtime.messages has row level security');
select is(
  (select array_agg(privilege_type::text order by privilege_type)
     from information_schema.role_table_grants
    where table_schema = 'realtime' and table_name = 'messages' and grantee = 'authenticated'),
  array['INSERT', 'SELECT', 'UPDATE'], 'API roles may select, insert and update messages');
select ok(not has_table_privilege('postgres', 'realtime.messages', 'DELETE'),
  'postgres may not delete messages');
select is(
  (select proowner::regrole::text from pg_proc where oid = 'realtime.send(jsonb, text, text, boolean)'::regprocedure),
  'supabase_realtime_admin', 'realtime.send belongs to supabase_realtime_admin');

select * from finish();
rollback;
