import { sum } from "../rational.ts";
import { groupBy, isBetween, monthOf, reportingWindowStart } from "./calendar.ts";
import { invoiceTotals } from "./invoice_totals.ts";
import type { RawOrganization, TextRow } from "./raw_rows.ts";

/** invoice-analytics of one organization (every status), recomputed from raw rows. */
export function recomputeInvoiceAnalytics(raw: RawOrganization, asOf: string): TextRow[] {
  const totals = invoiceTotals(raw.invoices, raw.lines);
  const from = reportingWindowStart(asOf);
  const inWindow = raw.invoices.filter((invoice) => isBetween(invoice.invoice_date, from, asOf));
  return [
    ...groupBy(
      inWindow,
      (invoice) => `${monthOf(invoice.invoice_date)}|${invoice.status}|${invoice.currency}`,
    ).values(),
  ].map((group) => {
    const total = sum(group.map((invoice) => totals.get(invoice.id)!));
    return {
      organization_id: raw.organizationId,
      month: monthOf(group[0]!.invoice_date),
      status: group[0]!.status,
      currency: group[0]!.currency,
      invoice_count: String(group.length),
      total_amount: total.toFixed(2),
      average_amount: total.dividedBy(group.length)!.toFixed(2),
    };
  });
}
