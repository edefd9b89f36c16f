import { Rational } from "../rational.ts";
import type { RawInvoice, RawLine } from "./raw_rows.ts";

/** Each invoice's total: the sum of its line totals (0 without lines). */
export function invoiceTotals(
  invoices: readonly RawInvoice[],
  lines: readonly RawLine[],
): Map<string, Rational> {
  const totals = new Map(invoices.map((invoice) => [invoice.id, Rational.zero]));
  for (const line of lines) {
    totals.set(line.invoice_id, totals.get(line.invoice_id)!.plus(Rational.parse(line.line_total)));
  }
  return totals;
}

/** quantity x unit price, unrounded. */
export function exactCost(line: RawLine): Rational {
  return Rational.parse(line.quantity).times(Rational.parse(line.unit_price));
}

/** What a line's generated total must be: quantity x unit price rounded to cents. */
export function expectedLineTotal(line: RawLine): string {
  return exactCost(line).toFixed(2);
}
