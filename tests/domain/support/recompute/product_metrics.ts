import { percent, Rational, sum } from "../rational.ts";
import {
  bookedLinesBetween,
  groupBy,
  type InvoicedLine,
  reportingWindowStart,
} from "./calendar.ts";
import { exactCost } from "./invoice_totals.ts";
import type { RawOrganization, TextRow } from "./raw_rows.ts";

/** Purchase order: invoice date, then invoice id, then line number. */
function byPurchaseOrder(a: InvoicedLine, b: InvoicedLine): number {
  return a.invoice.invoice_date.localeCompare(b.invoice.invoice_date) ||
    (a.invoice_id < b.invoice_id ? -1 : a.invoice_id > b.invoice_id ? 1 : 0) ||
    a.line_number - b.line_number;
}

/** product-metrics of one organization, recomputed from raw rows. */
export function recomputeProductMetrics(raw: RawOrganization, asOf: string): TextRow[] {
  const lines = bookedLinesBetween(raw.invoices, raw.lines, reportingWindowStart(asOf), asOf);
  const products = new Map(raw.products.map((product) => [product.id, product]));
  const groups = groupBy(lines, (line) => `${line.product_id}|${line.invoice.currency}`);

  return [...groups.values()].map((group) => {
    const ordered = [...group].sort(byPurchaseOrder);
    const first = ordered[0]!;
    const last = ordered[ordered.length - 1]!;
    const product = products.get(first.product_id)!;
    const prices = ordered.map((line) => Rational.parse(line.unit_price));
    const quantity = sum(ordered.map((line) => Rational.parse(line.quantity)));
    const firstPrice = Rational.parse(first.unit_price);
    const lastPrice = Rational.parse(last.unit_price);
    const lowest = prices.reduce((a, b) => (a.compare(b) <= 0 ? a : b));
    const highest = prices.reduce((a, b) => (a.compare(b) >= 0 ? a : b));
    return {
      organization_id: raw.organizationId,
      product_id: product.id,
      currency: first.invoice.currency,
      sku: product.sku,
      product_name: product.name,
      category: product.category,
      unit: product.unit,
      line_count: String(ordered.length),
      quantity_total: quantity.toFixed(3),
      spend_total: sum(ordered.map((line) => Rational.parse(line.line_total))).toFixed(2),
      average_unit_price: sum(ordered.map(exactCost)).dividedBy(quantity)?.toFixed(4) ?? null,
      min_unit_price: lowest.toFixed(4),
      max_unit_price: highest.toFixed(4),
      first_unit_price: firstPrice.toFixed(4),
      last_unit_price: lastPrice.toFixed(4),
      price_change_percent: percent(lastPrice.minus(firstPrice), firstPrice),
      first_purchased_on: first.invoice.invoice_date,
      last_purchased_on: last.invoice.invoice_date,
    };
  });
}
