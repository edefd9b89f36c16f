import { percent, Rational, sum } from "../rational.ts";
import {
  bookedLinesBetween,
  groupBy,
  isBetween,
  isBooked,
  reportingWindowStart,
} from "./calendar.ts";
import { exactCost, invoiceTotals } from "./invoice_totals.ts";
import type { RawOrganization, TextRow } from "./raw_rows.ts";

/** supplier-metrics of one organization, recomputed from raw rows. */
export function recomputeSupplierMetrics(raw: RawOrganization, asOf: string): TextRow[] {
  const from = reportingWindowStart(asOf);
  const totals = invoiceTotals(raw.invoices, raw.lines);
  const names = new Map(raw.suppliers.map((supplier) => [supplier.id, supplier.name]));
  const invoices = raw.invoices.filter((invoice) =>
    isBooked(invoice) && isBetween(invoice.invoice_date, from, asOf)
  );
  const lines = bookedLinesBetween(raw.invoices, raw.lines, from, asOf);

  // Reference price of a product: what the organization paid on average, all suppliers.
  const referencePrice = new Map(
    [...groupBy(lines, (line) => `${line.product_id}|${line.invoice.currency}`)].map(
      ([key, group]) => [
        key,
        sum(group.map(exactCost)).dividedBy(sum(group.map((l) => Rational.parse(l.quantity))))!,
      ],
    ),
  );
  const linesBySupplier = groupBy(
    lines,
    (line) => `${line.invoice.supplier_id}|${line.invoice.currency}`,
  );
  const spendByCurrency = new Map<string, Rational>();
  for (const invoice of invoices) {
    const before = spendByCurrency.get(invoice.currency) ?? Rational.zero;
    spendByCurrency.set(invoice.currency, before.plus(totals.get(invoice.id)!));
  }

  return [...groupBy(invoices, (invoice) => `${invoice.supplier_id}|${invoice.currency}`)].map(
    ([key, group]) => {
      const { supplier_id, currency } = group[0]!;
      const spend = sum(group.map((invoice) => totals.get(invoice.id)!));
      const own = linesBySupplier.get(key) ?? [];
      const paid = sum(own.map(exactCost));
      const atReference = sum(
        own.map((line) =>
          Rational.parse(line.quantity).times(referencePrice.get(`${line.product_id}|${currency}`)!)
        ),
      );
      const variance = paid.minus(atReference);
      return {
        organization_id: raw.organizationId,
        supplier_id,
        currency,
        supplier_name: names.get(supplier_id)!,
        invoice_count: String(group.length),
        spend: spend.toFixed(2),
        average_invoice: spend.dividedBy(group.length)?.toFixed(2) ?? null,
        share_of_spend_percent: percent(spend, spendByCurrency.get(currency)!),
        price_variance: variance.toFixed(2),
        price_variance_percent: percent(variance, atReference),
        last_invoice_on: group.map((invoice) => invoice.invoice_date).sort().at(-1)!,
      };
    },
  );
}
