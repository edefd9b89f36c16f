/**
 * Overview: the organization's headline figures over the last 24 h (as
 * `GET cache-admin/metrics`) and hourly charts (`GET cache-admin/metrics/series`):
 * hit rate, reads by result (hits, stale hits, misses, waits), latency distribution.
 */
import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import type { MetricsAnswer, SeriesAnswer } from "../api/types.ts";
import type { ViewProps } from "../app.tsx";
import { Chart } from "../charts/chart.tsx";
import { formatBytes, formatCount, formatMs, formatRate, formatTime } from "../format.ts";
import { Card, Loaded, unixSeconds } from "./common.tsx";

const percent = (value: number) => `${Math.round(value * 100)}%`;
const UNIT_RANGE = [0, 1] as const;

export function OverviewView({ api, organization }: ViewProps) {
  const metrics = useQuery({
    queryKey: ["org", organization.id, "metrics"],
    queryFn: () =>
      api.get<MetricsAnswer>("cache-admin/metrics", { organization_id: organization.id }),
  });
  const series = useQuery({
    queryKey: ["org", organization.id, "series"],
    queryFn: () =>
      api.get<SeriesAnswer>("cache-admin/metrics/series", { organization_id: organization.id }),
  });
  return (
    <>
      <Loaded query={metrics}>
        {(data) => (
          <section aria-label="Figures of the last 24 hours">
            <p className="hint">
              Last {data.window.hours} h, since{" "}
              {formatTime(data.window.since)}; entries and bytes stored now.
            </p>
            <div className="cards">
              <Card
                name="entries"
                label="Entries"
                shown={formatCount(data.overall.entries)}
                value={data.overall.entries}
              />
              <Card
                name="bytes"
                label="Stored bytes"
                shown={formatBytes(data.overall.bytes)}
                value={data.overall.bytes}
              />
              <Card
                name="hit_rate"
                label="Hit rate"
                shown={formatRate(data.overall.hit_rate)}
                value={data.overall.hit_rate}
              />
              <Card
                name="hits"
                label="Hits"
                shown={formatCount(data.overall.hits)}
                value={data.overall.hits}
              />
              <Card
                name="stale_hits"
                label="Stale hits"
                shown={formatCount(data.overall.stale_hits)}
                value={data.overall.stale_hits}
              />
              <Card
                name="misses"
                label="Misses (computed)"
                shown={formatCount(data.overall.misses)}
                value={data.overall.misses}
              />
              <Card
                name="waits"
                label="Waits (joined a computation)"
                shown={formatCount(data.overall.waits)}
                value={data.overall.waits}
              />
              <Card
                name="compute_failures"
                label="Failed computations"
                shown={formatCount(data.overall.compute_failures)}
                value={data.overall.compute_failures}
              />
              <Card
                name="p50_hit"
                label="p50 hit latency"
                shown={formatMs(data.overall.latency.hit.p50_ms)}
                value={data.overall.latency.hit.p50_ms}
              />
              <Card
                name="p95_hit"
                label="p95 hit latency"
                shown={formatMs(data.overall.latency.hit.p95_ms)}
                value={data.overall.latency.hit.p95_ms}
              />
              <Card
                name="p50_miss"
                label="p50 miss latency"
                shown={formatMs(data.overall.latency.miss.p50_ms)}
                value={data.overall.latency.miss.p50_ms}
              />
              <Card
                name="p95_miss"
                label="p95 miss latency"
                shown={formatMs(data.overall.latency.miss.p95_ms)}
                value={data.overall.latency.miss.p95_ms}
              />
            </div>
          </section>
        )}
      </Loaded>
      <Loaded query={series}>{(data) => <OverviewCharts data={data} />}</Loaded>
    </>
  );
}

function OverviewCharts({ data }: { data: SeriesAnswer }) {
  const charts = useMemo(() => {
    const xs = unixSeconds(data.hours);
    const sum = (kind: "hit" | "stale" | "miss") =>
      data.latency_bounds_ms.concat([Infinity]).map((_, i) =>
        data.overall.reduce((total, point) => total + (point.latency[kind][i] ?? 0), 0)
      );
    const categories = data.latency_bounds_ms.map((bound) => `≤${bound}`).concat(["slower"]);
    return {
      xs,
      hitRate: [{
        label: "hit rate",
        color: "#2563eb",
        values: data.overall.map((point) => point.hit_rate),
      }],
      reads: [
        { label: "hits", color: "#16a34a", values: data.overall.map((point) => point.hits) },
        {
          label: "stale hits",
          color: "#d97706",
          values: data.overall.map((point) => point.stale_hits),
        },
        { label: "misses", color: "#dc2626", values: data.overall.map((point) => point.misses) },
        // Reads that joined another read's computation: neither served from an entry nor computed.
        { label: "waits", color: "#7c3aed", values: data.overall.map((point) => point.waits) },
      ],
      latencyXs: categories.map((_, i) => i),
      categories,
      latency: [
        { label: "hits", color: "#16a34a", values: sum("hit") },
        { label: "stale hits", color: "#d97706", values: sum("stale") },
        { label: "misses", color: "#dc2626", values: sum("miss") },
      ],
    };
  }, [data]);
  return (
    <section className="charts" aria-label="Charts over time">
      <Chart
        title="Hit rate per hour"
        xs={charts.xs}
        series={charts.hitRate}
        formatY={percent}
        yRange={UNIT_RANGE}
        testId="chart-hit-rate"
      />
      <Chart
        title="Reads by result per hour"
        xs={charts.xs}
        series={charts.reads}
        testId="chart-reads"
      />
      <Chart
        title="Read latency distribution (ms, last 24 h)"
        kind="bars"
        stacked
        xs={charts.latencyXs}
        categories={charts.categories}
        series={charts.latency}
        testId="chart-latency"
      />
    </section>
  );
}
