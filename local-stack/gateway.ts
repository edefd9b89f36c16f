import type { JSONWebKeySet } from "jose";
import type { GoTrue } from "./auth/gotrue.ts";
import { authPathNeedsApiKey, hasApiKey, missingApiKeyResponse } from "./auth_api_key.ts";
import { TokenVerifier } from "./auth/token_verifier.ts";
import {
  type EdgeRuntimeLimits,
  HOSTED_FREE_LIMITS,
  idleTimeoutResponse,
  workerLimitResponse,
} from "./edge_runtime_limits.ts";
import { CpuTimeMeter } from "./functions/cpu_time_meter.ts";
import type { FunctionProcess } from "./functions/function_process.ts";
import { legacyKeyFor, LOCAL_JWT_SECRET } from "./keys.ts";
import type { RealtimeServer } from "./realtime/realtime_server.ts";

/** Options of the API gateway. */
export interface GatewayOptions {
  /** Port on 127.0.0.1. @default 54321 */
  readonly port: number;
  /**
   * Verifies JWTs (HS256 secret or the JWKS) where a function has `verify_jwt = true`.
   * @default a verifier of `jwtSecret` and `jwks`
   */
  readonly verifier?: TokenVerifier;
  /** HS256 secret, when no `verifier` is given. @default LOCAL_JWT_SECRET */
  readonly jwtSecret?: string;
  /** Public keys, served at /auth/v1/.well-known/jwks.json. */
  readonly jwks: JSONWebKeySet;
  /** Running functions by name. */
  readonly functions: ReadonlyMap<string, FunctionProcess>;
  /** GoTrue emulation served under /auth/v1 (absent: 404). */
  readonly auth?: GoTrue;
  /** Realtime emulation served at /realtime/v1/websocket (absent: 404). */
  readonly realtime?: RealtimeServer;
  /** Edge Runtime limits per function request. @default HOSTED_FREE_LIMITS */
  readonly limits?: EdgeRuntimeLimits;
}

const HOP_BY_HOP = ["connection", "keep-alive", "transfer-encoding", "upgrade", "host"];

function gatewayError(status: number, code: string, message: string): Response {
  // `msg` is what Supabase's gateway answers; `error` is the project's own shape.
  return Response.json({ msg: message, error: { code, message } }, { status });
}

/**
 * The `Authorization` a request carries past the gateway, as the Supabase CLI's
 * API proxy sets it (supabase/cli `packages/stack/src/ApiProxy.ts`,
 * `transformAuthorization`): a bearer that is not an `sb_` key is kept;
 * otherwise an `apikey` of the publishable or secret key becomes the anon or
 * service-role JWT, and any other `apikey` becomes the authorization itself.
 */
export function forwardedAuthorization(headers: Headers): string | null {
  const authorization = headers.get("authorization");
  if (authorization !== null && !authorization.startsWith("Bearer sb_")) return authorization;
  const apikey = headers.get("apikey");
  if (apikey === null || apikey === "") return authorization;
  const legacy = legacyKeyFor(apikey);
  return legacy === apikey ? apikey : `Bearer ${legacy}`;
}

/**
 * CORS of the API gateway for browser clients of /auth/v1, as Kong's cors plugin
 * in `supabase start` answers: any origin, the requested headers reflected
 * (supabase-js sends `apikey`, `x-client-info`, `x-supabase-api-version`).
 */
function cors(request: Request): Record<string, string> {
  return {
    "access-control-allow-origin": "*",
    "access-control-allow-methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
    "access-control-allow-headers": request.headers.get("access-control-request-headers") ??
      "authorization, content-type, apikey, x-client-info, x-supabase-api-version",
    "access-control-max-age": "86400",
  };
}

/**
 * The body to forward: `null` when the incoming request carries none (no
 * Transfer-Encoding, no Content-Length or a Content-Length of 0, per RFC 9112
 * §6.3 a request without either has no body), as hosted's gateway forwards a
 * bodiless request bodiless. Deno's `request.body` is a stream even then, and
 * forwarding it made upstream see `Transfer-Encoding: chunked`: a route that
 * takes "no body" answered 415 through the gateway and 200 direct.
 */
export function forwardedBody(request: Request): ReadableStream<Uint8Array> | null {
  const length = request.headers.get("content-length");
  const bodiless = !request.headers.has("transfer-encoding") &&
    (length === null || Number(length) === 0);
  return bodiless ? null : request.body;
}

async function hasValidJwt(authorization: string | null, verifier: TokenVerifier) {
  const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? "");
  return match ? (await verifier.verify(match[1]!)).ok : false;
}

/**
 * Calls a function's process under the Edge Runtime limits: no response head
 * within `requestIdleTimeoutMs` answers 504; a request still running (body
 * included) after `wallClockMs`, or charged `cpuTimeMs` of CPU by `meter`, is
 * cut off: 546 WORKER_LIMIT before the head, a truncated body after it;
 * `onCpuTimeLimit` runs when the CPU limit cut it.
 */
