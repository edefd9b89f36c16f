/** Health: status, reasons with recommendations, and every check's figures (`GET cache-admin/health`). */
import { useQuery } from "@tanstack/react-query";
import type { HealthAnswer } from "../api/types.ts";
import type { ViewProps } from "../app.tsx";
import { formatTime } from "../format.ts";
import { Loaded } from "./common.tsx";

export function HealthView({ api, organization }: ViewProps) {
  const health = useQuery({
    queryKey: ["org", organization.id, "health"],
    queryFn: () =>
      api.get<HealthAnswer>("cache-admin/health", { organization_id: organization.id }),
  });
  return (
    <Loaded query={health}>
      {(data) => (
        <>
          <p>
            Status:{" "}
            <span className={`badge health-${data.status}`} data-testid="health-status">
              {data.status}
            </span>{" "}
            <span className="hint">checked {formatTime(data.checked_at)}</span>
          </p>
          <section aria-labelledby="reasons-title">
            <h2 id="reasons-title">Reasons</h2>
            {data.reasons.length === 0
              ? <p>Nothing to report: every check passed.</p>
              : (
                <ul className="reasons">
                  {data.reasons.map((reason) => (
                    <li key={reason.check} className={`reason-${reason.severity}`}>
                      <strong>{reason.check}</strong> ({reason.severity}): {reason.message}
                      <div className="recommendation">Recommendation: {reason.recommendation}</div>
                    </li>
                  ))}
                </ul>
              )}
          </section>
          <section aria-labelledby="checks-title">
            <h2 id="checks-title">Checks</h2>
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Check</th>
                    <th scope="col">Figures</th>
                  </tr>
                </thead>
                <tbody>
                  {Object.entries(data.checks).map(([name, figures]) => (
                    <tr key={name}>
                      <th scope="row">{name}</th>
                      <td className="mono">
                        {Object.entries(figures ?? {}).map(([key, value]) =>
                          `${key}: ${typeof value === "object" ? JSON.stringify(value) : value}`
                        ).join(" · ")}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>
        </>
      )}
    </Loaded>
  );
}
