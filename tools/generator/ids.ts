/** Kinds of generated rows; each kind has its own id space. */
export const EntityKind = {
  organization: 1,
  user: 2,
  supplier: 3,
  location: 4,
  product: 5,
  invoice: 6,
  invoiceLine: 7,
} as const;

/** One of the `EntityKind` values. */
export type EntityKind = typeof EntityKind[keyof typeof EntityKind];

/**
 * The id the generator gives the `index`-th row of a kind for a seed: a
 * version-8 (custom) UUID `kkkk ssssssss 8000 | 10 index(62 bits)` that sorts
 * by index, so bulk inserts append to the primary key index. Mirrors the SQL
 * of `generatorSessionSql`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(generatedId(1, 7, 0), "00010000-0007-8000-8000-000000000000");
 * ```
 */
export function generatedId(kind: EntityKind, seed: number, index: number | bigint): string {
  const high = (BigInt(kind) << 48n) | (BigInt(seed) << 16n) | 0x8000n;
  const low = BigInt(index) | (1n << 63n);
  const hex = high.toString(16).padStart(16, "0") + low.toString(16).padStart(16, "0");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${
    hex.slice(20)
  }`;
}

/** Ids of the organizations a generator run creates, in order. */
export function generatedOrganizationIds(seed: number, organizations: number): string[] {
  return Array.from(
    { length: organizations },
    (_, index) => generatedId(EntityKind.organization, seed, index),
  );
}
