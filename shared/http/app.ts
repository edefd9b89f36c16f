/**
 * The HTTP shell every function is served by (Hono, npm `hono`): request id,
 * one JSON log line per request, CORS (Hono's middleware) with a complete `Vary`,
 * strict method / content type / body / query checks per route, and one
 * `onError` where every error meets its status (`error_status.ts`).
 *
 * @module
 */
import type { Logger } from "@logtape/logtape";
import { type Context, Hono } from "hono";
import { cors } from "hono/cors";
import { errorChain } from "../log/error_chain.ts";
import { lineWriter } from "../log/log_line.ts";
import { answerOf } from "./error_status.ts";
import { MethodNotAllowedError, NotFoundError } from "./errors.ts";
import type { HeaderRecord } from "./header_record.ts";
import { checkRequestShape, type Route } from "./route.ts";

/** What a request's log line says besides method, route, status and duration. */
export interface RequestLogFields {
  organization_id?: string;
  dataset?: string;
  /** `X-Cache` of a dataset read: HIT, MISS, STALE, BYPASS. */
  cache?: string;
  /** Who called: `user`, `service_role`, `anon`, `cron`. */
  caller?: string;
}

/** Variables of the shell's Hono context. */
export interface ShellEnv {
  Variables: {
    requestId: string;
    /** Fields a handler adds to the request's log line. */
    log: RequestLogFields;
    /** True once the handler took the shell's headers ({@linkcode shellHeadersOf}). */
    headersIncluded: boolean;
  };
}

/** The context route handlers receive. */
export type ShellContext = Context<ShellEnv>;

/** How a function is served. */
export interface ShellOptions {
  /** Function name: its routes live under `/<name>` (the path the platform passes on). */
  readonly name: string;
  /** Origins allowed to call from a browser, or `["*"]`. */
  readonly allowedOrigins: readonly string[];
  readonly log: Logger;
  /**
   * Request headers the answers depend on besides `Origin` (e.g. `Authorization`
   * where the answer depends on the caller): declared in `Vary` on every answer.
   */
  readonly vary?: readonly string[];
  /** Response headers browser code may read, besides the defaults. */
  readonly exposeHeaders?: readonly string[];
}

/** Headers supabase-js sends, plus those of conditional and traced requests. */
const ALLOWED_HEADERS = [
  "authorization",
  "x-client-info",
  "apikey",
  "content-type",
  "if-none-match",
  // `no-cache` from the client package: it knows of an invalidation (see datasets_handler.ts).
  "cache-control",
  "x-request-id",
];

/**
 * The request header carrying the platform's request id: hosted Supabase's API
 * gateway sets `sb-request-id`; `x-request-id` is accepted from other proxies.
 * Either is answered back in `X-Request-Id`.
 */
const PLATFORM_REQUEST_ID = "sb-request-id";

/** The platform's request id (`sb-request-id`, else `x-request-id`) when well-formed, else a new one. */
function requestIdOf(request: Request): string {
  const given = request.headers.get(PLATFORM_REQUEST_ID) ?? request.headers.get("x-request-id");
  return given && given.length <= 255 && !/[^\w\-=]/.test(given) ? given : crypto.randomUUID();
}

/** Appends `names` to the `Vary` of `headers`, once each (case-insensitive). */
export function appendVary(headers: Headers, names: readonly string[]): void {
  const present = (headers.get("vary") ?? "").split(",").map((name) => name.trim())
    .filter(Boolean);
  const lower = new Set(present.map((name) => name.toLowerCase()));
  for (const name of names) {
    if (!lower.has(name.toLowerCase())) {
      present.push(name);
      lower.add(name.toLowerCase());
    }
  }
  if (present.length > 0) headers.set("Vary", present.join(", "));
}

/**
 * A function's Hono app with the shell around it; add routes with
 * {@linkcode serveRoutes} (or `app.get` for a hand-written hot path).
 */
