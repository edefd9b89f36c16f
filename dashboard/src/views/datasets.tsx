/** Datasets: every dataset with its tiers (shared/datasets/registry.ts) and its figures of the last 24 h. */
import { useQuery } from "@tanstack/react-query";
import { FRESHNESS, RETENTION } from "../../../shared/cache/tiers.ts";
import { DATASETS } from "../../../shared/datasets/registry.ts";
import type { MetricsAnswer } from "../api/types.ts";
import type { ViewProps } from "../app.tsx";
import { formatBytes, formatCount, formatMs, formatRate } from "../format.ts";
import { Loaded } from "./common.tsx";

function span(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${ms / 1000} s`;
}

export function DatasetsView({ api, organization }: ViewProps) {
  const metrics = useQuery({
    queryKey: ["org", organization.id, "metrics"],
    queryFn: () =>
      api.get<MetricsAnswer>("cache-admin/metrics", { organization_id: organization.id }),
  });
  return (
    <Loaded query={metrics}>
      {(data) => (
        <div className="table-wrap">
          <table className="datasets">
            <caption>Datasets of {organization.name}, last {data.window.hours} h</caption>
            <thead>
              <tr>
                <th scope="col">Dataset</th>
                <th scope="col">Source</th>
                <th scope="col">Fresh for</th>
                <th scope="col">Kept for</th>
                <th scope="col">Entries</th>
                <th scope="col">Bytes</th>
                <th scope="col">Hits</th>
                <th scope="col">Stale hits</th>
                <th scope="col">Misses</th>
                <th scope="col">Hit rate</th>
                <th scope="col">p50 miss</th>
                <th scope="col">p95 miss</th>
                <th scope="col">Failures</th>
              </tr>
            </thead>
            <tbody>
              {Object.entries(DATASETS).map(([name, tiers]) => {
                const row = data.datasets.find((dataset) => dataset.dataset === name);
                return (
                  <tr key={name} data-dataset={name}>
                    <th scope="row">{name}</th>
                    <td>{tiers.source}</td>
                    <td>
                      {span(FRESHNESS[tiers.freshness])}
                      <div className="hint">{tiers.freshness}</div>
                    </td>
                    <td>
                      {span(RETENTION[tiers.retention])}
                      <div className="hint">{tiers.retention}</div>
                    </td>
                    <td>{formatCount(row?.entries ?? 0)}</td>
                    <td>{formatBytes(row?.bytes ?? 0)}</td>
                    <td>{formatCount(row?.hits ?? 0)}</td>
                    <td>{formatCount(row?.stale_hits ?? 0)}</td>
                    <td>{formatCount(row?.misses ?? 0)}</td>
                    <td>{formatRate(row?.hit_rate)}</td>
                    <td>{formatMs(row?.latency.miss.p50_ms)}</td>
                    <td>{formatMs(row?.latency.miss.p95_ms)}</td>
                    <td>{formatCount(row?.compute_failures ?? 0)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </Loaded>
  );
}
