-- pg_net as supabase/pg_net `sql/pg_net.sql` defines it, with the grants of
-- supabase/postgres `migrations/db/migrations/20250220051611_pg_net_perms_fix.sql`.
begin;
select plan(12);

select has_function('net', 'http_get', array['text', 'jsonb', 'jsonb', 'integer'], 'net.http_get exists');
select has_function('net', 'http_post', array['text', 'jsonb', 'jsonb', 'jsonb', 'integer'],
  'net.http_post exists');
select has_function('net', 'http_delete', array['text', 'jsonb', 'jsonb', 'integer', 'jsonb'],
  'net.http_delete exists');
select has_function('net', 'check_worker_is_up', 'net.check_worker_is_up exists');
select has_function('net', 'wake', 'net.wake exists');
select has_function('net', 'worker_restart', 'net.worker_restart exists');
select ok(not bool_or(proisstrict) and not bool_or(prosecdef),
  'the request functions are neither STRICT nor SECURITY DEFINER')
  from pg_proc where pronamespace = 'net'::regnamespace and proname in ('http_get', 'http_post', 'http_delete');
select col_is_null('net', 'http_request_queue', 'headers', 'queued headers may be null');
select is(
  (select array_agg(privilege_type::text order by privilege_type)
     from pg_class, aclexplode(relacl) where oid = 'net._http_response'::regclass and grantee = 0),
  array['DELETE', 'INSERT', 'REFERENCES', 'SELECT', 'TRIGGER', 'TRUNCATE', 'UPDATE'],
  'net tables are granted to PUBLIC');
select ok(has_function_privilege('anon', 'net.http_post(text, jsonb, jsonb, jsonb, integer)', 'EXECUTE'),
  'net.http_post is executable by PUBLIC');
select ok(has_schema_privilege('authenticated', 'net', 'USAGE'), 'the API roles use schema net');
select is((select relpersistence::text from pg_class where oid = 'net.http_request_queue'::regclass),
  'u', 'the request queue is unlogged');

select * from finish();
rollback;
