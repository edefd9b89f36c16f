-- =============================================================================
-- Local stack only: Supabase Vault (the `supabase_vault` extension) with its
-- upstream names, signatures, SECURITY DEFINER functions, owner and grants.
-- Sources: supabase/vault `sql/supabase_vault--0.3.0.sql` (objects);
-- supabase/postgres `ansible/files/postgresql_extension_custom_scripts/
-- supabase_vault/after-create.sql` and
-- `migrations/db/migrations/20221207154255_create_pgsodium_and_vault.sql` (grants).
-- On Supabase secrets are encrypted with libsodium; here they are stored as
-- given (the cluster is throwaway): `secret` holds the plain text, and
-- `decrypted_secrets.decrypted_secret` returns it, as upstream returns the
-- decrypted value. Owned by supabase_admin, which runs this file.
-- =============================================================================

create schema if not exists vault;

create table if not exists vault.secrets (
  id uuid primary key default extensions.gen_random_uuid(),
  name text,
  description text not null default '',
  secret text not null,
  key_id uuid,
  nonce bytea,
  created_at timestamptz not null default current_timestamp,
  updated_at timestamptz not null default current_timestamp
);
comment on table vault.secrets is
  'Table with encrypted `secret` column for storing sensitive information on disk.';
create unique index if not exists secrets_name_idx on vault.secrets (name) where name is not null;

-- Stands in for the libsodium decryption (the local stack stores plain text).
create or replace function vault._crypto_aead_det_decrypt(
  message bytea, additional bytea, key_id bigint, context bytea default 'pgsodium', nonce bytea default null
) returns bytea
language sql immutable
set search_path = ''
as $$ select message $$;

create or replace view vault.decrypted_secrets as
  select s.id, s.name, s.description, s.secret,
         convert_from(vault._crypto_aead_det_decrypt(
           message := convert_to(s.secret, 'utf8'),
           additional := convert_to(s.id::text, 'utf8'),
           key_id := 0,
           context := 'pgsodium'::bytea,
           nonce := s.nonce
         ), 'utf8') as decrypted_secret,
         s.key_id, s.nonce, s.created_at, s.updated_at
  from vault.secrets s;

create or replace function vault.create_secret(
  new_secret text,
  new_name text default null,
  new_description text default '',
  new_key_id uuid default null
) returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  created_id uuid;
begin
  insert into vault.secrets (secret, name, description)
  values (new_secret, new_name, new_description)
  returning id into created_id;
  return created_id;
end
$$;

create or replace function vault.update_secret(
  secret_id uuid,
  new_secret text default null,
  new_name text default null,
  new_description text default null,
  new_key_id uuid default null
) returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  update vault.secrets s
     set secret = coalesce(new_secret, s.secret),
         name = coalesce(new_name, s.name),
         description = coalesce(new_description, s.description),
         updated_at = now()
   where s.id = secret_id;
end
$$;

revoke all on function vault._crypto_aead_det_decrypt(bytea, bytea, bigint, bytea, bytea),
  vault.create_secret(text, text, text, uuid),
  vault.update_secret(uuid, text, text, text, uuid) from public;

-- after-create.sql: postgres (with grant option) and service_role.
grant usage on schema vault to postgres with grant option;
grant select, delete, truncate, references on vault.secrets, vault.decrypted_secrets
  to postgres with grant option;
grant execute on function vault.create_secret(text, text, text, uuid),
  vault.update_secret(uuid, text, text, text, uuid),
  vault._crypto_aead_det_decrypt(bytea, bytea, bigint, bytea, bytea) to postgres with grant option;
grant usage on schema vault to service_role;
grant select, delete on vault.secrets, vault.decrypted_secrets to service_role;
grant execute on function vault.create_secret(text, text, text, uuid),
  vault.update_secret(uuid, text, text, text, uuid),
  vault._crypto_aead_det_decrypt(bytea, bytea, bigint, bytea, bytea) to service_role;
