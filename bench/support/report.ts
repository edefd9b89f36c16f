import { join } from "node:path";
import { runtimeRoot } from "../../local-stack/paths.ts";

/** One measured figure of a benchmark. */
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
  readonly measurements: readonly Measurement[];
  /** Parameters and context (machine, options), free-form JSON. */
  readonly context: Readonly<Record<string, unknown>>;
}

/** Folder of benchmark reports. */
export const benchReportsDir: string = join(runtimeRoot, "bench");

/** Writes the report as JSON and returns its path. */
export function writeReport(report: BenchmarkReport): string {
  Deno.mkdirSync(benchReportsDir, { recursive: true });
  const path = join(benchReportsDir, `${report.name}.json`);
  const body = { ...report, recordedAt: new Date().toISOString() };
  Deno.writeTextFileSync(path, JSON.stringify(body, null, 2) + "\n");
  return path;
}

function formatValue(value: number): string {
  if (Number.isInteger(value)) return value.toLocaleString("en-US");
  return value.toLocaleString("en-US", { maximumFractionDigits: value < 10 ? 2 : 1 });
}

/** The measurements as an aligned two-column table. */
export function formatTable(report: BenchmarkReport): string {
  const rows = report.measurements.map((m) => [m.name, `${formatValue(m.value)} ${m.unit}`]);
  const width = Math.max(...rows.map(([name]) => name!.length));
  return [
    `${report.name}: ${report.description}`,
    ...rows.map(([name, value]) => `  ${name!.padEnd(width)}  ${value}`),
  ].join("\n");
}
