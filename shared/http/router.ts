import { corsHeaders, type CorsOptions, preflightResponse } from "./cors.ts";
import { errorResponse } from "./error_response.ts";
import { MethodNotAllowedError, NotFoundError } from "./errors.ts";

/** Handles one matched route. */
export type RouteHandler = (request: Request, url: URL) => Promise<Response>;

/** A route of an admin function: `path` is relative to the function, e.g. `/invalidate`. */
export interface Route {
  readonly method: "GET" | "POST";
  readonly path: string;
  readonly handle: RouteHandler;
}

/**
 * Finds the route for a request to `/<function>/<path>`: 404 for an unknown
 * path, 405 (with `Allow`) for a known path with another method.
 */
export function matchRoute(
  routes: readonly Route[],
  functionName: string,
  url: URL,
  method: string,
) {
  const prefix = `/${functionName}`;
  const path = url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) || "/" : "";
  const normalized = path.length > 1 ? path.replace(/\/+$/, "") : path;
  const candidates = routes.filter((route) => route.path === normalized);
  if (candidates.length === 0) {
    throw new NotFoundError(
      `Not found: ${functionName} serves ${[...new Set(routes.map((r) => r.path))].join(", ")}`,
    );
  }
  const effective = method === "HEAD" ? "GET" : method;
  const route = candidates.find((candidate) => candidate.method === effective);
  if (!route) throw new MethodNotAllowedError([...candidates.map((c) => c.method), "OPTIONS"]);
  return route;
}

/**
 * The request handler of a function made of routes: answers CORS preflights,
 * dispatches to the matching route, adds CORS headers, and turns anything
 * thrown into the JSON error response (the one place errors meet HTTP).
 */
export function serveRoutes(
  functionName: string,
  routes: readonly Route[],
  cors: CorsOptions,
): (request: Request) => Promise<Response> {
  return async function serveRoute(request: Request): Promise<Response> {
    if (request.method === "OPTIONS") return preflightResponse(request, cors);
    const headers = corsHeaders(request, cors);
    try {
      const url = new URL(request.url);
      const response = await matchRoute(routes, functionName, url, request.method)
        .handle(request, url);
      for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
      return response;
    } catch (error) {
      return errorResponse(error, headers);
    }
  };
}
