import { InvalidRequestError, PayloadTooLargeError } from "./errors.ts";

/** Longest query string accepted, in characters. */
export const MAX_QUERY_LENGTH = 2048;

/**
 * Reads a URL's query into a plain record, refusing a query longer than
 * `MAX_QUERY_LENGTH` (413) and a parameter given twice (400), so that
 * validation sees exactly one value per name.
 */
export function queryParams(url: URL): Record<string, string> {
  if (url.search.length > MAX_QUERY_LENGTH) {
    throw new PayloadTooLargeError(
      `Query too long: at most ${MAX_QUERY_LENGTH} characters, received ${url.search.length}`,
    );
  }
  const params: Record<string, string> = {};
  for (const [name, value] of url.searchParams) {
    if (Object.hasOwn(params, name)) {
      throw new InvalidRequestError(`Repeated query parameter: ${name} may appear once`, {
        parameter: name,
      });
    }
    params[name] = value;
  }
  return params;
}
