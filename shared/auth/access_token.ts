import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  type JSONWebKeySet,
  jwtVerify,
  type JWTVerifyGetKey,
} from "jose";
import { z } from "zod";
import { UnauthorizedError } from "../http/errors.ts";

/** Where the keys that verify user access tokens come from, and how long verdicts are reused. */
export interface AccessTokenKeys {
  /**
   * Public keys for asymmetric tokens (ES256/RS256): a key set (Supabase passes
   * it as `SUPABASE_JWKS`) or the URL of `/auth/v1/.well-known/jwks.json`.
   */
  readonly jwks?: JSONWebKeySet | URL;
  /** The project's legacy shared JWT secret, for HS256 tokens. */
  readonly legacySecret?: string;
  /**
   * How many verified tokens an isolate remembers (each until its `exp`, at most
   * `maxRememberMs`), so repeated requests with one token skip the signature check.
   * @default 10000
   */
  readonly rememberTokens?: number;
  /** Longest a verified token is remembered. @default 300000 */
  readonly maxRememberMs?: number;
  /** Milliseconds since the epoch. @default Date.now */
  readonly now?: () => number;
}

/** The verified claims a function relies on. */
export interface AccessTokenClaims {
  /** `auth.users.id` of the caller; absent for the anon and service-role keys. */
  readonly userId: string | undefined;
  /** Database role the token maps to (`authenticated`, `anon`, `service_role`). */
  readonly role: string;
  /** Every claim, to pass on as `request.jwt.claims`. */
  readonly claims: Readonly<Record<string, unknown>>;
}

const claimsSchema = z.object({
  role: z.string().min(1),
  sub: z.uuid().optional(),
}).passthrough();

/** Verifies a bearer token against the project's keys; throws `UnauthorizedError`. */
export type AccessTokenVerifier = (token: string) => Promise<AccessTokenClaims>;

/** Imports the HS256 secret once: handing jose raw bytes would import it on every call. */
function hmacKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["verify"],
  );
}

/**
 * Creates a verifier accepting HS256 tokens signed with the legacy secret and
 * asymmetric tokens whose `kid` is in the JWKS (a remote JWKS is fetched once
 * and cached by jose, refreshed when an unknown `kid` shows up). A verified
 * token is remembered by the isolate until its expiry (bounded by
 * `maxRememberMs`), so the signature is checked once per token, not per request.
 */
export function createAccessTokenVerifier(keys: AccessTokenKeys): AccessTokenVerifier {
  const secret = keys.legacySecret ? hmacKey(keys.legacySecret) : undefined;
  let keySet: JWTVerifyGetKey | undefined;
  if (keys.jwks instanceof URL) keySet = createRemoteJWKSet(keys.jwks);
  else if (keys.jwks) keySet = createLocalJWKSet(keys.jwks);
  const now = keys.now ?? Date.now;
  const capacity = keys.rememberTokens ?? 10_000;
  const maxRememberMs = keys.maxRememberMs ?? 300_000;
  const remembered = new Map<string, { claims: AccessTokenClaims; until: number }>();

  const verify = async (token: string): Promise<AccessTokenClaims> => {
    let algorithm: string | undefined;
    try {
      algorithm = decodeProtectedHeader(token).alg;
    } catch {
      throw new UnauthorizedError("Invalid token: not a JWT");
    }
    let payload: unknown;
    try {
      if (algorithm === "HS256" && secret) {
        payload = (await jwtVerify(token, await secret, {
          algorithms: ["HS256"],
          currentDate: new Date(now()),
        })).payload;
      } else if (algorithm !== "HS256" && keySet) {
        payload = (await jwtVerify(token, keySet, {
          algorithms: ["ES256", "RS256"],
          currentDate: new Date(now()),
        })).payload;
      } else {
        throw new UnauthorizedError(
          `Invalid token: ${algorithm ?? "unknown"} tokens are not accepted here`,
        );
      }
    } catch (error) {
      if (error instanceof UnauthorizedError) throw error;
      throw new UnauthorizedError(`Invalid token: ${(error as Error).message}`);
    }
    const parsed = claimsSchema.safeParse(payload);
    if (!parsed.success) {
      throw new UnauthorizedError("Invalid token: role or sub claim is malformed");
    }
    return { userId: parsed.data.sub, role: parsed.data.role, claims: parsed.data };
  };

  return async (token) => {
    const at = now();
    const known = remembered.get(token);
    if (known && known.until > at) return known.claims;
    if (known) remembered.delete(token);
    const claims = await verify(token);
    const exp = typeof claims.claims.exp === "number" ? claims.claims.exp * 1000 : Infinity;
    if (remembered.size >= capacity) {
      const oldest = remembered.keys().next().value;
      if (oldest !== undefined) remembered.delete(oldest);
    }
    remembered.set(token, { claims, until: Math.min(exp, at + maxRememberMs) });
    return claims;
  };
}

/** Reads the token of an `Authorization: Bearer <token>` header; throws `UnauthorizedError`. */
export function bearerToken(request: Request): string {
  const match = /^Bearer\s+(\S+)$/i.exec(request.headers.get("authorization") ?? "");
  if (!match) {
    throw new UnauthorizedError("Missing bearer token: send Authorization: Bearer <access token>");
  }
  return match[1]!;
}
