/** Live: the Realtime channel's state and the notices received; every view also polls every 30 s. */
import { useQueryClient } from "@tanstack/react-query";
import type { ViewProps } from "../app.tsx";
import { formatTime } from "../format.ts";

const STATES = {
  off: "off (Realtime not configured): polling every 30 s",
  connecting: "connecting…",
  subscribed: "subscribed: views refresh on each notice",
  unavailable: "unavailable: polling every 30 s",
} as const;

export function LiveView({ organization, live }: ViewProps) {
  const queryClient = useQueryClient();
  return (
    <>
      <p>
        Channel <code>cache-invalidation:{organization.id}</code>:{" "}
        <strong data-testid="live-state">{STATES[live.channel]}</strong>
      </p>
      <button
        type="button"
        onClick={() => queryClient.invalidateQueries({ queryKey: ["org", organization.id] })}
      >
        Refresh every view now
      </button>
      <div className="table-wrap">
        <table data-testid="live-notices">
          <caption>Notices received since this page opened (newest first)</caption>
          <thead>
            <tr>
              <th scope="col">Received</th>
              <th scope="col">Seq</th>
              <th scope="col">Cause</th>
              <th scope="col">Action</th>
              <th scope="col">Datasets</th>
            </tr>
          </thead>
          <tbody>
            {live.notices.length === 0 && (
              <tr>
                <td colSpan={5}>Nothing received yet.</td>
              </tr>
            )}
            {live.notices.map(({ receivedAt, notice }) => (
              <tr key={notice.seq} data-seq={notice.seq} data-cause={notice.cause}>
                <td>{formatTime(receivedAt)}</td>
                <td>{notice.seq}</td>
                <td>{notice.cause}</td>
                <td>{notice.action}</td>
                <td>{notice.datasets === null ? "all" : notice.datasets.join(", ") || "–"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
