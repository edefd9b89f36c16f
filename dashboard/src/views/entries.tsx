/**
 * Entries: the most hit stored entries with their state now (fresh, stale,
 * purged, expired: `GET cache-admin/entries`), filtered by a tag; entries per tag.
 */
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import type { EntriesAnswer, MetricsAnswer } from "../api/types.ts";
import type { ViewProps } from "../app.tsx";
import { formatBytes, formatCount, formatTime } from "../format.ts";
import { Loaded } from "./common.tsx";

export function EntriesView({ api, organization }: ViewProps) {
  const [tag, setTag] = useState("");
  const entries = useQuery({
    queryKey: ["org", organization.id, "entries", tag],
    queryFn: () =>
      api.get<EntriesAnswer>("cache-admin/entries", {
        organization_id: organization.id,
        tag: tag || undefined,
        limit: 50,
      }),
  });
  const metrics = useQuery({
    queryKey: ["org", organization.id, "metrics"],
    queryFn: () =>
      api.get<MetricsAnswer>("cache-admin/metrics", { organization_id: organization.id }),
  });
  const tags = metrics.data?.entries_by_tag ?? [];
  return (
    <>
      <div className="toolbar">
        <label>
          Show entries tagged
          <select value={tag} onChange={(event) => setTag(event.target.value)}>
            <option value="">any tag</option>
            {tags.map((row) => <option key={row.tag} value={row.tag}>{row.tag}</option>)}
          </select>
        </label>
      </div>
      <Loaded query={entries}>
        {(data) => (
          <div className="table-wrap">
            <table data-testid="entries-table">
              <caption>Most hit entries{tag ? ` tagged ${tag}` : ""}</caption>
              <thead>
                <tr>
                  <th scope="col">Key</th>
                  <th scope="col">Dataset</th>
                  <th scope="col">State</th>
                  <th scope="col">Hits</th>
                  <th scope="col">Bytes</th>
                  <th scope="col">Last hit</th>
                  <th scope="col">Expires</th>
                </tr>
              </thead>
              <tbody>
                {data.entries.length === 0 && (
                  <tr>
                    <td colSpan={7}>No stored entries.</td>
                  </tr>
                )}
                {data.entries.map((entry) => (
                  <tr key={entry.key} data-key={entry.key} data-status={entry.status}>
                    <th scope="row" className="mono">{entry.key}</th>
                    <td>{entry.dataset}</td>
                    <td>
                      <span className={`badge state-${entry.status}`}>{entry.status}</span>
                    </td>
                    <td>{formatCount(entry.hits)}</td>
                    <td>{formatBytes(entry.bytes)}</td>
                    <td>{formatTime(entry.last_hit_at)}</td>
                    <td>{formatTime(entry.expires_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Loaded>
      <Loaded query={metrics}>
        {(data) => (
          <div className="table-wrap">
            <table>
              <caption>Entries by tag</caption>
              <thead>
                <tr>
                  <th scope="col">Tag</th>
                  <th scope="col">Entries</th>
                </tr>
              </thead>
              <tbody>
                {data.entries_by_tag.length === 0 && (
                  <tr>
                    <td colSpan={2}>No stored entries.</td>
                  </tr>
                )}
                {data.entries_by_tag.map((row) => (
                  <tr key={row.tag}>
                    <th scope="row" className="mono">
                      <button type="button" className="link" onClick={() => setTag(row.tag)}>
                        {row.tag}
                      </button>
                    </th>
                    <td>{formatCount(row.entries)}</td>
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
