/** How many suppliers, locations and products an organization gets, from its invoice count. */
export interface CatalogSize {
  readonly suppliers: number;
  readonly locations: number;
  readonly products: number;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/**
 * Catalog size in proportion to invoices per organization: a supplier per 10
 * invoices (2..200), a location per 50 (1..50), a product per 4 (5..2000).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(catalogSize(200), { suppliers: 20, locations: 4, products: 50 });
 * ```
 */
export function catalogSize(invoicesPerOrganization: number): CatalogSize {
  return {
    suppliers: clamp(Math.ceil(invoicesPerOrganization / 10), 2, 200),
    locations: clamp(Math.ceil(invoicesPerOrganization / 50), 1, 50),
    products: clamp(Math.ceil(invoicesPerOrganization / 4), 5, 2000),
  };
}
