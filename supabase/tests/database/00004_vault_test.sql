-- Supabase Vault as supabase/vault `sql/supabase_vault--0.3.0.sql` defines it,
-- with the grants of supabase/postgres
-- `ansible/files/postgresql_extension_custom_scripts/supabase_vault/after-create.sql`.
begin;
select plan(7);

select function_returns('vault', 'create_secret', array['text', 'text', 'text', 'uuid'], 'uuid',
  'vault.create_secret(new_secret, new_name, new_description, new_key_id) returns uuid');
select is_definer('vault', 'create_secret', array['text', 'text', 'text', 'uuid'],
  'vault.create_secret is SECURITY DEFINER');
select is_definer('vault', 'update_secret', array['uuid', 'text', 'text', 'text', 'uuid'],
  'vault.update_secret is SECURITY DEFINER');
select ok(not has_function_privilege('anon', 'vault.create_secret(text, text, text, uuid)', 'EXECUTE'),
  'anon cannot create secrets');
select ok(not has_schema_privilege('authenticated', 'vault', 'USAGE'), 'authenticated cannot use vault');
select ok(has_table_privilege('postgres', 'vault.decrypted_secrets', 'SELECT'),
  'postgres reads decrypted secrets');
select ok(not has_table_privilege('postgres', 'vault.secrets', 'INSERT'),
  'postgres writes secrets only through vault.create_secret');

select * from finish();
rollback;
