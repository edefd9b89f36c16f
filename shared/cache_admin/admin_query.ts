import { z } from "zod";
import { queryParams } from "../http/query_params.ts";
import { parseOrThrow } from "../http/validation.ts";

/** `organization_id` of an admin route's query: a UUID, lower-cased; optional. */
export const organizationIdParam = z.uuid({ message: "must be a UUID" })
  .transform((id) => id.toLowerCase()).optional();

/**
 * A whole number query parameter between `min` and `max`, `fallback` when absent
 * (e.g. `hours=24`).
 */
export function wholeNumberParam(min: number, max: number, fallback: number) {
  return z.string().regex(/^\d{1,6}$/, `must be a whole number from ${min} to ${max}`)
    .transform(Number)
    .pipe(
      z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`),
    )
    .default(fallback);
}

/**
 * Validates the query of an admin route with a strict `schema`: 413 for an oversize
 * query, 400 for a repeated, unknown or malformed parameter.
 */
export function parseAdminQuery<T extends z.ZodType>(url: URL, schema: T): z.infer<T> {
  return parseOrThrow(schema, queryParams(url), "query parameters");
}
