/**
 * Row types of every dataset as column specs: plain data that maps to
 * TypeScript types ({@linkcode SpecValues}) and that a test compares with the
 * SQL catalogue and real rows (`tests/client/dataset_types_test.ts`), so the
 * types cannot drift from what the database returns. (Parameters are the
 * registry's, `shared/datasets/registry.ts`.)
 *
 * Kinds: `uuid`, `text`, `date` (`YYYY-MM-DD`) → string; `number` (numeric,
 * integer) → number; `boolean`; `json` (jsonb object); a trailing `?` allows null.
 *
 * @module
 */

/** A column kind. */
export type ColumnKind =
  | "uuid"
  | "text"
  | "date"
  | "number"
  | "boolean"
  | "json";
/** A column kind, possibly nullable. */
export type ColumnSpec = ColumnKind | `${ColumnKind}?`;

type KindValue<K extends string> = K extends "uuid" | "text" | "date" ? string
  : K extends "number" ? number
  : K extends "boolean" ? boolean
  : K extends "json" ? Record<string, unknown>
  : never;
type ColumnValue<S extends string> = S extends `${infer K}?` ? KindValue<K> | null
  : KindValue<S>;

/** The object type described by a column spec record. */
export type SpecValues<T extends Readonly<Record<string, ColumnSpec>>> = {
  readonly [K in keyof T]: ColumnValue<T[K]>;
};

/** Columns of each dataset's rows (`analytics.dataset_json`). */
export const DATASET_ROW_SPECS = {
  "dashboard-metrics": {
    currency: "text",
    as_of_date: "date",
    spend_last_30_days: "number",
    spend_previous_30_days: "number",
    spend_change_30_days_percent: "number?",
    spend_last_90_days: "number",
    spend_previous_90_days: "number",
    spend_change_90_days_percent: "number?",
    invoice_count_last_30_days: "number",
    average_invoice_last_30_days: "number?",
    active_suppliers_last_90_days: "number",
  },
  "product-metrics": {
    product_id: "uuid",
    currency: "text",
    sku: "text",
    product_name: "text",
    category: "text",
    unit: "text",
    line_count: "number",
    quantity_total: "number",
    spend_total: "number",
    average_unit_price: "number?",
    min_unit_price: "number",
    max_unit_price: "number",
    first_unit_price: "number",
    last_unit_price: "number",
    price_change_percent: "number?",
    first_purchased_on: "date",
    last_purchased_on: "date",
  },
  "cogs-analysis": {
    month: "date",
    category: "text",
    currency: "text",
    line_count: "number",
    spend: "number",
    share_of_month_percent: "number?",
    share_of_total_percent: "number?",
  },
  "supplier-metrics": {
    supplier_id: "uuid",
    currency: "text",
    supplier_name: "text",
    invoice_count: "number",
    spend: "number",
    average_invoice: "number?",
    share_of_spend_percent: "number?",
    price_variance: "number",
    price_variance_percent: "number?",
    last_invoice_on: "date",
  },
  "invoice-analytics": {
    month: "date",
    status: "text",
    currency: "text",
    invoice_count: "number",
    total_amount: "number",
    average_amount: "number",
  },
  "price-alerts": {
    product_id: "uuid",
    sku: "text",
    product_name: "text",
    category: "text",
    supplier_id: "uuid",
    supplier_name: "text",
    currency: "text",
    latest_invoice_id: "uuid",
    latest_invoice_date: "date",
    latest_unit_price: "number",
    reference_unit_price: "number",
    change_percent: "number",
    purchase_count: "number",
  },
  "supplier-data": {
    supplier_id: "uuid",
    name: "text",
    contact_email: "text?",
    phone: "text?",
    country_code: "text?",
    is_active: "boolean",
    invoice_count: "number",
    product_count: "number",
    last_invoice_date: "date?",
  },
  "location-data": {
    location_id: "uuid",
    code: "text",
    name: "text",
    city: "text?",
    country_code: "text?",
    is_active: "boolean",
    invoice_count: "number",
    supplier_count: "number",
    last_invoice_date: "date?",
  },
  "user-preferences": {
    user_id: "uuid",
    default_location_id: "uuid?",
    default_location_name: "text?",
    display_currency: "text?",
    price_alert_threshold_percent: "number",
    settings: "json",
  },
} as const satisfies Record<string, Readonly<Record<string, ColumnSpec>>>;
