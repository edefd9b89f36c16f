import { recomputeCogsAnalysis } from "./cogs_analysis.ts";
import { recomputeDashboardMetrics } from "./dashboard_metrics.ts";
import { recomputeInvoiceAnalytics } from "./invoice_analytics.ts";
import { recomputeProductMetrics } from "./product_metrics.ts";
import type { RawOrganization, TextRow } from "./raw_rows.ts";
import { recomputeSupplierMetrics } from "./supplier_metrics.ts";

export { loadDatasetRows, loadRawOrganization } from "./raw_rows.ts";
export type { RawOrganization, TextRow } from "./raw_rows.ts";
export { expectedLineTotal } from "./invoice_totals.ts";

/** A nightly dataset: its table and its independent recomputation. */
export interface NightlyDataset {
  readonly name: string;
  readonly table: string;
  readonly recompute: (raw: RawOrganization, asOf: string) => TextRow[];
}

/** The five nightly datasets. */
export const NIGHTLY_DATASETS: readonly NightlyDataset[] = [
  {
    name: "dashboard-metrics",
    table: "analytics.dashboard_metrics",
    recompute: recomputeDashboardMetrics,
  },
  {
    name: "product-metrics",
    table: "analytics.product_metrics",
    recompute: recomputeProductMetrics,
  },
  { name: "cogs-analysis", table: "analytics.cogs_analysis", recompute: recomputeCogsAnalysis },
  {
    name: "supplier-metrics",
    table: "analytics.supplier_metrics",
    recompute: recomputeSupplierMetrics,
  },
  {
    name: "invoice-analytics",
    table: "analytics.invoice_analytics",
    recompute: recomputeInvoiceAnalytics,
  },
];

/** Rows in a canonical order (by their JSON), for order-insensitive comparison. */
export function canonicalOrder(rows: readonly TextRow[]): TextRow[] {
  return rows
    .map((row) => Object.fromEntries(Object.entries(row).sort(([a], [b]) => a.localeCompare(b))))
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}