async function callWithinLimits(
  url: string,
  init: RequestInit,
  limits: EdgeRuntimeLimits,
  meter: CpuTimeMeter | undefined,
  onCpuTimeLimit: () => void,
) {
  const controller = new AbortController();
  let hit: "wall_clock" | "idle" | "cpu_time" | undefined;
  // However the request ends (body complete, failed, cancelled by the client, or cut
  // off by a limit), its CPU ticket closes and its timers stop: a ticket left open
  // would keep charging later CPU to it until the meter killed the process.
  const finish = () => {
    clearTimeout(wallClock);
    clearTimeout(idle);
    cpu?.end();
  };
  const cpu = meter?.begin(() => {
    hit ??= "cpu_time";
    onCpuTimeLimit();
    controller.abort();
  });
  const wallClock = setTimeout(() => {
    hit ??= "wall_clock";
    finish();
    controller.abort();
  }, limits.wallClockMs);
  const idle = setTimeout(() => {
    hit ??= "idle";
    controller.abort();
  }, limits.requestIdleTimeoutMs);
  try {
    const upstream = await fetch(url, { ...init, signal: controller.signal });
    clearTimeout(idle);
    if (!upstream.body) {
      finish();
      return new Response(null, upstream);
    }
    const body = upstream.body.pipeThrough(new TransformStream({ flush: finish, cancel: finish }));
    return new Response(body, upstream);
  } catch (error) {
    finish();
    if (hit === "wall_clock" || hit === "cpu_time") return workerLimitResponse();
    if (hit === "idle") return idleTimeoutResponse();
    throw error;
  }
}

/**
 * The local stand-in for Supabase's API gateway: `/functions/v1/<name>/<rest>`
 * for every method (verify_jwt per function, new API keys mapped as the CLI's
 * proxy does, Edge Runtime limits), `/auth/v1/*` (JWKS and the GoTrue subset;
 * an `apikey` required as hosted requires it, see auth_api_key.ts),
 * and the Realtime websocket at `/realtime/v1/websocket`. Functions get the path
 * the edge runtime would give them (`/<name>/<rest>`).
 */
export function startGateway(options: GatewayOptions): Deno.HttpServer<Deno.NetAddr> {
  const limits = options.limits ?? HOSTED_FREE_LIMITS;
  const meters = new Map<FunctionProcess, CpuTimeMeter>();
  const meterOf = (target: FunctionProcess) => {
    if (!limits.cpuTimeMs) return undefined;
    let meter = meters.get(target);
    if (!meter) {
      meter = new CpuTimeMeter(() => target.pid, limits.cpuTimeMs);
      meters.set(target, meter);
    }
    return meter;
  };
  /** Processes being restarted after a request reached the CPU-time limit. */
  const cpuRestarts = new Map<FunctionProcess, Promise<void>>();
  const restartForCpuTime = (name: string, target: FunctionProcess) => {
    if (cpuRestarts.has(target)) return;
    console.error(`[gateway] ${name} reached its CPU time limit: restarting it`);
    cpuRestarts.set(
      target,
      // SIGKILL: a process spinning in JavaScript does not act on SIGTERM until it
      // yields; the runtime terminates the isolate's execution at once.
      target.restart("SIGKILL").catch((cause) =>
        console.error(`[gateway] ${name} restart failed:`, cause)
      )
        .finally(() => cpuRestarts.delete(target)),
    );
  };
  const verifier = options.verifier ??
    new TokenVerifier(options.jwtSecret ?? LOCAL_JWT_SECRET, options.jwks);
  return Deno.serve({
    hostname: "127.0.0.1",
    port: options.port,
    onListen: () => {},
  }, async (request) => {
    const url = new URL(request.url);
    if (url.pathname === "/auth/v1/.well-known/jwks.json" || url.pathname === "/auth/v1/jwks") {
      return Response.json(options.jwks);
    }
    if (url.pathname.startsWith("/auth/v1/") && options.auth) {
      if (request.method === "OPTIONS") {
        return new Response(null, { status: 204, headers: cors(request) });
      }
      const response = authPathNeedsApiKey(url) && !hasApiKey(request, url)
        ? missingApiKeyResponse()
        : await options.auth.handle(request, url.pathname.slice("/auth/v1".length));
      for (const [name, value] of Object.entries(cors(request))) response.headers.set(name, value);
      return response;
    }
    if (url.pathname === "/realtime/v1/websocket" && options.realtime) {
      return await options.realtime.handleUpgrade(request);
    }
    const match = /^\/functions\/v1\/([^/?#]+)(\/.*)?$/.exec(url.pathname);
    if (!match) return gatewayError(404, "not_found", "No route matches this path");
    const name = decodeURIComponent(match[1]!);
    const target = options.functions.get(name);
    if (!target) return gatewayError(404, "function_not_found", "Requested function was not found");
    const headers = new Headers(request.headers);
    HOP_BY_HOP.forEach((header) => headers.delete(header));
    const authorization = forwardedAuthorization(request.headers);
    if (authorization !== null) headers.set("authorization", authorization);
    if (
      target.definition.verifyJwt && request.method !== "OPTIONS" &&
      !(await hasValidJwt(authorization, verifier))
    ) {
      return gatewayError(401, "invalid_jwt", "Invalid JWT");
    }
    // As hosted starts a new isolate for new requests: they wait for the fresh process.
    await cpuRestarts.get(target);
    try {
      return await callWithinLimits(
        `${target.origin}/${name}${match[2] ?? ""}${url.search}`,
        {
          method: request.method,
          headers,
          body: forwardedBody(request),
          redirect: "manual",
        },
        limits,
        meterOf(target),
        () => restartForCpuTime(name, target),
      );
    } catch (error) {
      // Other requests in flight on a process stopped for CPU time: the same answer.
      if (cpuRestarts.has(target)) return workerLimitResponse();
      if (await target.diedOfMemoryLimitWithin()) {
        console.error(`[gateway] ${name} reached its memory limit: restarting it`);
        target.restart().catch((cause) =>
          console.error(`[gateway] ${name} restart failed:`, cause)
        );
        return workerLimitResponse();
      }
      console.error(`[gateway] ${name} is unreachable:`, error);
      const response = gatewayError(503, "function_unavailable", `Function ${name} is not running`);
      response.headers.set("retry-after", "1");
      return response;
    }
  });
}
