/**
 * Tag names. Every tag is scoped to one organization, so invalidating a tag of one
 * organization can never touch another's entries:
 *
 * - `org:<id>`: every entry of the organization;
 * - `org:<id>:dataset:<name>`: every entry of one dataset (bumped by base-table triggers
 *   and the nightly refresh);
 * - `org:<id>:tag:<name>`: a custom tag given by the caller (e.g. `supplier-42`).
 *
 * The SQL functions `cache.organization_tag` and `cache.dataset_tag` build the same names.
 *
 * @module
 */
import { InvalidTagError } from "./errors.ts";

/** Most custom tags accepted in one request. */
export const MAX_CUSTOM_TAGS = 100;
const CUSTOM_TAG = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** The tag every entry of an organization carries: `org:<id>`. */
export function organizationTag(organizationId: string): string {
  return `org:${organizationId.toLowerCase()}`;
}

/** The tag every entry of a dataset of an organization carries: `org:<id>:dataset:<name>`. */
export function datasetTag(organizationId: string, dataset: string): string {
  return `${organizationTag(organizationId)}:dataset:${dataset}`;
}

/**
 * The scoped form of a caller's custom tag: `org:<id>:tag:<name>`. Throws
 * {@linkcode InvalidTagError} for a name that is empty, longer than 128 characters or
 * not made of letters, digits and `. _ : -`.
 */
export function customTag(organizationId: string, name: string): string {
  if (!CUSTOM_TAG.test(name)) {
    throw new InvalidTagError(
      "Invalid tag: expected 1 to 128 letters, digits, '.', '_', ':' or '-', starting with a " +
        `letter or digit: received ${
          JSON.stringify(name.length > 140 ? name.slice(0, 140) + "…" : name)
        }`,
      { tag: name.slice(0, 140) },
    );
  }
  return `${organizationTag(organizationId)}:tag:${name}`;
}

function checkCount(names: readonly string[]): void {
  if (names.length > MAX_CUSTOM_TAGS) {
    throw new InvalidTagError(
      `Invalid tags: at most ${MAX_CUSTOM_TAGS} per request: received ${names.length}`,
      { count: names.length },
    );
  }
}

/**
 * Every tag of an entry: its organization tag, its dataset tag and its scoped custom
 * tags, without duplicates.
 */
export function entryTags(
  organizationId: string,
  dataset: string,
  customNames: readonly string[] = [],
): string[] {
  checkCount(customNames);
  return [
    ...new Set([
      organizationTag(organizationId),
      datasetTag(organizationId, dataset),
      ...customNames.map((name) => customTag(organizationId, name)),
    ]),
  ];
}

/** What to invalidate in one organization. */
export interface InvalidationTarget {
  readonly organizationId: string;
  /** Datasets to invalidate. */
  readonly datasets?: readonly string[];
  /** Custom tag names to invalidate. */
  readonly tags?: readonly string[];
}

/**
 * The scoped tags to bump for an invalidation. With neither datasets nor tags, the
 * organization tag: everything of the organization.
 */
export function invalidationTags(target: InvalidationTarget): string[] {
  const datasets = target.datasets ?? [];
  const names = target.tags ?? [];
  checkCount(names);
  if (datasets.length === 0 && names.length === 0) return [organizationTag(target.organizationId)];
  return [
    ...new Set([
      ...datasets.map((dataset) => datasetTag(target.organizationId, dataset)),
      ...names.map((name) => customTag(target.organizationId, name)),
    ]),
  ];
}
