/**
 * Invalidate: datasets or tags of the organization (or all of it), `expire` or
 * `purge`, with a reason (`POST cache-admin/invalidate`); the audit list
 * (`GET cache-admin/invalidations`).
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { DATASET_NAMES } from "../../../shared/datasets/registry.ts";
import type { AuditAnswer, InvalidateAnswer } from "../api/types.ts";
import type { ViewProps } from "../app.tsx";
import { formatTime } from "../format.ts";
import { Loaded } from "./common.tsx";

type Target = "datasets" | "tags" | "organization";

export function InvalidateView({ api, organization }: ViewProps) {
  const queryClient = useQueryClient();
  const [target, setTarget] = useState<Target>("datasets");
  const [done, setDone] = useState<InvalidateAnswer | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const audit = useQuery({
    queryKey: ["org", organization.id, "invalidations"],
    queryFn: () =>
      api.get<AuditAnswer>("cache-admin/invalidations", { organization_id: organization.id }),
  });
  const invalidate = useMutation({
    mutationFn: (body: Record<string, unknown>) =>
      api.post<InvalidateAnswer>("cache-admin/invalidate", body),
    onSuccess: (answer) => {
      setDone(answer);
      queryClient.invalidateQueries({ queryKey: ["org", organization.id] });
    },
  });

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setDone(null);
    setProblem(null);
    const form = new FormData(event.currentTarget);
    const body: Record<string, unknown> = {
      organization_id: organization.id,
      mode: form.get("mode"),
    };
    const reason = String(form.get("reason") ?? "").trim();
    if (reason) body.reason = reason;
    if (target === "datasets") {
      const datasets = form.getAll("datasets").map(String);
      if (datasets.length === 0) return setProblem("Choose at least one dataset.");
      body.datasets = datasets;
    } else if (target === "tags") {
      const tags = String(form.get("tags") ?? "").split(/[\s,]+/).filter(Boolean);
      if (tags.length === 0) return setProblem("Enter at least one tag.");
      body.tags = tags;
    }
    invalidate.mutate(body);
  }

  return (
    <>
      <form onSubmit={onSubmit} className="panel" aria-labelledby="invalidate-title">
        <h2 id="invalidate-title">Invalidate cached data of {organization.name}</h2>
        <fieldset>
          <legend>What</legend>
          <label className="choice">
            <input
              type="radio"
              name="target"
              checked={target === "datasets"}
              onChange={() => setTarget("datasets")}
            />
            Datasets
          </label>
          <label className="choice">
            <input
              type="radio"
              name="target"
              checked={target === "tags"}
              onChange={() => setTarget("tags")}
            />
            Tags
          </label>
          <label className="choice">
            <input
              type="radio"
              name="target"
              checked={target === "organization"}
              onChange={() => setTarget("organization")}
            />
            Everything of the organization
          </label>
        </fieldset>
        {target === "datasets" && (
          <fieldset className="columns">
            <legend>Datasets</legend>
            {DATASET_NAMES.map((name) => (
              <label key={name} className="choice">
                <input type="checkbox" name="datasets" value={name} />
                {name}
              </label>
            ))}
          </fieldset>
        )}
        {target === "tags" && (
          <label>
            Tags (your own tags, space or comma separated)
            <input name="tags" placeholder="supplier:42 region:north" />
          </label>
        )}
        <fieldset>
          <legend>Mode</legend>
          <label className="choice">
            <input type="radio" name="mode" value="expire" defaultChecked />
            Expire (may be served stale while it refreshes)
          </label>
          <label className="choice">
            <input type="radio" name="mode" value="purge" />
            Purge (never served again)
          </label>
        </fieldset>
        <label>
          Reason
          <textarea name="reason" maxLength={500} rows={2} placeholder="prices corrected" />
        </label>
        <button type="submit" disabled={invalidate.isPending}>Invalidate</button>
        {problem && <p role="alert" className="error">{problem}</p>}
        {invalidate.error && <p role="alert" className="error">{invalidate.error.message}</p>}
        {done && (
          <p role="status" data-testid="invalidate-result">
            {done.mode === "purge" ? "Purged" : "Expired"} {done.invalidated.length} tag(s):{" "}
            {done.invalidated.map((tag) => `${tag.tag} → v${tag.version}`).join(", ")} (audit #
            {done.audit_id}).
          </p>
        )}
      </form>
      <Loaded query={audit}>
        {(data) => (
          <div className="table-wrap">
            <table data-testid="audit-table">
              <caption>Audit: the latest invalidations</caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Mode</th>
                  <th scope="col">By</th>
                  <th scope="col">Datasets</th>
                  <th scope="col">Tags</th>
                  <th scope="col">Reason</th>
                </tr>
              </thead>
              <tbody>
                {data.entries.length === 0 && (
                  <tr>
                    <td colSpan={6}>No invalidations yet.</td>
                  </tr>
                )}
                {data.entries.map((row) => (
                  <tr key={row.id}>
                    <td>{formatTime(row.created_at)}</td>
                    <th scope="row">{row.mode}</th>
                    <td>{row.actor_role}</td>
                    <td>{row.datasets.join(", ") || (row.tags.length ? "–" : "all")}</td>
                    <td className="mono">{row.tags.join(", ") || "–"}</td>
                    <td>{row.reason ?? "–"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Loaded>
    </>
  );
}
