-- =============================================================================
-- Local stack only: GoTrue's sessions and refresh tokens, as supabase/auth's
-- migrations leave them (00_init_auth_schema, 20210927181326_add_refresh_token_parent,
-- 20220811173540_add_sessions_table, 20221003041400_add_aal_and_factor_id_to_sessions,
-- 20221114143122_add_session_not_after_column, 20231027141322_add_session_refresh_columns,
-- 20231114161723_add_sessions_tag). The local GoTrue emulation (local-stack/auth/)
-- writes them; nothing in supabase/migrations may rely on more than upstream has.
-- =============================================================================

do $$
begin
  if not exists (
    select from pg_catalog.pg_type t join pg_catalog.pg_namespace n on n.oid = t.typnamespace
     where n.nspname = 'auth' and t.typname = 'aal_level'
  ) then
    create type auth.aal_level as enum ('aal1', 'aal2', 'aal3');
  end if;
end
$$;

create table if not exists auth.sessions (
  id uuid not null primary key,
  user_id uuid not null references auth.users (id) on delete cascade,
  created_at timestamptz,
  updated_at timestamptz,
  factor_id uuid,
  aal auth.aal_level,
  not_after timestamptz,
  refreshed_at timestamp without time zone,
  user_agent text,
  ip inet,
  tag text
);
comment on table auth.sessions is 'Auth: Stores session data associated to a user.';
comment on column auth.sessions.not_after is
  'Auth: Not after is a nullable column that contains a timestamp after which the session should be regarded as expired.';
create index if not exists sessions_user_id_idx on auth.sessions (user_id);

create table if not exists auth.refresh_tokens (
  instance_id uuid,
  id bigserial primary key,
  token varchar(255) constraint refresh_tokens_token_unique unique,
  user_id varchar(255),
  revoked boolean,
  created_at timestamptz,
  updated_at timestamptz,
  parent varchar(255),
  session_id uuid references auth.sessions (id) on delete cascade
);
comment on table auth.refresh_tokens is
  'Auth: Store of tokens used to refresh JWT tokens once they expire.';
create index if not exists refresh_tokens_parent_idx on auth.refresh_tokens (parent);
create index if not exists refresh_tokens_session_id_revoked_idx
  on auth.refresh_tokens (session_id, revoked);

-- As on hosted: owned by GoTrue's role (it creates them), `postgres` and the
-- dashboard with table privileges (03_auth.sql's grants), RLS on, no policies,
-- nothing granted to the API roles.
alter type auth.aal_level owner to supabase_auth_admin;
alter table auth.sessions owner to supabase_auth_admin;
alter table auth.refresh_tokens owner to supabase_auth_admin;
grant all on auth.sessions, auth.refresh_tokens to postgres, dashboard_user;
grant all on sequence auth.refresh_tokens_id_seq to postgres, dashboard_user;
alter table auth.sessions enable row level security;
alter table auth.refresh_tokens enable row level security;
