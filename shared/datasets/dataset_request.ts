import { z } from "zod";
import { LRUCache } from "lru-cache";
import { cacheKey } from "../cache/cache_key.ts";
import { InvalidRequestError, NotFoundError } from "../http/errors.ts";
import { queryParams } from "../http/query_params.ts";
import { parseOrThrow } from "../http/validation.ts";
import { DATASET_PARAMETERS, type DatasetParams } from "./dataset_parameters.ts";
import { DATASET_NAMES, type DatasetName, isDatasetName } from "./registry.ts";

export type { DatasetParams } from "./dataset_parameters.ts";

/** A validated `GET /datasets/<dataset>?organization_id=…` request. */
export interface DatasetRequest {
  readonly dataset: DatasetName;
  readonly organizationId: string;
  /** Dataset parameters, typed and canonical (e.g. `limit=010` → 10). */
  readonly params: DatasetParams;
  /** `cacheKey` of the organization, dataset and params: computed once per URL. */
  readonly key: string;
}

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
  const owner = organization.data.toLowerCase();
  const key = cacheKey({ organizationId: owner, dataset: name, params });
  return { dataset: name, organizationId: owner, params, key };
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
