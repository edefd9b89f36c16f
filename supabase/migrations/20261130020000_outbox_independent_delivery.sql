-- =============================================================================
-- Outbox delivery, notice by notice (issue 13, items 1 and 2).
--
-- Each notice keeps its own schedule: a failed attempt moves only that notice
-- (30 s, 1 m, 2 m, … capped), so one the receiver keeps refusing never holds up
-- the ones behind it. A receiver's own hint (`Retry-After` on 429 or 503) is
-- about the receiver, not one notice: nothing pending is sent to it before then.
-- A permanent refusal (4xx other than 408 and 429) is parked with its reason,
-- never sent again, and shown in the status. Every notice carries a stable
-- idempotency key, sent with each attempt, so a receiver that answered too late
-- (the POST timed out, delivery is at least once) can drop the duplicate.
-- A pg_cron job looks every minute and asks for a delivery pass only when a
-- notice is due, so retries follow their schedule instead of the 5-minute tick.
--
--   nightly.claim_next_notice        takes the oldest due notice, with its idempotency key
--   nightly.record_notice_attempt    delivered, retry after backoff / receiver's hint, or parked
--   nightly.notice_status            pending, due and parked notices (service role)
--   nightly.request_notice_delivery  pg_cron's per-minute check
-- =============================================================================

alter table nightly.webhook_outbox
  add column idempotency_key uuid not null default gen_random_uuid(),
  add column parked_at timestamptz,
  add column parked_reason text;
alter table nightly.webhook_outbox drop constraint webhook_outbox_status_check;
alter table nightly.webhook_outbox
  add constraint webhook_outbox_status_check check (status in ('pending', 'delivered', 'parked')),
  add constraint webhook_outbox_parked_has_reason
    check ((status = 'parked') = (parked_at is not null and parked_reason is not null)),
  add constraint webhook_outbox_idempotency_key_key unique (idempotency_key);
comment on column nightly.webhook_outbox.idempotency_key is
  'Sent with every attempt (body idempotency_key, header Idempotency-Key): the same for retries.';
comment on column nightly.webhook_outbox.parked_reason is
  'Why the receiver refused the notice for good (HTTP status and its answer); parked notices are '
  'not sent again.';

drop function nightly.claim_next_notice(timestamptz, interval);
create function nightly.claim_next_notice(p_now timestamptz, p_lock_for interval)
returns table (id bigint, kind text, event jsonb, attempts integer, idempotency_key uuid)
language sql
volatile
set search_path = ''
as $$
  with candidate as materialized (
    select notice.id
    from nightly.webhook_outbox as notice
    where notice.status = 'pending'
      and notice.next_attempt_at <= p_now
      and (notice.locked_until is null or notice.locked_until <= p_now)
    order by notice.next_attempt_at, notice.id
    limit 1
    for update skip locked
  )
  update nightly.webhook_outbox as notice
  set attempts = notice.attempts + 1,
      locked_until = p_now + p_lock_for
  from candidate
  where notice.id = candidate.id
  returning notice.id, notice.kind, notice.event, notice.attempts, notice.idempotency_key
$$;
comment on function nightly.claim_next_notice(timestamptz, interval) is
  'Takes the pending notice due longest (next_attempt_at <= p_now) for one delivery attempt, '
  'hidden from other deliverers until p_now + p_lock_for. No row: nothing to deliver.';

drop function nightly.record_notice_delivery(
  bigint, timestamptz, boolean, integer, text, interval, interval
);
create function nightly.record_notice_attempt(
  p_id bigint,
  p_now timestamptz,
  p_outcome text,
  p_http_status integer,
  p_error text,
  p_not_before timestamptz default null,
  p_retry_base_delay interval default interval '30 seconds',
  p_retry_max_delay interval default interval '1 hour'
)
returns timestamptz
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_next timestamptz;
begin
  if p_outcome is null or p_outcome not in ('delivered', 'retry', 'parked') then
    raise exception using errcode = '22023',
      message = format('Invalid outcome: expected delivered, retry or parked: received %s',
        coalesce(quote_literal(p_outcome), 'null'));
  end if;
  update nightly.webhook_outbox as notice
  set status = case p_outcome when 'retry' then 'pending' else p_outcome end,
      delivered_at = case when p_outcome = 'delivered' then clock_timestamp() end,
      parked_at = case when p_outcome = 'parked' then clock_timestamp() end,
      parked_reason = case when p_outcome = 'parked' then left(p_error, 1000) end,
      locked_until = null,
      last_http_status = p_http_status,
      last_error = case when p_outcome = 'delivered' then null else left(p_error, 1000) end,
      next_attempt_at = case when p_outcome <> 'retry' then notice.next_attempt_at else
        greatest(
          p_now + least(p_retry_max_delay,
                        p_retry_base_delay * power(2, greatest(notice.attempts - 1, 0)))
                * (0.75 + random() * 0.5),
          p_not_before)
      end
  where notice.id = p_id
  returning notice.next_attempt_at into v_next;

  -- The receiver asked everyone to wait: nothing pending goes to it sooner.
  if p_outcome = 'retry' and p_not_before is not null then
    update nightly.webhook_outbox as notice
    set next_attempt_at = p_not_before
    where notice.status = 'pending' and notice.next_attempt_at < p_not_before;
  end if;
  return case when p_outcome = 'retry' then v_next end;
