-- =============================================================================
-- Scheduling: pg_cron → pg_net → the nightly-refresh edge function.
--
-- The function's URL and its dedicated cron secret live in Vault, never in a
-- migration or in cron.job:
--
--   nightshift_project_url          https://<project ref>.supabase.co
--   nightshift_nightly_cron_secret  a random string of at least 32 characters, equal to
--                                   the function's NIGHTLY_CRON_SECRET
--   nightshift_nightly_webhook_url  optional: the Slack incoming webhook for notices
--                                   (the function's NIGHTLY_WEBHOOK_URL wins when set)
--
-- Set them once per project (SQL editor, as postgres):
--   select nightly.configure_vault('https://<ref>.supabase.co', '<cron secret>');
--   select nightly.configure_webhook('https://hooks.slack.com/services/...');
--
-- Jobs (GMT; the function decides what is due, so only the cadence is set here):
--   nightshift-nightly-tick           every 5 minutes: {"task": "tick"}
--   nightshift-nightly-overdue-check  hourly: {"task": "overdue-check"}
-- nightly.schedule_jobs() (re)registers both by name: running it again leaves one
-- job of each name, with the cadence given.
-- =============================================================================

-- -----------------------------------------------------------------------------
-- Vault entries
-- -----------------------------------------------------------------------------

create function nightly.put_vault_secret(p_name text, p_secret text, p_description text)
returns uuid
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_id uuid;
begin
  select secret.id into v_id from vault.decrypted_secrets as secret where secret.name = p_name;
  if v_id is null then
    v_id := vault.create_secret(p_secret, p_name, p_description);
  else
    perform vault.update_secret(v_id, p_secret, p_name, p_description);
  end if;
  return v_id;
end
$$;
comment on function nightly.put_vault_secret(text, text, text) is
  'Creates or replaces the Vault secret named p_name.';

create function nightly.configure_vault(p_project_url text, p_cron_secret text)
returns void
language plpgsql
volatile
set search_path = ''
as $$
begin
  if p_project_url is null or p_project_url !~ '^https?://[^/?#\s]+/?$' then
    raise exception using errcode = '22023',
      message = 'Invalid project URL: expected the project''s base URL such as '
        || 'https://<ref>.supabase.co, without a path';
  end if;
  if p_cron_secret is null or length(p_cron_secret) < 32 then
    raise exception using errcode = '22023',
      message = 'Invalid cron secret: expected at least 32 characters (the function''s '
        || 'NIGHTLY_CRON_SECRET)';
  end if;
  perform nightly.put_vault_secret('nightshift_project_url', rtrim(p_project_url, '/'),
    'Base URL of the project, for pg_cron to call its edge functions');
  perform nightly.put_vault_secret('nightshift_nightly_cron_secret', p_cron_secret,
    'Secret pg_cron sends to the nightly-refresh function (its NIGHTLY_CRON_SECRET)');
end
$$;
comment on function nightly.configure_vault(text, text) is
  'Stores (or replaces) the Vault entries pg_cron''s jobs call nightly-refresh with: the project '
  'URL and the cron secret, which must equal the function''s NIGHTLY_CRON_SECRET.';

create function nightly.configure_webhook(p_webhook_url text)
returns void
language plpgsql
volatile
set search_path = ''
as $$
begin
  if p_webhook_url is null then
    delete from vault.secrets where name = 'nightshift_nightly_webhook_url';
    return;
  end if;
  if p_webhook_url !~ '^https?://[^\s]+$' then
    raise exception using errcode = '22023',
      message = 'Invalid webhook URL: expected an http(s) URL such as https://hooks.slack.com/services/...';
  end if;
  perform nightly.put_vault_secret('nightshift_nightly_webhook_url', p_webhook_url,
    'Slack-compatible webhook the nightly refresh posts its notices to');
end
$$;
comment on function nightly.configure_webhook(text) is
  'Stores the webhook URL notices are posted to (Vault nightshift_nightly_webhook_url); null '
  'removes it. The function''s NIGHTLY_WEBHOOK_URL, when set, takes precedence.';

-- -----------------------------------------------------------------------------
-- Calling the function
-- -----------------------------------------------------------------------------

create function nightly.request_invocation(
  p_task text default 'tick',
  p_timeout_milliseconds integer default 120000
)
returns bigint
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_project_url text;
  v_cron_secret text;
begin
  if p_task is null or p_task not in ('tick', 'overdue-check') then
    raise exception using errcode = '22023',
      message = format('Invalid task: expected tick or overdue-check: received %s',
        coalesce(quote_literal(p_task), 'null'));
  end if;
  select secret.decrypted_secret into v_project_url
  from vault.decrypted_secrets as secret where secret.name = 'nightshift_project_url';
  select secret.decrypted_secret into v_cron_secret
  from vault.decrypted_secrets as secret where secret.name = 'nightshift_nightly_cron_secret';
  if v_project_url is null or v_cron_secret is null then
    raise exception using errcode = '55000',
      message = 'Cannot call nightly-refresh: Vault secrets nightshift_project_url and '
        || 'nightshift_nightly_cron_secret are not set: run '
        || 'select nightly.configure_vault(''https://<ref>.supabase.co'', ''<cron secret>'')';
  end if;
  return net.http_post(
    url := v_project_url || '/functions/v1/nightly-refresh',
    body := jsonb_build_object('task', p_task),
    params := '{}'::jsonb,
    headers := jsonb_build_object(
      'Content-Type', 'application/json',
      'Authorization', 'Bearer ' || v_cron_secret
    ),
    timeout_milliseconds := p_timeout_milliseconds
  );
end
$$;
comment on function nightly.request_invocation(text, integer) is
  'Queues (pg_net, sent after commit) POST <project url>/functions/v1/nightly-refresh '
  '{"task": p_task} with the cron secret as bearer token, both read from Vault, and an explicit '
  'timeout. pg_cron''s jobs run it; the function runs it to chain a follow-up invocation.';

-- -----------------------------------------------------------------------------
-- pg_cron jobs
-- -----------------------------------------------------------------------------

create function nightly.schedule_jobs(
  p_tick_schedule text default '*/5 * * * *',
  p_overdue_check_schedule text default '17 * * * *'
)
returns void
language plpgsql
volatile
set search_path = ''
as $$
begin
  perform cron.schedule('nightshift-nightly-tick', p_tick_schedule,
    $job$select nightly.request_invocation('tick')$job$);
  perform cron.schedule('nightshift-nightly-overdue-check', p_overdue_check_schedule,
    $job$select nightly.request_invocation('overdue-check')$job$);
end
$$;
comment on function nightly.schedule_jobs(text, text) is
  'Registers (or re-registers, by name) the pg_cron jobs nightshift-nightly-tick (default every '
  '5 minutes) and nightshift-nightly-overdue-check (default hourly at :17), in GMT.';

revoke execute on function
  nightly.put_vault_secret(text, text, text),
  nightly.configure_vault(text, text),
  nightly.configure_webhook(text),
  nightly.request_invocation(text, integer),
  nightly.schedule_jobs(text, text)
  from public;

select nightly.schedule_jobs();
