import { Rational, sum } from "../rational.ts";
import { bookedLinesBetween, groupBy, type InvoicedLine } from "./calendar.ts";
import { exactCost } from "./invoice_totals.ts";
import type { RawOrganization, TextRow } from "./raw_rows.ts";

/** Parameters of the price-alerts dataset, all explicit. */
export interface PriceAlertParameters {
  readonly from: string;
  readonly to: string;
  readonly locationId?: string;
  readonly supplierId?: string;
  readonly thresholdPercent: number;
  readonly limit: number;
}

function latestFirst(a: InvoicedLine, b: InvoicedLine): number {
  return b.invoice.invoice_date.localeCompare(a.invoice.invoice_date) ||
    (a.invoice_id < b.invoice_id ? 1 : a.invoice_id > b.invoice_id ? -1 : 0) ||
    b.line_number - a.line_number;
}

/** price-alerts of one organization, recomputed from raw rows. */
export function recomputePriceAlerts(raw: RawOrganization, p: PriceAlertParameters): TextRow[] {
  const products = new Map(raw.products.map((product) => [product.id, product]));
  const suppliers = new Map(raw.suppliers.map((supplier) => [supplier.id, supplier.name]));
  const lines = bookedLinesBetween(raw.invoices, raw.lines, p.from, p.to).filter((line) =>
    (p.locationId === undefined || line.invoice.location_id === p.locationId) &&
    (p.supplierId === undefined || line.invoice.supplier_id === p.supplierId)
  );
  const threshold = Rational.parse(String(p.thresholdPercent));
  const alerts = [];
  for (
    const group of groupBy(
      lines,
      (l) => `${l.product_id}|${l.invoice.supplier_id}|${l.invoice.currency}`,
    ).values()
  ) {
    const [latest] = [...group].sort(latestFirst) as [InvoicedLine];
    const earlier = group.filter((line) => line.invoice.invoice_date < latest.invoice.invoice_date);
    if (earlier.length === 0) continue;
    const reference = sum(earlier.map(exactCost))
      .dividedBy(sum(earlier.map((line) => Rational.parse(line.quantity))))!;
    if (reference.compare(Rational.zero) <= 0) continue;
    const latestPrice = Rational.parse(latest.unit_price);
    const change = latestPrice.minus(reference).times(100).dividedBy(reference)!;
    const magnitude = change.compare(Rational.zero) < 0 ? change.times(-1) : change;
    if (magnitude.compare(threshold) < 0) continue;
    const product = products.get(latest.product_id)!;
    alerts.push({
      magnitude,
      row: {
        product_id: product.id,
        sku: product.sku,
        product_name: product.name,
        category: product.category,
        supplier_id: latest.invoice.supplier_id,
        supplier_name: suppliers.get(latest.invoice.supplier_id)!,
        currency: latest.invoice.currency,
        latest_invoice_id: latest.invoice_id,
        latest_invoice_date: latest.invoice.invoice_date,
        latest_unit_price: latestPrice.toFixed(4),
        reference_unit_price: reference.toFixed(4),
        change_percent: change.toFixed(2),
        purchase_count: String(earlier.length + 1),
      } as TextRow,
    });
  }
  const text = (row: TextRow, column: string) => row[column] ?? "";
  alerts.sort((a, b) =>
    b.magnitude.compare(a.magnitude) ||
    text(a.row, "sku").localeCompare(text(b.row, "sku")) ||
    text(a.row, "supplier_id").localeCompare(text(b.row, "supplier_id")) ||
    text(a.row, "currency").localeCompare(text(b.row, "currency"))
  );
  return alerts.slice(0, p.limit).map((alert) => alert.row);
}
