/** Small pieces shared by the views. */
import type { UseQueryResult } from "@tanstack/react-query";
import type { ReactNode } from "react";

/** Renders a query's data, or its loading / error state. */
export function Loaded<T>(
  { query, children }: { query: UseQueryResult<T>; children: (data: T) => ReactNode },
) {
  if (query.isPending) return <p aria-busy="true">Loading…</p>;
  if (query.error) {
    return <p role="alert" className="error">Could not load: {query.error.message}</p>;
  }
  return <>{children(query.data)}</>;
}

/** A headline figure; `value` is the raw number (data-value) the tests compare with the API. */
export function Card(
  { name, label, shown, value }: {
    name: string;
    label: string;
    shown: string;
    value: number | string | null;
  },
) {
  return (
    <div className="card" data-figure={name} data-value={value ?? ""}>
      <div className="card-label">{label}</div>
      <div className="card-value">{shown}</div>
    </div>
  );
}

/** Unix seconds of ISO times, for time charts. */
export function unixSeconds(isoTimes: readonly string[]): number[] {
  return isoTimes.map((iso) => Date.parse(iso) / 1000);
}
