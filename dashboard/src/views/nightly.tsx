/**
 * Nightly: each organization's freshness, overdue flag, next night and last
 * result (`GET nightly-refresh/status`); the chosen organization's run history
 * with durations, last error and notices waiting in the outbox
 * (`GET nightly-refresh/runs`); "Rebuild now" (`POST nightly-refresh/rebuild`).
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useMemo } from "react";
import type { NightlyStatusAnswer, RebuildAnswer, RunsAnswer } from "../api/types.ts";
import type { ViewProps } from "../app.tsx";
import { Chart } from "../charts/chart.tsx";
import { formatDuration, formatTime } from "../format.ts";
import { Loaded } from "./common.tsx";

export function NightlyView({ api, organization, isServiceRole }: ViewProps) {
  const queryClient = useQueryClient();
  const status = useQuery({
    queryKey: ["org", organization.id, "nightly-status", isServiceRole],
    // Admins see all their organizations; the service role asks about the chosen one.
    queryFn: () =>
      api.get<NightlyStatusAnswer>(
        "nightly-refresh/status",
        isServiceRole ? { organization_id: organization.id } : {},
      ),
  });
  const runs = useQuery({
    queryKey: ["org", organization.id, "nightly-runs"],
    queryFn: () =>
      api.get<RunsAnswer>("nightly-refresh/runs", { organization_id: organization.id }),
    // While a job waits or runs, follow it closely.
    refetchInterval: (query) =>
      query.state.data?.runs.some((run) => run.status === "queued" || run.status === "running")
        ? 2_000
        : 30_000,
  });
  const rebuild = useMutation({
    mutationFn: () =>
      api.post<RebuildAnswer>("nightly-refresh/rebuild", { organization_id: organization.id }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["org", organization.id] }),
  });

  return (
    <>
      <Loaded query={status}>
        {(data) => (
          <div className="table-wrap">
            <table data-testid="nightly-organizations">
              <caption>
                Freshness (overdue after {data.overdue_after_hours}{" "}
                h without a successful refresh) · queue: {data.queue.queued} queued,{" "}
                {data.queue.waiting_for_retry} waiting for a retry, {data.queue.running} running
              </caption>
              <thead>
                <tr>
                  <th scope="col">Organization</th>
                  <th scope="col">Last refreshed</th>
                  <th scope="col">Overdue</th>
                  <th scope="col">Next night</th>
                  <th scope="col">Last result</th>
                  <th scope="col">Last error</th>
                </tr>
              </thead>
              <tbody>
                {(data.organizations ?? []).map((org) => (
                  <tr key={org.organization_id}>
                    <th scope="row">
                      {org.name}
                      <div className="hint">{org.time_zone} · {org.status}</div>
                    </th>
                    <td>{formatTime(org.last_refreshed_at)}</td>
                    <td>
                      <span
                        className={`badge ${org.overdue ? "health-critical" : "health-healthy"}`}
                      >
                        {org.overdue ? "overdue" : "no"}
                      </span>
                    </td>
                    <td>{org.next_local_date ?? "–"}</td>
                    <td>
                      {org.last_result
                        ? `${org.last_result.status} (${org.last_result.local_date}, ${
                          formatDuration(org.last_result.duration_ms)
                        })`
                        : "never run"}
                    </td>
                    <td>{org.last_result?.error ?? "–"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Loaded>
      <section className="panel" aria-labelledby="rebuild-title">
        <h2 id="rebuild-title">Rebuild {organization.name} now</h2>
        <p className="hint">
          Queues the organization through the nightly queue at once: the same rebuild, validation,
          log, broadcast and notices as a night. Asking again while it waits changes nothing.
        </p>
        <button
          type="button"
          onClick={() => rebuild.mutate()}
          disabled={rebuild.isPending || organization.status !== "active"}
        >
          Rebuild now
        </button>
        {organization.status !== "active" && (
          <p className="hint">Suspended organizations are not refreshed.</p>
        )}
        {rebuild.error && <p role="alert" className="error">{rebuild.error.message}</p>}
        {rebuild.data && (
          <p role="status" data-testid="rebuild-result">
            {rebuild.data.status === "queued" ? "Queued" : "Already queued"}: job{" "}
            {rebuild.data.job_id} for the night of {rebuild.data.local_date}.
          </p>
        )}
      </section>
      <Loaded query={runs}>{(data) => <RunHistory data={data} />}</Loaded>
    </>
  );
}

function RunHistory({ data }: { data: RunsAnswer }) {
  const chart = useMemo(() => {
    const finished = data.runs.filter((run) => run.duration_ms != null).slice(0, 30).reverse();
    return {
      xs: finished.map((_, i) => i),
      categories: finished.map((run) =>
        `${run.local_date.slice(5)}${run.kind === "rebuild" ? "*" : ""}`
      ),
      series: [{
        label: "duration (ms)",
        color: "#7c3aed",
        values: finished.map((run) => run.duration_ms),
      }],
    };
  }, [data]);
  return (
    <section aria-labelledby="runs-title">
      <h2 id="runs-title">Run history</h2>
      {data.last_error && (
        <p role="note" className="error">
          Last error ({data.last_error.local_date}, {formatTime(data.last_error.at)}):{" "}
          {data.last_error.error}
        </p>
      )}
      {chart.xs.length > 0 && (
        <Chart
          title="Durations of the latest runs (* rebuild on request)"
          kind="bars"
          xs={chart.xs}
          categories={chart.categories}
          series={chart.series}
          testId="chart-runs"
        />
      )}
      <div className="table-wrap">
        <table data-testid="nightly-runs">
          <thead>
            <tr>
              <th scope="col">Night</th>
              <th scope="col">Kind</th>
              <th scope="col">Result</th>
              <th scope="col">Attempts</th>
              <th scope="col">Queued</th>
              <th scope="col">Finished</th>
              <th scope="col">Duration</th>
              <th scope="col">Significant changes</th>
              <th scope="col">Error</th>
            </tr>
          </thead>
          <tbody>
            {data.runs.length === 0 && (
              <tr>
                <td colSpan={9}>No runs yet.</td>
              </tr>
            )}
            {data.runs.map((run) => (
              <tr key={run.id} data-status={run.status}>
                <th scope="row">{run.local_date}</th>
                <td>{run.kind}</td>
                <td>{run.status}{run.skip_reason ? ` (${run.skip_reason})` : ""}</td>
                <td>{run.attempts}</td>
                <td>{formatTime(run.enqueued_at)}</td>
                <td>{formatTime(run.finished_at)}</td>
                <td>{formatDuration(run.duration_ms)}</td>
                <td>{run.significant_changes.length}</td>
                <td>{run.last_error ?? "–"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2>Notices waiting in the outbox</h2>
      {data.pending_notices.length === 0
        ? <p>None: every notice about this organization was delivered.</p>
        : (
          <ul>
            {data.pending_notices.map((notice) => (
              <li key={notice.id}>
                {notice.kind} from {formatTime(notice.created_at)}: {notice.attempts} attempts, next
                {" "}
                {formatTime(notice.next_attempt_at)}
                {notice.last_error ? ` (last error: ${notice.last_error})` : ""}
              </li>
            ))}
          </ul>
        )}
    </section>
  );
}
