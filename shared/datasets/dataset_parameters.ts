/**
 * Building blocks of the datasets' parameter schemas (zod): what a query
 * parameter may look like, and how the validated parameters are shaped.
 * The dataset registry (`registry.ts`) composes one schema per dataset from them.
 *
 * @module
 */
import { z } from "zod";

/** Validated dataset parameters: names to strings (dates, UUIDs) or numbers. */
export type DatasetParams = Readonly<Record<string, string | number>>;

/** A real calendar date `YYYY-MM-DD`. */
export const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date YYYY-MM-DD")
  .refine(
    (value) =>
      !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) &&
      new Date(`${value}T00:00:00Z`).toISOString().startsWith(value),
    "must be a real calendar date",
  );

/** Row limit: a whole number 1..1000 (`limit=010` → 10). */
export const limit = z.string().regex(/^\d{1,4}$/, "must be a whole number from 1 to 1000")
  .transform(Number).pipe(z.number().int().min(1).max(1000));

/** A percentage 0..1000 with at most four decimals. */
export const percent = z.string().regex(/^\d{1,4}(\.\d{1,4})?$/, "must be a number from 0 to 1000")
  .transform(Number).pipe(z.number().min(0).max(1000));

/** A UUID. */
export const uuid = z.uuid({ message: "must be a UUID" });

/** Filters shared by the live datasets over invoices. */
export const liveFilters = {
  from: isoDate.optional(),
  to: isoDate.optional(),
  location_id: uuid.optional(),
  limit: limit.optional(),
};

/** Keeps the parameters that were given (zod reports absent optionals as undefined). */
const givenOnly = (params: Record<string, string | number | undefined>): DatasetParams =>
  Object.fromEntries(
    Object.entries(params).filter((entry): entry is [string, string | number] =>
      entry[1] !== undefined
    ),
  );

const dateOrder = (params: { from?: string | undefined; to?: string | undefined }) =>
  !params.from || !params.to || params.from <= params.to;

/** A dataset that takes no parameters: anything given is refused. */
export function noParameters(): z.ZodType<DatasetParams> {
  return z.object({}).strict();
}

/**
 * A dataset's strict parameter schema with a date window: unknown names are
 * refused, `from` must not be after `to`, absent optionals are dropped.
 */
export function windowParameters(
  shape: Readonly<Record<string, z.ZodType<string | number | undefined, string | undefined>>>,
): z.ZodType<DatasetParams> {
  return z.object(shape).strict()
    .refine((params) => dateOrder(params as { from?: string; to?: string }), {
      message: "from must not be after to",
      path: ["from"],
    })
    .transform((params) => givenOnly(params as Record<string, string | number | undefined>));
}

/** The parameter names a schema accepts (the keys of its object shape). */
export function parameterNames(schema: z.ZodType): readonly string[] {
  // deno-lint-ignore no-explicit-any
  let inner: any = schema;
  while (inner && !inner.shape) inner = inner.def?.in ?? inner.def?.schema ?? inner.def?.innerType;
  return inner?.shape ? Object.keys(inner.shape).sort() : [];
}
