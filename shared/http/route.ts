import type { Context } from "hono";
import { InvalidRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from "./errors.ts";
import { MAX_QUERY_LENGTH } from "./query_params.ts";

/** Handles one matched route; reads only what the shell checked (see {@linkcode Route}). */
// deno-lint-ignore no-explicit-any
export type RouteHandler = (request: Request, url: URL, c: Context<any>) => Promise<Response>;

/** A route of a function: `path` is relative to the function, e.g. `/invalidate`. */
export interface Route {
  readonly method: "GET" | "POST";
  readonly path: string;
  /**
   * What the route takes as a body: `none` (any body is refused), `json` (a JSON
   * body, validated by the handler with `readJsonBody`) or `optional-json`.
   * @default "none"
   */
  readonly body?: "none" | "json" | "optional-json";
  /**
   * Whether the route reads query parameters (and validates them strictly
   * itself, e.g. with `parseAdminQuery`); otherwise any parameter is refused.
   * @default false
   */
  readonly query?: boolean;
  readonly handle: RouteHandler;
}

/** True when the request carries a body (a length above 0, or a chunked one). */
export function hasBody(request: Request): boolean {
  const length = request.headers.get("content-length");
  if (length !== null) return length.trim() !== "0";
  return request.body !== null && request.headers.has("transfer-encoding");
}

/**
 * Refuses a request whose shape the route does not take, before its handler
 * runs: a query on a route without parameters or longer than `MAX_QUERY_LENGTH`,
 * a body on a route without one (400), a content type other than JSON (415).
 */
export function checkRequestShape(
  request: Request,
  route: Pick<Route, "method" | "path" | "query" | "body">,
): void {
  const queryAt = request.url.indexOf("?");
  const search = queryAt < 0 ? "" : request.url.slice(queryAt);
  if (search.length > MAX_QUERY_LENGTH) {
    throw new PayloadTooLargeError(
      `Query too long: at most ${MAX_QUERY_LENGTH} characters, received ${search.length}`,
    );
  }
  if (!route.query && search.length > 1) {
    throw new InvalidRequestError(
      `Unexpected query parameters: ${route.method} ${route.path} takes none`,
      { parameters: [...new Set(new URLSearchParams(search).keys())] },
    );
  }
  const contentType = request.headers.get("content-type");
  if (contentType !== null && !/^application\/json\b/i.test(contentType)) {
    throw new UnsupportedMediaTypeError();
  }
  if ((route.body ?? "none") === "none" && hasBody(request)) {
    throw new InvalidRequestError(`Unexpected body: ${route.method} ${route.path} takes none`);
  }
}
