-- What hosted Supabase lets postgres do beyond its privileges (supautils, with
-- supabase/postgres ansible/files/postgresql_config/supautils.conf.j2), and no more.
begin;
select plan(8);

select lives_ok(
  $$create policy "pgTAP policy" on realtime.messages for select to authenticated using (false)$$,
  'policy_grants: postgres creates a policy on realtime.messages');
select lives_ok($$alter policy "pgTAP policy" on realtime.messages using (true)$$,
  'policy_grants: postgres alters it');
select lives_ok($$drop policy "pgTAP policy" on realtime.messages$$,
  'policy_grants: postgres drops it');
select throws_ok($$alter table realtime.messages add column pgtap_probe int$$, '42501', null,
  'postgres cannot alter realtime.messages');
select throws_ok($$create index on realtime.messages (event)$$, '42501', null,
  'postgres cannot index realtime.messages');
select throws_ok($$drop table realtime.messages$$, '42501', null,
  'postgres cannot drop realtime.messages');
select lives_ok($$create extension if not exists pg_trgm with schema extensions$$,
  'privileged_extensions: postgres creates pg_trgm');
select throws_ok($$create extension file_fdw$$, '42501', null,
  'an extension outside privileged_extensions is refused');

select * from finish();
rollback;