end
$$;
comment on function nightly.record_notice_attempt(bigint, timestamptz, text, integer, text, timestamptz, interval, interval) is
  'Records one attempt: delivered; retry (next attempt after p_retry_base_delay x '
  '2^(attempts-1), at most p_retry_max_delay, +-25% jitter, and never before p_not_before, the '
  'receiver''s Retry-After, which then also holds back every other pending notice); or parked '
  '(refused for good, p_error kept as the reason). Returns the next attempt of a retry.';

create function nightly.notice_status(p_now timestamptz)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select jsonb_build_object(
    'pending', count(*) filter (where notice.status = 'pending'),
    'due', count(*) filter (where notice.status = 'pending' and notice.next_attempt_at <= p_now),
    'next_attempt_at', min(notice.next_attempt_at) filter (where notice.status = 'pending'),
    'oldest_pending_created_at', min(notice.created_at) filter (where notice.status = 'pending'),
    'parked', count(*) filter (where notice.status = 'parked'),
    'parked_notices', coalesce((
      select jsonb_agg(jsonb_build_object(
        'id', parked.id, 'kind', parked.kind, 'run_id', parked.run_id,
        'organization_id', parked.organization_id, 'parked_at', parked.parked_at,
        'http_status', parked.last_http_status, 'reason', parked.parked_reason
      ) order by parked.parked_at desc, parked.id desc)
      from (
        select * from nightly.webhook_outbox as candidate
        where candidate.status = 'parked'
        order by candidate.parked_at desc, candidate.id desc
        limit 20
      ) as parked
    ), '[]'::jsonb)
  )
  from nightly.webhook_outbox as notice
  where notice.status in ('pending', 'parked')
$$;
comment on function nightly.notice_status(timestamptz) is
  'The outbox in the status document: pending and due counts, the next attempt, and parked '
  'notices (count, the 20 latest with their reason). Service role only: notices describe every '
  'organization.';

-- -----------------------------------------------------------------------------
-- Delivery on the notices' own schedule
-- -----------------------------------------------------------------------------

create or replace function nightly.request_invocation(
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
  if p_task is null or p_task not in ('tick', 'overdue-check', 'deliver-notices') then
    raise exception using errcode = '22023',
      message = format(
        'Invalid task: expected tick, overdue-check or deliver-notices: received %s',
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
  '{"task": p_task} (tick, overdue-check or deliver-notices) with the cron secret as bearer '
  'token, both read from Vault, and an explicit timeout. pg_cron''s jobs run it; the function '
  'runs it to chain a follow-up invocation.';

create function nightly.request_notice_delivery()
returns bigint
language plpgsql
volatile
set search_path = ''
as $$
begin
  if not exists (
    select 1 from nightly.webhook_outbox as notice
    where notice.status = 'pending' and notice.next_attempt_at <= now()
      and (notice.locked_until is null or notice.locked_until <= now())
  ) then
    return null;
  end if;
  return nightly.request_invocation('deliver-notices', 60000);
end
$$;
comment on function nightly.request_notice_delivery() is
  'pg_cron''s per-minute check: when a pending notice is due (database clock), asks nightly-'
  'refresh for a delivery pass (nightly.request_invocation(''deliver-notices'')) and returns the '
  'pg_net request id; otherwise does nothing and returns null.';

revoke execute on function
  nightly.claim_next_notice(timestamptz, interval),
  nightly.record_notice_attempt(bigint, timestamptz, text, integer, text, timestamptz, interval, interval),
  nightly.notice_status(timestamptz),
  nightly.request_notice_delivery()
  from public;
grant execute on function
  nightly.claim_next_notice(timestamptz, interval),
  nightly.record_notice_attempt(bigint, timestamptz, text, integer, text, timestamptz, interval, interval),
  nightly.notice_status(timestamptz)
  to service_role;

select cron.schedule('nightshift-nightly-notices', '* * * * *',
  $job$select nightly.request_notice_delivery()$job$);
