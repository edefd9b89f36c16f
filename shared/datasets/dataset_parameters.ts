/**
 * The zod schema of each dataset's query parameters, built from the parameter
 * kinds the dataset registry (`registry.ts`) declares: strict (unknown names are
 * refused), every parameter optional, `from` not after `to`, values canonical
 * (`limit=010` → 10), absent parameters dropped.
 *
 * @module
 */
import { z } from "zod";
import { DATASET_NAMES, type DatasetName, DATASETS, type ParameterKind } from "./registry.ts";

/** Validated dataset parameters: names to strings (dates, UUIDs) or numbers. */
export type DatasetParams = Readonly<Record<string, string | number>>;

/** A real calendar date `YYYY-MM-DD`. */
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date YYYY-MM-DD")
  .refine(
    (value) =>
      !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) &&
      new Date(`${value}T00:00:00Z`).toISOString().startsWith(value),
    "must be a real calendar date",
  );

/** Row limit: a whole number 1..1000 (`limit=010` → 10; leading zeros are read as such). */
const limitMessage = "must be a whole number from 1 to 1000";
const limit = z.string().regex(/^0{0,8}\d{1,4}$/, limitMessage)
  .transform(Number).pipe(z.number().int().min(1, limitMessage).max(1000, limitMessage));

/**
 * A percentage greater than 0 and at most 1000, with at most four decimals: the
 * domain of analytics.price_alerts and user_preferences.price_alert_threshold_percent.
 */
const percentMessage = "must be a number greater than 0 and at most 1000 (up to 4 decimals)";
const percent = z.string().regex(/^0{0,8}\d{1,4}(\.\d{1,4})?$/, percentMessage)
  .transform(Number).pipe(z.number().gt(0, percentMessage).max(1000, percentMessage));

/** A UUID. */
const uuid = z.uuid({ message: "must be a UUID" });

/** Keeps the parameters that were given (zod reports absent optionals as undefined). */
const givenOnly = (params: Record<string, string | number | undefined>): DatasetParams =>
  Object.fromEntries(
    Object.entries(params).filter((entry): entry is [string, string | number] =>
      entry[1] !== undefined
    ),
  );

const dateOrder = (params: { from?: string | undefined; to?: string | undefined }) =>
  !params.from || !params.to || params.from <= params.to;

const KINDS: Readonly<Record<ParameterKind, z.ZodType<string | number, string>>> = {
  date: isoDate,
  uuid,
  limit,
  percent,
};

/** The strict schema of a parameter declaration (see `ParameterKind`). */
export function parametersSchema(
  declared: Readonly<Record<string, ParameterKind>>,
): z.ZodType<DatasetParams> {
  const shape = Object.fromEntries(
    Object.entries(declared).map(([name, kind]) => [name, KINDS[kind].optional()]),
  );
  return z.object(shape).strict()
    .refine((params) => dateOrder(params as { from?: string; to?: string }), {
      message: "from must not be after to",
      path: ["from"],
    })
    .transform((params) => givenOnly(params as Record<string, string | number | undefined>));
}

/** The parameter schema of every dataset of the registry. */
export const DATASET_PARAMETERS: Readonly<Record<DatasetName, z.ZodType<DatasetParams>>> = Object
  .fromEntries(
    DATASET_NAMES.map((name) => [name, parametersSchema(DATASETS[name].parameters)]),
  ) as Record<DatasetName, z.ZodType<DatasetParams>>;
