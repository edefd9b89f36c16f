import { z } from "zod";
import { LRUCache } from "lru-cache";
import { DATASET_NAMES, type DatasetName, isDatasetName } from "../cache/tiers.ts";
import { InvalidRequestError, NotFoundError } from "../http/errors.ts";
import { queryParams } from "../http/query_params.ts";
import { parseOrThrow } from "../http/validation.ts";

/** Validated dataset parameters: names to strings (dates, UUIDs) or numbers. */
export type DatasetParams = Readonly<Record<string, string | number>>;

/** A validated `GET /datasets/<dataset>?organization_id=…` request. */
export interface DatasetRequest {
  readonly dataset: DatasetName;
  readonly organizationId: string;
  /** Dataset parameters, typed and canonical (e.g. `limit=010` → 10). */
  readonly params: DatasetParams;
}

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date YYYY-MM-DD").refine(
  (value) =>
    !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) &&
    new Date(`${value}T00:00:00Z`).toISOString().startsWith(value),
  "must be a real calendar date",
);
const limit = z.string().regex(/^\d{1,4}$/, "must be a whole number from 1 to 1000")
  .transform(Number).pipe(z.number().int().min(1).max(1000));
const percent = z.string().regex(/^\d{1,4}(\.\d{1,4})?$/, "must be a number from 0 to 1000")
  .transform(Number).pipe(z.number().min(0).max(1000));

const liveFilters = {
  from: isoDate.optional(),
  to: isoDate.optional(),
  location_id: z.uuid({ message: "must be a UUID" }).optional(),
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
const dateOrderMessage = { message: "from must not be after to", path: ["from"] };

/** Accepted parameters of each dataset (besides organization_id); anything else is refused. */
export const DATASET_PARAMETERS: Readonly<Record<DatasetName, z.ZodType<DatasetParams>>> = {
  "dashboard-metrics": z.object({}).strict(),
  "product-metrics": z.object({}).strict(),
  "cogs-analysis": z.object({}).strict(),
  "supplier-metrics": z.object({}).strict(),
  "invoice-analytics": z.object({}).strict(),
  "user-preferences": z.object({}).strict(),
  "price-alerts": z.object({
    ...liveFilters,
    supplier_id: z.uuid({ message: "must be a UUID" }).optional(),
    threshold_percent: percent.optional(),
  }).strict().refine(dateOrder, dateOrderMessage).transform(givenOnly),
  "supplier-data": z.object({
    ...liveFilters,
    supplier_id: z.uuid({ message: "must be a UUID" }).optional(),
  }).strict().refine(dateOrder, dateOrderMessage).transform(givenOnly),
  "location-data": z.object(liveFilters).strict().refine(dateOrder, dateOrderMessage)
    .transform(givenOnly),
};

/**
 * Parses the function's URL (`/datasets/<dataset>` plus query) into a
 * validated request: 404 for an unknown dataset, 400 naming the offending
 * parameter otherwise (missing or malformed organization_id, unknown, repeated
 * or malformed parameters), 413 for an oversize query.
 */
export function parseDatasetRequest(url: URL): DatasetRequest {
  const match = /^\/datasets(?:\/([^/]*))?\/?$/.exec(url.pathname);
  const name = match?.[1] ? decodeURIComponent(match[1]) : "";
  if (!isDatasetName(name)) {
    throw new NotFoundError(
      `Unknown dataset: ${name || "(none)"}: use /datasets/<dataset> with one of ${
        DATASET_NAMES.join(", ")
      }`,
    );
  }
  const { organization_id: organizationId, ...rest } = queryParams(url);
  if (organizationId === undefined) {
    throw new InvalidRequestError("Missing organization_id: add ?organization_id=<uuid>");
  }
  const organization = z.uuid().safeParse(organizationId);
  if (!organization.success) {
    throw new InvalidRequestError(
      `Invalid organization_id: must be a UUID, received ${organizationId.slice(0, 64)}`,
    );
  }
  const params = parseOrThrow(DATASET_PARAMETERS[name], rest, `parameters for ${name}`);
  return { dataset: name, organizationId: organization.data.toLowerCase(), params };
}

/**
 * {@linkcode parseDatasetRequest} with the results of recent URLs remembered
 * (parsing is pure and the same URLs repeat), so a cache hit does not validate
 * the same query again. Invalid URLs are never remembered.
 */
export class DatasetRequestParser {
  readonly #parsed: LRUCache<string, DatasetRequest>;

  /** @param maxEntries URLs remembered at most. @default 1000 */
  constructor(maxEntries = 1000) {
    this.#parsed = new LRUCache({ max: maxEntries });
  }

  /** The validated request of a URL; throws as `parseDatasetRequest` does. */
  parse(url: string): DatasetRequest {
    let parsed = this.#parsed.get(url);
    if (!parsed) {
      parsed = parseDatasetRequest(new URL(url));
      this.#parsed.set(url, parsed);
    }
    return parsed;
  }
}