export function createShell(options: ShellOptions): Hono<ShellEnv> {
  const app = new Hono<ShellEnv>({ strict: false }).basePath(`/${options.name}`);
  const anyOrigin = options.allowedOrigins.includes("*");
  const vary = [...(anyOrigin ? [] : ["Origin"]), ...(options.vary ?? [])];
  const allowedOrigin = (origin: string | undefined) =>
    origin !== undefined && options.allowedOrigins.includes(origin) ? origin : undefined;

  const exposeHeaders = [
    "etag",
    "age",
    "x-cache",
    "cache-control",
    "x-request-id",
    "retry-after",
    ...(options.exposeHeaders ?? []),
  ];
  const exposed = exposeHeaders.join(",");
  const writeLine = lineWriter(options.log);
  const fixedHeaders: HeaderRecord = {
    "Access-Control-Expose-Headers": exposed,
    ...(vary.length > 0 ? { Vary: vary.join(", ") } : {}),
  };
  shellHeaderMakers.set(app, (c) => {
    c.set("headersIncluded", true);
    const origin = anyOrigin ? "*" : allowedOrigin(c.req.header("origin"));
    return origin === undefined ? { "X-Request-Id": c.get("requestId"), ...fixedHeaders } : {
      "X-Request-Id": c.get("requestId"),
      "Access-Control-Allow-Origin": origin,
      ...fixedHeaders,
    };
  });
  // Every other answer gets its headers after the handler, on the handler's response
  // (unless the handler included them, see shellHeadersOf): a header set before (as
  // Hono's CORS middleware does for every request) makes Hono re-wrap the handler's
  // response around its body stream, work the datasets hot path does not need.
  app.use(async function accessLog(c, next) {
    const started = performance.now();
    const requestId = requestIdOf(c.req.raw);
    c.set("requestId", requestId);
    c.set("log", {});
    await next();
    const method = c.req.method;
    if (c.get("headersIncluded") !== true) {
      const headers = c.res.headers;
      headers.set("X-Request-Id", requestId);
      if (method !== "OPTIONS") {
        const origin = anyOrigin ? "*" : allowedOrigin(c.req.header("origin"));
        if (origin) headers.set("Access-Control-Allow-Origin", origin);
        headers.set("Access-Control-Expose-Headers", exposed);
        if (vary.length > 0) appendVary(headers, vary);
      }
    }
    const status = c.res.status;
    writeLine(status >= 500 ? "error" : "info", "request", {
      function: options.name,
      request_id: requestId,
      method,
      route: c.req.routePath,
      status,
      duration_ms: Math.round((performance.now() - started) * 100) / 100,
      ...c.get("log"),
    });
  });
  // Preflights: Hono's CORS middleware answers them (204, allowed methods and headers,
  // Vary: Origin and Access-Control-Request-Headers).
  app.options(
    "*",
    cors({
      origin: anyOrigin ? "*" : [...options.allowedOrigins],
      allowMethods: ["GET", "HEAD", "POST", "OPTIONS"],
      allowHeaders: ALLOWED_HEADERS,
      exposeHeaders,
      maxAge: 600,
    }),
  );
  const respond = (error: unknown, c: ShellContext): Response => {
    const answer = answerOf(error);
    if (answer.status >= 500) {
      options.log.error("{status} {code}: {cause}", {
        function: options.name,
        request_id: c.get("requestId"),
        route: c.req.routePath,
        status: answer.status,
        code: answer.code,
        cause: error instanceof Error ? error.message : String(error),
        error: errorChain(error),
      });
    }
    const headers = new Headers({ "Cache-Control": "no-store" });
    if (answer.retryAfterSeconds !== undefined) {
      headers.set("Retry-After", String(answer.retryAfterSeconds));
    }
    if (answer.allow) headers.set("Allow", answer.allow.join(", "));
    return c.json(
      {
        error: {
          code: answer.code,
          message: answer.message,
          ...(answer.details === undefined ? {} : { details: answer.details }),
        },
      },
      answer.status as 400,
      Object.fromEntries(headers),
    );
  };
  app.onError(respond);
  // Answered, not thrown: Hono calls the not-found handler outside the middleware's
  // error handling, so a throw would skip the headers set after `next()`.
  app.notFound((c) =>
    respond(new NotFoundError(`Not found: ${options.name} has no such route`), c)
  );
  responders.set(app, respond);
  return app;
}

/**
 * The headers the shell gives every answer but a preflight (`X-Request-Id`, CORS,
 * `Vary` naming `Origin` unless any origin is allowed and the shell's `vary`), for
 * a handler to put into its own `Response` for the request of `c`. The shell then
 * leaves that response as it is; a handler that does not call it gets the headers
 * added after it returns (one more pass over the built response's headers).
 */
export type ShellHeaders = (c: ShellContext) => HeaderRecord;

const shellHeaderMakers = new WeakMap<Hono<ShellEnv>, ShellHeaders>();

/** The {@linkcode ShellHeaders} of a shell made by {@linkcode createShell}. */
export function shellHeadersOf(app: Hono<ShellEnv>): ShellHeaders {
  const make = shellHeaderMakers.get(app);
  if (!make) throw new Error("shellHeadersOf: not a shell made by createShell");
  return make;
}

/** The error responder of each shell, for handlers that answer instead of throwing. */
const responders = new WeakMap<Hono<ShellEnv>, (error: unknown, c: ShellContext) => Response>();

/**
 * Adds `routes` to a shell: each path answers its method (GET also HEAD), 405
 * with `Allow` for another method, and any other path 404 naming those served.
 * Before a handler runs, the request's shape is checked strictly (`route.ts`).
 */
export function serveRoutes(
  app: Hono<ShellEnv>,
  functionName: string,
  routes: readonly Route[],
): Hono<ShellEnv> {
  const paths = [...new Set(routes.map((route) => route.path))];
  for (const route of routes) {
    app.on(route.method === "GET" ? ["GET", "HEAD"] : [route.method], route.path, async (c) => {
      checkRequestShape(c.req.raw, route);
      return await route.handle(c.req.raw, new URL(c.req.url), c);
    });
  }
  for (const path of paths) {
    const allowed = routes.filter((route) => route.path === path)
      .flatMap((route) => route.method === "GET" ? ["GET", "HEAD"] : [route.method]);
    app.all(path, () => {
      throw new MethodNotAllowedError([...allowed, "OPTIONS"]);
    });
  }
  const respond = responders.get(app)!;
  app.notFound((c) =>
    respond(new NotFoundError(`Not found: ${functionName} serves ${paths.join(", ")}`), c)
  );
  return app;
}
