-- =============================================================================
-- Local stack only: the database side of Supabase Realtime Broadcast.
-- `realtime.send` inserts into `realtime.messages`; the Realtime server (not
-- emulated) would deliver each row to subscribers of `topic` after checking,
-- as the subscriber, that RLS on realtime.messages lets them read it while
-- `realtime.topic()` returns that topic.
-- =============================================================================

create schema if not exists realtime;
grant usage on schema realtime to postgres, anon, authenticated, service_role;

create table if not exists realtime.messages (
  topic text not null,
  extension text not null,
  payload jsonb,
  event text,
  private boolean default false,
  updated_at timestamp not null default now(),
  inserted_at timestamp not null default now(),
  id uuid not null default extensions.gen_random_uuid(),
  primary key (id, inserted_at)
);
create index if not exists messages_topic_idx on realtime.messages (topic, inserted_at);
alter table realtime.messages enable row level security;
grant select, insert, update, delete on realtime.messages to postgres, anon, authenticated, service_role;

create or replace function realtime.topic() returns text
language sql stable
as $$
  select nullif(current_setting('realtime.topic', true), '')::text
$$;

create or replace function realtime.send(
  payload jsonb,
  event text,
  topic text,
  private boolean default true
) returns void
language plpgsql
as $$
begin
  begin
    -- As on Supabase: expose the topic to RLS policies evaluated during the insert.
    execute format('set local realtime.topic to %L', topic);
    insert into realtime.messages (payload, event, topic, private, extension)
    values (payload, event, topic, private, 'broadcast');
  exception
    when others then
      raise warning 'ErrorSendingBroadcastMessage: %', sqlerrm;
  end;
end
$$;

grant execute on function realtime.topic() to postgres, anon, authenticated, service_role;
grant execute on function realtime.send(jsonb, text, text, boolean) to postgres, service_role;
