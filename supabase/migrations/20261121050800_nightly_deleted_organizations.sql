-- =============================================================================
-- An organization deleted while its nightly job waits: the job goes with it
-- (on delete cascade), and its run must not wait for it. The run stops
-- counting it; if it was the last one pending, the run closes (with its notice)
-- in the deleting transaction. Settled jobs stay counted: run totals are history.
-- =============================================================================

-- A run whose every organization was deleted counts no job at all.
alter table nightly.runs drop constraint runs_job_count_check;
alter table nightly.runs add constraint runs_job_count_not_negative check (job_count >= 0);

create function nightly.forget_deleted_job()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  v_pending integer;
begin
  update nightly.runs as run
  set job_count = run.job_count - 1,
      pending_count = run.pending_count - 1
  where run.id = old.run_id and run.status = 'running'
  returning run.pending_count into v_pending;
  if v_pending = 0 then
    perform nightly.finish_run(old.run_id, now());
  end if;
  return null;
end
$$;
comment on function nightly.forget_deleted_job() is
  'Row trigger: a queued or running job deleted (its organization was) no longer counts in its '
  'run; the run closes when nothing else is pending.';
revoke execute on function nightly.forget_deleted_job() from public;

create trigger organization_runs_forget_deleted
  after delete on nightly.organization_runs
  for each row
  when (old.status in ('queued', 'running'))
  execute function nightly.forget_deleted_job();
