import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from "jose";
import type { FunctionProcess } from "./functions/function_process.ts";

/** Options of the functions gateway. */
export interface GatewayOptions {
  /** Port on 127.0.0.1. @default 54321 */
  readonly port: number;
  /** Secret that verifies HS256 JWTs where a function has `verify_jwt = true`. */
  readonly jwtSecret: string;
  /** Public keys that verify asymmetric (ES256) JWTs; also served at /auth/v1/.well-known/jwks.json. */
  readonly jwks: JSONWebKeySet;
  /** Running functions by name. */
  readonly functions: ReadonlyMap<string, FunctionProcess>;
}

const HOP_BY_HOP = ["connection", "keep-alive", "transfer-encoding", "upgrade", "host"];

function gatewayError(status: number, code: string, message: string): Response {
  // `msg` is what Supabase's gateway answers; `error` is the project's own shape.
  return Response.json({ msg: message, error: { code, message } }, { status });
}

type KeyResolver = ReturnType<typeof createLocalJWKSet>;

async function hasValidJwt(
  request: Request,
  secret: Uint8Array,
  keys: KeyResolver,
): Promise<boolean> {
  const header = request.headers.get("authorization") ?? "";
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) return false;
  try {
    await jwtVerify(match[1]!, secret, { algorithms: ["HS256"] });
    return true;
  } catch {
    try {
      await jwtVerify(match[1]!, keys, { algorithms: ["ES256", "RS256"] });
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * The local stand-in for Supabase's functions gateway: serves
 * `/functions/v1/<name>/<rest>` for every method, checks the JWT (HS256 with
 * the secret, or ES256 with the JWKS) where `verify_jwt` is on, serves the JWKS
 * at `/auth/v1/.well-known/jwks.json`, and forwards the request to the function's process with
 * the path the edge runtime would give it (`/<name>/<rest>`).
 */
export function startGateway(options: GatewayOptions): Deno.HttpServer<Deno.NetAddr> {
  const secret = new TextEncoder().encode(options.jwtSecret);
  const keys = createLocalJWKSet(options.jwks);
  return Deno.serve({
    hostname: "127.0.0.1",
    port: options.port,
    onListen: () => {},
  }, async (request) => {
    const url = new URL(request.url);
    if (url.pathname === "/auth/v1/.well-known/jwks.json" || url.pathname === "/auth/v1/jwks") {
      return Response.json(options.jwks);
    }
    const match = /^\/functions\/v1\/([^/?#]+)(\/.*)?$/.exec(url.pathname);
    if (!match) return gatewayError(404, "not_found", "Only /functions/v1/<name> is served here");
    const name = decodeURIComponent(match[1]!);
    const target = options.functions.get(name);
    if (!target) return gatewayError(404, "function_not_found", "Requested function was not found");
    if (
      target.definition.verifyJwt && request.method !== "OPTIONS" &&
      !(await hasValidJwt(request, secret, keys))
    ) {
      return gatewayError(401, "invalid_jwt", "Invalid JWT");
    }
    const headers = new Headers(request.headers);
    HOP_BY_HOP.forEach((header) => headers.delete(header));
    try {
      const upstream = await fetch(`${target.origin}/${name}${match[2] ?? ""}${url.search}`, {
        method: request.method,
        headers,
        body: request.body,
        redirect: "manual",
      });
      return new Response(upstream.body, upstream);
    } catch (error) {
      console.error(`[gateway] ${name} is unreachable:`, error);
      return gatewayError(503, "function_unavailable", `Function ${name} is not running`);
    }
  });
}
