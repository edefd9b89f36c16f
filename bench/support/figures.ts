/**
 * Figures of a benchmark: every figure is taken from several samples (at least
 * {@linkcode MIN_SAMPLES}) and printed as min / median / max, with its goal
 * (from bench/goals.ts) next to it, marked met or not met on the median.
 *
 * @module
 */

/** Fewest samples a figure is reported from. */
export const MIN_SAMPLES = 5;

/** A goal for a figure: the median must be at most (`<=`) or at least (`>=`) `value`. */
export interface Goal {
  readonly op: "<=" | ">=";
  readonly value: number;
}

/** One figure: its samples, and its goal when it has one. */
export interface Figure {
  readonly name: string;
  readonly unit: string;
  readonly samples: readonly number[];
  readonly goal?: Goal;
  /** What the reader must know about this figure (a peer measured differently, …). */
  readonly note?: string;
}

/** Min, median and max of a figure's samples, and whether its goal is met. */
export interface FigureSummary {
  readonly min: number;
  readonly median: number;
  readonly max: number;
  readonly count: number;
  /** undefined when the figure has no goal. */
  readonly met: boolean | undefined;
}

/** The median of `values` (mean of the middle two for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Summarizes a figure; `met` compares the median with the goal. */
export function summarizeFigure(figure: Figure): FigureSummary {
  const sorted = [...figure.samples].sort((a, b) => a - b);
  const mid = median(sorted);
  const met = figure.goal === undefined
    ? undefined
    : figure.goal.op === "<="
    ? mid <= figure.goal.value
    : mid >= figure.goal.value;
  return {
    min: sorted[0] ?? Number.NaN,
    median: mid,
    max: sorted[sorted.length - 1] ?? Number.NaN,
    count: sorted.length,
    met,
  };
}

/** Samples of a ratio: `numerators[i] / denominators[i]` (same-run pairs). */
export function ratios(numerators: readonly number[], denominators: readonly number[]): number[] {
  if (numerators.length !== denominators.length) {
    throw new Error(
      `Cannot pair samples: ${numerators.length} numerators, ${denominators.length} denominators`,
    );
  }
  return numerators.map((value, i) => value / denominators[i]!);
}

function format(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return value.toLocaleString("en-US", { maximumFractionDigits: digits });
}

/** The figures as an aligned table: name, min / median / max, unit, goal, met / not met. */
export function formatFigures(figures: readonly Figure[]): string {
  const rows = figures.map((figure) => {
    const s = summarizeFigure(figure);
    const spread = `${format(s.min)} / ${format(s.median)} / ${format(s.max)} ${figure.unit}`;
    const samples = `(n=${s.count}${s.count < MIN_SAMPLES ? ", too few" : ""})`;
    const goal = figure.goal ? `goal ${figure.goal.op} ${format(figure.goal.value)}` : "";
    const verdict = s.met === undefined ? "" : s.met ? "met" : "NOT MET";
    return [figure.name, spread, samples, goal, verdict, figure.note ? `- ${figure.note}` : ""];
  });
  const widths = [0, 1, 2, 3].map((i) => Math.max(0, ...rows.map((row) => row[i]!.length)));
  return rows
    .map((row) =>
      "  " + row.map((cell, i) => (i < 4 ? cell.padEnd(widths[i]!) : cell)).join("  ").trimEnd()
    )
    .join("\n");
}
