import { percent, Rational, sum } from "../rational.ts";
import { bookedLinesBetween, groupBy, monthOf, reportingWindowStart } from "./calendar.ts";
import type { RawOrganization, TextRow } from "./raw_rows.ts";

/** cogs-analysis of one organization, recomputed from raw rows. */
export function recomputeCogsAnalysis(raw: RawOrganization, asOf: string): TextRow[] {
  const categories = new Map(raw.products.map((product) => [product.id, product.category]));
  const cells = [
    ...groupBy(
      bookedLinesBetween(raw.invoices, raw.lines, reportingWindowStart(asOf), asOf),
      (line) =>
        JSON.stringify([
          monthOf(line.invoice.invoice_date),
          categories.get(line.product_id)!,
          line.invoice.currency,
        ]),
    ),
  ].map(([key, lines]) => {
    const [month, category, currency] = JSON.parse(key) as [string, string, string];
    return {
      month,
      category,
      currency,
      lines: lines.length,
      spend: sum(lines.map((line) => Rational.parse(line.line_total))),
    };
  });

  const totalOf = (match: (cell: typeof cells[number]) => boolean) =>
    sum(cells.filter(match).map((cell) => cell.spend));
  return cells.map((cell) => ({
    organization_id: raw.organizationId,
    month: cell.month,
    category: cell.category,
    currency: cell.currency,
    line_count: String(cell.lines),
    spend: cell.spend.toFixed(2),
    share_of_month_percent: percent(
      cell.spend,
      totalOf((other) => other.month === cell.month && other.currency === cell.currency),
    ),
    share_of_total_percent: percent(
      cell.spend,
      totalOf((other) => other.currency === cell.currency),
    ),
  }));
}
