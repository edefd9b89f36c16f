/**
 * Maintenance: the five actions of `POST cache-admin/maintenance`. The emergency
 * clear is two steps: the first request returns a single-use token and deletes
 * nothing; a dialog asks the admin to type the organization's name before the
 * token is sent back. History of the last 14 days with a per-day chart.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useMemo, useRef, useState } from "react";
import type { HistoryAnswer, MaintenanceAnswer } from "../api/types.ts";
import type { ViewProps } from "../app.tsx";
import { Chart } from "../charts/chart.tsx";
import { formatCount, formatDuration, formatTime } from "../format.ts";
import { Loaded } from "./common.tsx";

const ACTIONS = [
  { id: "cleanup_expired", title: "Clean up expired entries" },
  { id: "cleanup_unused", title: "Clean up entries never hit (written over 1 h ago)" },
  { id: "selective_clear", title: "Selective clear (tags, key prefixes, age)" },
  { id: "optimize", title: "Optimize (clean up, drop expired leases)" },
  { id: "emergency_clear", title: "Emergency clear (delete every entry and purge)" },
] as const;

const list = (text: FormDataEntryValue | null) =>
  String(text ?? "").split(/[\s,]+/).map((item) => item.trim()).filter(Boolean);

export function MaintenanceView({ api, organization }: ViewProps) {
  const queryClient = useQueryClient();
  const [action, setAction] = useState<string>("cleanup_expired");
  const [result, setResult] = useState<MaintenanceAnswer | null>(null);
  const [pending, setPending] = useState<MaintenanceAnswer | null>(null);
  const history = useQuery({
    queryKey: ["org", organization.id, "maintenance-history"],
    queryFn: () =>
      api.get<HistoryAnswer>("cache-admin/maintenance/history", {
        organization_id: organization.id,
        days: 14,
      }),
  });
  const run = useMutation({
    mutationFn: (body: Record<string, unknown>) =>
      api.post<MaintenanceAnswer>("cache-admin/maintenance", {
        organization_id: organization.id,
        ...body,
      }),
    onSuccess: (answer) => {
      if (answer.status === "confirmation_required") setPending(answer);
      else {
        setPending(null);
        setResult(answer);
      }
      queryClient.invalidateQueries({ queryKey: ["org", organization.id] });
    },
  });

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setResult(null);
    const form = new FormData(event.currentTarget);
    const body: Record<string, unknown> = { action };
    if (action === "selective_clear") {
      const tags = list(form.get("tags"));
      const prefixes = list(form.get("key_prefixes"));
      const hours = String(form.get("older_than_hours") ?? "").trim();
      if (tags.length) body.tags = tags;
      if (prefixes.length) body.key_prefixes = prefixes;
      if (hours) body.older_than_hours = Number(hours);
    }
    run.mutate(body);
  }

  return (
    <>
      <form onSubmit={onSubmit} className="panel" aria-labelledby="maintenance-form-title">
        <h2 id="maintenance-form-title">Run an action on {organization.name}</h2>
        <fieldset>
          <legend>Action</legend>
          {ACTIONS.map((candidate) => (
            <label key={candidate.id} className="choice">
              <input
                type="radio"
                name="action"
                value={candidate.id}
                checked={action === candidate.id}
                onChange={() => setAction(candidate.id)}
              />
              {candidate.title}
            </label>
          ))}
        </fieldset>
        {action === "selective_clear" && (
          <fieldset>
            <legend>Criteria (entries matching all of them)</legend>
            <label>
              Tags (any of; space or comma separated)
              <input name="tags" placeholder={`org:${organization.id}:dataset:price-alerts`} />
            </label>
            <label>
              Key prefixes (any of)
              <input name="key_prefixes" placeholder={`${organization.id}:price-alerts`} />
            </label>
            <label>
              Older than (hours)
              <input name="older_than_hours" type="number" min={1} step={1} />
            </label>
          </fieldset>
        )}
        <button type="submit" disabled={run.isPending}>
          {action === "emergency_clear" ? "Request emergency clear…" : "Run"}
        </button>
        {run.error && <p role="alert" className="error">{run.error.message}</p>}
        {result && (
          <p role="status" data-testid="maintenance-result">
            {result.action}: {result.status}, {formatCount(result.deleted_entries ?? 0)}{" "}
            entries deleted in {formatDuration(result.duration_ms)}
            {result.details ? ` (${JSON.stringify(result.details)})` : ""}.
          </p>
        )}
      </form>
      {pending && (
        <ConfirmClear
          organizationName={organization.name}
          answer={pending}
          busy={run.isPending}
          onCancel={() => setPending(null)}
          onConfirm={() =>
            run.mutate({
              action: "emergency_clear",
              confirmation_token: pending.confirmation_token,
            })}
        />
      )}
      <Loaded query={history}>{(data) => <History data={data} />}</Loaded>
    </>
  );
}

function ConfirmClear(
  { organizationName, answer, busy, onCancel, onConfirm }: {
    organizationName: string;
    answer: MaintenanceAnswer;
    busy: boolean;
    onCancel: () => void;
    onConfirm: () => void;
  },
) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [typed, setTyped] = useState("");
  useEffect(() => {
    dialog.current?.showModal();
  }, []);
  return (
    <dialog
      ref={dialog}
      aria-labelledby="confirm-title"
      onCancel={onCancel}
      data-testid="confirm-clear"
    >
      <form
        method="dialog"
        onSubmit={(event) => {
          event.preventDefault();
          onConfirm();
        }}
      >
        <h2 id="confirm-title">Delete every cached entry of {organizationName}?</h2>
        <p>
          Nothing has been deleted yet. Confirming deletes {formatCount(answer.entries ?? 0)}{" "}
          entries and their leases and purges the organization tag: no isolate serves a copy after
          about a second. The token expires {formatTime(answer.expires_at)}.
        </p>
        <label>
          Type the organization's name to confirm
          <input value={typed} onChange={(event) => setTyped(event.target.value)} autoFocus />
        </label>
        <div className="buttons">
          <button type="button" onClick={onCancel}>Cancel</button>
          <button type="submit" className="danger" disabled={typed !== organizationName || busy}>
            Delete everything
          </button>
        </div>
      </form>
    </dialog>
  );
}

function History({ data }: { data: HistoryAnswer }) {
  const chart = useMemo(() => {
    const actions = [...new Set(data.daily.flatMap((day) => Object.keys(day.by_action)))].sort();
    const palette = ["#2563eb", "#16a34a", "#d97706", "#7c3aed", "#dc2626", "#0891b2"];
    return {
      xs: data.daily.map((_, i) => i),
      categories: data.daily.map((day) => day.date.slice(5)),
      series: actions.map((action, i) => ({
        label: action,
        color: palette[i % palette.length]!,
        values: data.daily.map((day) => day.by_action[action] ?? 0),
      })),
    };
  }, [data]);
  return (
    <section aria-labelledby="history-title">
      <h2 id="history-title">History (last {data.days} days)</h2>
      <Chart
        title="Maintenance actions per day"
        kind="bars"
        stacked
        xs={chart.xs}
        categories={chart.categories}
        series={chart.series}
        testId="chart-maintenance"
      />
      <div className="table-wrap">
        <table data-testid="maintenance-history">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Action</th>
              <th scope="col">By</th>
              <th scope="col">Deleted</th>
              <th scope="col">Details</th>
              <th scope="col">Duration</th>
            </tr>
          </thead>
          <tbody>
            {data.entries.length === 0 && (
              <tr>
                <td colSpan={6}>No maintenance yet.</td>
              </tr>
            )}
            {data.entries.map((entry) => (
              <tr key={entry.id}>
                <td>{formatTime(entry.started_at)}</td>
                <th scope="row">{entry.action}</th>
                <td>{entry.actor_role}</td>
                <td>{formatCount(entry.deleted_entries)}</td>
                <td className="mono">{JSON.stringify(entry.details)}</td>
                <td>{formatDuration(entry.duration_ms)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
