import { join } from "node:path";
import { runtimeRoot } from "../../local-stack/paths.ts";
import { type Figure, formatFigures, summarizeFigure } from "./figures.ts";

/** One measured figure of a benchmark (a single value: sizes, counts, context). */
export interface Measurement {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
}

/** What a benchmark found, as written to `.nightshift/bench/<name>.json`. */
export interface BenchmarkReport {
  readonly name: string;
  /** What was measured, in one sentence. */
  readonly description: string;
  /** Figures from several samples, with their goals (printed min / median / max). */
  readonly figures?: readonly Figure[];
  /** Single values: sizes, counts, context. */
  readonly measurements: readonly Measurement[];
  /** Printed under the table: how peers were measured, anomalies. */
  readonly notes?: readonly string[];
  /** Parameters and context (machine, options), free-form JSON. */
  readonly context: Readonly<Record<string, unknown>>;
}

/** Folder of benchmark reports. */
export const benchReportsDir: string = join(runtimeRoot, "bench");

/** Writes the report as JSON (figures with their summaries) and returns its path. */
export function writeReport(report: BenchmarkReport): string {
  Deno.mkdirSync(benchReportsDir, { recursive: true });
  const path = join(benchReportsDir, `${report.name}.json`);
  const figures = report.figures?.map((figure) => ({ ...figure, ...summarizeFigure(figure) }));
  const body = { ...report, figures, recordedAt: new Date().toISOString() };
  Deno.writeTextFileSync(path, JSON.stringify(body, null, 2) + "\n");
  return path;
}

function formatValue(value: number): string {
  if (Number.isInteger(value)) return value.toLocaleString("en-US");
  return value.toLocaleString("en-US", { maximumFractionDigits: value < 10 ? 2 : 1 });
}

/** Figures (min / median / max, goal, verdict), then single values, then notes. */
export function formatTable(report: BenchmarkReport): string {
  const lines = [`${report.name}: ${report.description}`];
  if (report.figures?.length) {
    lines.push(
      "  figures (min / median / max of same-run samples):",
      formatFigures(report.figures),
    );
  }
  if (report.measurements.length) {
    const rows = report.measurements.map((m) => [m.name, `${formatValue(m.value)} ${m.unit}`]);
    const width = Math.max(...rows.map(([name]) => name!.length));
    lines.push(...rows.map(([name, value]) => `  ${name!.padEnd(width)}  ${value}`));
  }
  for (const note of report.notes ?? []) lines.push(`  note: ${note}`);
  return lines.join("\n");
}
