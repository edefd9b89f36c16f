import type { Sql } from "postgres";

/** An invoice as stored, every value as Postgres prints it. */
export interface RawInvoice {
  readonly id: string;
  readonly invoice_date: string;
  readonly status: string;
  readonly supplier_id: string;
  readonly location_id: string;
  readonly currency: string;
}

/** An invoice line as stored, every value as Postgres prints it. */
export interface RawLine {
  readonly invoice_id: string;
  readonly line_number: number;
  readonly product_id: string;
  readonly quantity: string;
  readonly unit_price: string;
  readonly line_total: string;
}

/** A product as stored. */
export interface RawProduct {
  readonly id: string;
  readonly sku: string;
  readonly name: string;
  readonly category: string;
  readonly unit: string;
}

/** A supplier as stored. */
export interface RawSupplier {
  readonly id: string;
  readonly name: string;
}

/** Everything an organization's nightly datasets are computed from. */
export interface RawOrganization {
  readonly organizationId: string;
  readonly invoices: readonly RawInvoice[];
  readonly lines: readonly RawLine[];
  readonly products: readonly RawProduct[];
  readonly suppliers: readonly RawSupplier[];
}

/** Reads an organization's base rows as text (no numeric or date parsing on the way). */
export async function loadRawOrganization(
  sql: Sql,
  organizationId: string,
): Promise<RawOrganization> {
  const [invoices, lines, products, suppliers] = await Promise.all([
    sql<RawInvoice[]>`
      select id::text, invoice_date::text, status::text, supplier_id::text, location_id::text,
             currency::text
      from public.invoices where organization_id = ${organizationId}`,
    sql<RawLine[]>`
      select invoice_id::text, line_number, product_id::text, quantity::text, unit_price::text,
             line_total::text
      from public.invoice_lines where organization_id = ${organizationId}`,
    sql<RawProduct[]>`
      select id::text, sku, name, category, unit
      from public.products where organization_id = ${organizationId}`,
    sql<RawSupplier[]>`
      select id::text, name from public.suppliers where organization_id = ${organizationId}`,
  ]);
  return { organizationId, invoices, lines, products, suppliers };
}

/** A dataset row with every column as Postgres prints it (null stays null). */
export type TextRow = Record<string, string | null>;

/** Reads an organization's rows of a dataset table, every column cast to text. */
export async function loadDatasetRows(
  sql: Sql,
  table: string,
  organizationId: string,
): Promise<TextRow[]> {
  const columns = await sql<{ name: string }[]>`
    select attname as name from pg_catalog.pg_attribute
    where attrelid = ${table}::regclass and attnum > 0 and not attisdropped
    order by attnum`;
  const select = columns.map(({ name }) => `"${name}"::text as "${name}"`).join(", ");
  return await sql.unsafe<TextRow[]>(
    `select ${select} from ${table} where organization_id = $1`,
    [organizationId],
  );
}
