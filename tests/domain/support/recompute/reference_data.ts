import { isBetween, isBooked } from "./calendar.ts";
import type { RawInvoice, RawOrganization } from "./raw_rows.ts";

/** Activity of booked invoices in [from, to] per key (supplier or location). */
export interface Activity {
  readonly invoiceCount: number;
  readonly lastInvoiceDate: string | null;
  /** Distinct products (per supplier) or suppliers (per location). */
  readonly distinct: number;
}

/** Booked invoices dated in [from, to], optionally at one location. */
function bookedInvoices(
  raw: RawOrganization,
  from: string,
  to: string,
  locationId?: string,
): RawInvoice[] {
  return raw.invoices.filter((invoice) =>
    isBooked(invoice) && isBetween(invoice.invoice_date, from, to) &&
    (locationId === undefined || invoice.location_id === locationId)
  );
}

function activityOf(invoices: RawInvoice[], distinct: Set<string>): Activity {
  return {
    invoiceCount: invoices.length,
    lastInvoiceDate: invoices.map((invoice) => invoice.invoice_date).sort().at(-1) ?? null,
    distinct: distinct.size,
  };
}

/** supplier-data activity per supplier: invoices, distinct products bought, last invoice. */
export function supplierActivity(
  raw: RawOrganization,
  from: string,
  to: string,
  locationId?: string,
): Map<string, Activity> {
  const invoices = bookedInvoices(raw, from, to, locationId);
  return new Map(raw.suppliers.map((supplier) => {
    const own = invoices.filter((invoice) => invoice.supplier_id === supplier.id);
    const ids = new Set(own.map((invoice) => invoice.id));
    const products = new Set(
      raw.lines.filter((line) => ids.has(line.invoice_id)).map((line) => line.product_id),
    );
    return [supplier.id, activityOf(own, products)];
  }));
}

/** location-data activity per location id: invoices, distinct suppliers, last invoice. */
export function locationActivity(
  raw: RawOrganization,
  locationIds: readonly string[],
  from: string,
  to: string,
): Map<string, Activity> {
  const invoices = bookedInvoices(raw, from, to);
  return new Map(locationIds.map((locationId) => {
    const own = invoices.filter((invoice) => invoice.location_id === locationId);
    return [locationId, activityOf(own, new Set(own.map((invoice) => invoice.supplier_id)))];
  }));
}
