import type { RawInvoice, RawLine } from "./raw_rows.ts";

const DAY_MS = 86_400_000;

/** Days since 1970-01-01 of a `YYYY-MM-DD` date. */
export function dayNumber(date: string): number {
  return Date.UTC(
    Number(date.slice(0, 4)),
    Number(date.slice(5, 7)) - 1,
    Number(date.slice(8, 10)),
  ) /
    DAY_MS;
}

/** `YYYY-MM-01` of a date's month. */
export function monthOf(date: string): string {
  return `${date.slice(0, 7)}-01`;
}

/** First day of the twelve calendar months ending with `asOf`'s month. */
export function reportingWindowStart(asOf: string): string {
  const start = new Date(Date.UTC(Number(asOf.slice(0, 4)), Number(asOf.slice(5, 7)) - 1 - 11, 1));
  return start.toISOString().slice(0, 10);
}

/** Pending, approved and paid invoices are booked spend. */
export function isBooked(invoice: RawInvoice): boolean {
  return ["pending", "approved", "paid"].includes(invoice.status);
}

/** True when `date` is within [from, to] (ISO dates compare as text). */
export function isBetween(date: string, from: string, to: string): boolean {
  return date >= from && date <= to;
}

/** A line together with its invoice. */
export interface InvoicedLine extends RawLine {
  readonly invoice: RawInvoice;
}

/** Lines of booked invoices dated in [from, to], with their invoice. */
export function bookedLinesBetween(
  invoices: readonly RawInvoice[],
  lines: readonly RawLine[],
  from: string,
  to: string,
): InvoicedLine[] {
  const byId = new Map(invoices.map((invoice) => [invoice.id, invoice]));
  return lines.flatMap((line) => {
    const invoice = byId.get(line.invoice_id)!;
    return isBooked(invoice) && isBetween(invoice.invoice_date, from, to)
      ? [{ ...line, invoice }]
      : [];
  });
}

/** Groups values by a string key, keeping first-seen order. */
export function groupBy<T>(values: Iterable<T>, key: (value: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const value of values) {
    const k = key(value);
    const group = groups.get(k);
    if (group) group.push(value);
    else groups.set(k, [value]);
  }
  return groups;
}
