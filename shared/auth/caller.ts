/**
 * Who calls a function, verified the way hosted Supabase does it, through
 * Supabase's server SDK (`@supabase/server/core`: `extractCredentials`,
 * `verifyCredentials`, its JWKS resolution and timing-safe key comparison):
 *
 * | credential                                                   | caller                   |
 * | ------------------------------------------------------------ | ------------------------ |
 * | `Authorization: Bearer <user access token>` (ES256/RS256 JWKS, or HS256 with `kid`) | `authenticated` user |
 * | `Authorization: Bearer <legacy HS256 JWT>` (no `kid`: the project's JWT secret) | the token's `role` |
 * | `apikey: sb_secret_…` (any key of `SUPABASE_SECRET_KEYS`)    | `service_role`           |
 * | `apikey: sb_publishable_…` (any of `SUPABASE_PUBLISHABLE_KEYS`) | `anon`                |
 * | `apikey: <legacy service-role / anon JWT key>`               | `service_role` / `anon`  |
 *
 * A user token wins over an `apikey` sent with it (supabase-js sends both). The
 * SDK refuses HS256 tokens without `kid` (legacy-secret tokens), so those — and
 * only those — are verified here with jose against `NIGHTSHIFT_JWT_SECRET`.
 *
 * Claims are then checked as Supabase Auth issues them (issue 13, item 8):
 * `exp` required; `role` one of `authenticated`, `anon`, `service_role`; for
 * `authenticated`: `aud` = `authenticated` and `sub` a UUID. Clock tolerance:
 * none (0 s) — `exp` and `nbf` are compared with this isolate's clock exactly,
 * as the SDK does (it passes no tolerance to jose).
 *
 * A verified token is remembered by the isolate until its `exp` (at most
 * `maxRememberMs`), so the signature is checked once per token, not per request.
 *
 * @module
 */
import { extractCredentials, verifyCredentials } from "@supabase/server/core";
import { decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from "jose";
import { LRUCache } from "lru-cache";
import { z } from "zod";
import { ServiceUnavailableError, UnauthorizedError } from "../http/errors.ts";

/** A verified caller. */
export interface Caller {
  /** Database role the caller maps to. */
  readonly role: "authenticated" | "anon" | "service_role";
  /** `auth.users.id` of a signed-in user; undefined for keys. */
  readonly userId: string | undefined;
  /** The verified claims, to pass on as `request.jwt.claims` (`{role}` for API keys). */
  readonly claims: Readonly<Record<string, unknown>>;
  /** Which credential proved it. */
  readonly via: "user-token" | "legacy-token" | "secret-key" | "publishable-key";
}

/** Where the keys come from (see `auth_settings.ts`). */
export interface CallerKeys {
  /** `SUPABASE_URL`. */
  readonly supabaseUrl: string;
  /** Public keys of user tokens (`SUPABASE_JWKS`), or the URL serving them. */
  readonly jwks: JSONWebKeySet | URL | null;
  /** The legacy HS256 JWT secret, to accept tokens without `kid` signed with it. */
  readonly legacySecret?: string | undefined;
  /** `SUPABASE_SECRET_KEYS` by name, plus the legacy service-role key. */
  readonly secretKeys: Readonly<Record<string, string>>;
  /** `SUPABASE_PUBLISHABLE_KEYS` by name, plus the legacy anon key. */
  readonly publishableKeys: Readonly<Record<string, string>>;
  /** Tokens remembered per isolate. @default 10000 */
  readonly rememberTokens?: number;
  /** Longest a verified token is remembered, in ms. @default 300000 */
  readonly maxRememberMs?: number;
  /** Milliseconds since the epoch. @default Date.now */
  readonly now?: () => number;
}

/** Verifies the credentials of a request; throws `UnauthorizedError` (401) or 503. */
export type CallerVerifier = (request: Request) => Promise<Caller>;

const userClaims = z.object({
  role: z.literal("authenticated"),
  aud: z.union([
    z.literal("authenticated"),
    z.array(z.string()).refine((list) => list.includes("authenticated")),
  ], { message: 'must be "authenticated"' }),
  sub: z.uuid({ message: "must be a UUID" }),
  exp: z.number({ message: "is required (seconds since the epoch)" }),
}).passthrough();

const keyClaims = z.object({
  role: z.enum(["anon", "service_role"], {
    message: "must be authenticated, anon or service_role",
  }),
  exp: z.number({ message: "is required (seconds since the epoch)" }),
}).passthrough();

/** Checks verified claims as Supabase Auth issues them; returns the caller. */
export function callerOfClaims(
  payload: unknown,
  via: "user-token" | "legacy-token",
): Caller {
  const role = (payload as { role?: unknown } | null)?.role;
  const schema = role === "authenticated" ? userClaims : keyClaims;
  const parsed = schema.safeParse(payload);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) =>
      `${issue.path.join(".") || "claims"} ${issue.message}`
    );
    throw new UnauthorizedError(`Invalid token: ${problems.join("; ")}`);
  }
  const claims = parsed.data as Record<string, unknown> & { role: Caller["role"]; sub?: string };
  return {
    role: claims.role,
    userId: claims.role === "authenticated" ? claims.sub : undefined,
    claims,
    via,
  };
}

function hmacKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["verify"],
  );
}

/** Turns an `AuthError` of the SDK into ours: 503 when the JWKS could not be had. */
function authFailure(error: { status: number; code: string; message: string }): Error {
  if (error.status === 503) {
    return new ServiceUnavailableError(`Authentication unavailable: ${error.message}`, {
      cause: error,
    });
  }
  if (error.status >= 500) return new Error(`Authentication misconfigured: ${error.message}`);
  return new UnauthorizedError(`Invalid credentials: ${error.message}`);
}

/** Creates the verifier of a function's callers from its keys. */
export function createCallerVerifier(keys: CallerKeys): CallerVerifier {
  const env = {
    url: keys.supabaseUrl,
    jwks: keys.jwks,
    secretKeys: { ...keys.secretKeys },
    publishableKeys: { ...keys.publishableKeys },
  };
  const secret = keys.legacySecret ? hmacKey(keys.legacySecret) : undefined;
  const now = keys.now ?? Date.now;
  const capacity = keys.rememberTokens ?? 10_000;
  const maxRememberMs = keys.maxRememberMs ?? 300_000;
  // Bounded by entries (least recently used out); each entry also carries its own end.
  const remembered = new LRUCache<string, { caller: Caller; until: number }>({ max: capacity });

  const verifyLegacyToken = async (token: string): Promise<Caller> => {
    if (!secret) {
      throw new UnauthorizedError(
        "Invalid token: HS256 tokens without kid (legacy JWT secret) are not accepted here",
      );
    }
    try {
      const { payload } = await jwtVerify(token, await secret, {
        algorithms: ["HS256"],
        currentDate: new Date(now()),
        requiredClaims: ["exp"],
      });
      return callerOfClaims(payload, "legacy-token");
    } catch (error) {
      if (error instanceof UnauthorizedError) throw error;
      throw new UnauthorizedError(`Invalid token: ${(error as Error).message}`);
    }
  };

  const verifyUserToken = async (token: string): Promise<Caller> => {
    const { data, error } = await verifyCredentials({ token, apikey: null }, {
      auth: "user",
      audience: "authenticated",
      env,
    });
    if (error) throw authFailure(error);
    return callerOfClaims(data.jwtClaims, "user-token");
  };

  const verifyToken = async (token: string): Promise<Caller> => {
    let header: { alg?: string; kid?: string };
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw new UnauthorizedError("Invalid token: not a JWT");
    }
    return header.alg === "HS256" && !header.kid
      ? await verifyLegacyToken(token)
      : await verifyUserToken(token);
  };

  const rememberedToken = async (token: string): Promise<Caller> => {
    const at = now();
    const known = remembered.get(token);
    if (known && known.until > at) return known.caller;
    if (known) remembered.delete(token);
    const caller = await verifyToken(token);
    const exp = (caller.claims.exp as number) * 1000;
    remembered.set(token, { caller, until: Math.min(exp, at + maxRememberMs) });
    return caller;
  };

  const verifyApiKey = async (apikey: string): Promise<Caller> => {
    const { data, error } = await verifyCredentials({ token: null, apikey }, {
      auth: ["secret:*", "publishable:*"],
      env,
    });
    if (error) throw authFailure(error);
    const role = data.authMode === "secret" ? "service_role" : "anon";
    return {
      role,
      userId: undefined,
      claims: { role },
      via: data.authMode === "secret" ? "secret-key" : "publishable-key",
    };
  };

  return async function verifyCaller(request: Request): Promise<Caller> {
    const { token, apikey } = extractCredentials(request);
    if (token && !token.startsWith("sb_")) return await rememberedToken(token);
    const key = apikey ?? token;
    if (key) return await verifyApiKey(key);
    throw new UnauthorizedError(
      "Missing credentials: send Authorization: Bearer <access token> or an apikey header",
    );
  };
}
