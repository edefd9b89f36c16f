/**
 * A uPlot chart: lines over time, or bars over categories. The figure carries
 * an accessible name and a caption; the numbers are also in the views' tables.
 */
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

/** One plotted series. */
export interface ChartSeries {
  readonly label: string;
  readonly values: readonly (number | null)[];
  readonly color: string;
}

export interface ChartProps {
  /** Title, shown as the caption and used as the accessible name. */
  readonly title: string;
  /** x values: Unix seconds for `time`, 0..n-1 for `bars` (named by `categories`). */
  readonly xs: readonly number[];
  readonly series: readonly ChartSeries[];
  readonly kind?: "time" | "bars";
  /** Names of the x positions of a `bars` chart. */
  readonly categories?: readonly string[];
  /** Formats y axis values. */
  readonly formatY?: (value: number) => string;
  readonly height?: number;
  /** Fixed y range, e.g. [0, 1] for rates; otherwise fitted to the data. */
  readonly yRange?: readonly [number, number];
  /** Bars: stack the series (each bar shows the sum, segments by series). */
  readonly stacked?: boolean;
  readonly testId?: string;
}

/**
 * Cumulative sums for a stacked bar chart, top segment first: uPlot draws
 * series in order, so each shorter (lower) total is drawn over the taller ones.
 */
function stack(series: readonly ChartSeries[]): { drawn: ChartSeries[]; raw: ChartSeries[] } {
  const totals: ChartSeries[] = [];
  let running: (number | null)[] = series[0]?.values.map(() => 0) ?? [];
  for (const one of series) {
    running = running.map((sum, i) => (sum ?? 0) + (one.values[i] ?? 0));
    totals.push({ ...one, values: running });
  }
  return { drawn: totals.reverse(), raw: [...series].reverse() };
}

/** Tick spacings of count axes: whole numbers only. */
const COUNT_INCREMENTS = Array.from({ length: 13 }, (_, power) => 10 ** power)
  .flatMap((step) => [step, 2 * step, 5 * step]);

export function Chart(props: ChartProps) {
  const holder = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = holder.current;
    if (!element) return;
    const bars = props.kind === "bars";
    const formatY = props.formatY ?? ((value: number) => String(value));
    const { drawn, raw } = bars && props.stacked
      ? stack(props.series)
      : { drawn: [...props.series], raw: [...props.series] };
    const yRange = props.yRange;
    const options: uPlot.Options = {
      width: Math.max(280, element.clientWidth || 600),
      height: props.height ?? 220,
      scales: {
        x: bars ? { time: false, range: [-0.5, props.xs.length - 0.5] } : { time: true },
        y: yRange
          ? { range: [yRange[0], yRange[1]] }
          : { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
      },
      legend: { show: true },
      axes: [
        bars
          ? {
            values: (_u, splits) => splits.map((i) => props.categories?.[i] ?? ""),
            gap: 4,
            size: 40,
          }
          : {},
        {
          values: (_u, splits) => splits.map(formatY),
          size: 60,
          // Counts have whole-number ticks; a fixed range (a rate) keeps uPlot's own.
          ...(yRange ? {} : { incrs: COUNT_INCREMENTS }),
        },
      ],
      series: [
        {},
        ...drawn.map((series, index) => ({
          label: series.label,
          stroke: series.color,
          fill: bars ? series.color : `${series.color}22`,
          width: bars ? 0 : 2,
          points: { show: !bars },
          ...(bars ? { paths: uPlot.paths.bars!({ size: [0.7, 60] }) } : {}),
          // The legend shows each series' own value, not the running total.
          value: (_u: uPlot, _value: number | null, _series: number, idx: number | null) => {
            const own = idx == null ? null : raw[index]?.values[idx];
            return own == null ? "–" : formatY(own);
          },
        })),
      ],
    };
    const data = [props.xs as number[], ...drawn.map((s) => s.values as (number | null)[])];
    const plot = new uPlot(options, data as uPlot.AlignedData, element);
    const resize = new ResizeObserver(() => {
      plot.setSize({ width: Math.max(280, element.clientWidth), height: props.height ?? 220 });
    });
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [
    props.xs,
    props.series,
    props.kind,
    props.categories,
    props.formatY,
    props.height,
    props.yRange,
    props.stacked,
  ]);
  return (
    <figure className="chart" aria-label={props.title} data-testid={props.testId}>
      <figcaption>{props.title}</figcaption>
      <div ref={holder} role="img" aria-label={props.title} />
    </figure>
  );
}
