import { percent, Rational, sum } from "../rational.ts";
import { dayNumber, groupBy, isBooked } from "./calendar.ts";
import { invoiceTotals } from "./invoice_totals.ts";
import type { RawOrganization, TextRow } from "./raw_rows.ts";

/** dashboard-metrics of one organization, recomputed from raw rows. */
export function recomputeDashboardMetrics(raw: RawOrganization, asOf: string): TextRow[] {
  const totals = invoiceTotals(raw.invoices, raw.lines);
  const today = dayNumber(asOf);
  const recent = raw.invoices
    .filter(isBooked)
    .map((invoice) => ({ invoice, age: today - dayNumber(invoice.invoice_date) }))
    .filter(({ age }) => age >= 0 && age < 180);

  return [...groupBy(recent, ({ invoice }) => invoice.currency)].map(([currency, rows]) => {
    const spend = (minAge: number, maxAge: number) =>
      sum(
        rows.filter(({ age }) => age >= minAge && age < maxAge)
          .map(({ invoice }) => totals.get(invoice.id)!),
      );
    const last30 = spend(0, 30);
    const previous30 = spend(30, 60);
    const last90 = spend(0, 90);
    const previous90 = spend(90, 180);
    const count30 = rows.filter(({ age }) => age < 30).length;
    const suppliers90 = new Set(
      rows.filter(({ age }) => age < 90).map(({ invoice }) => invoice.supplier_id),
    );
    return {
      organization_id: raw.organizationId,
      currency,
      as_of_date: asOf,
      spend_last_30_days: last30.toFixed(2),
      spend_previous_30_days: previous30.toFixed(2),
      spend_change_30_days_percent: percent(last30.minus(previous30), previous30),
      spend_last_90_days: last90.toFixed(2),
      spend_previous_90_days: previous90.toFixed(2),
      spend_change_90_days_percent: percent(last90.minus(previous90), previous90),
      invoice_count_last_30_days: String(count30),
      average_invoice_last_30_days: last30.dividedBy(Rational.of(count30))?.toFixed(2) ?? null,
      active_suppliers_last_90_days: String(suppliers90.size),
    };
  });
}
