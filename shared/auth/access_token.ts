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

/** Where the keys that verify user access tokens come from. */
export interface AccessTokenKeys {
  /**
   * Public keys for asymmetric tokens (ES256/RS256): a key set (Supabase passes
   * it as `SUPABASE_JWKS`) or the URL of `/auth/v1/.well-known/jwks.json`.
   */
  readonly jwks?: JSONWebKeySet | URL;
  /** The project's legacy shared JWT secret, for HS256 tokens. */
  readonly legacySecret?: string;
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

/**
 * Creates a verifier accepting HS256 tokens signed with the legacy secret and
 * asymmetric tokens whose `kid` is in the JWKS (a remote JWKS is fetched once
 * and cached by jose, refreshed when an unknown `kid` shows up).
 */
export function createAccessTokenVerifier(keys: AccessTokenKeys): AccessTokenVerifier {
  const secret = keys.legacySecret ? new TextEncoder().encode(keys.legacySecret) : undefined;
  let keySet: JWTVerifyGetKey | undefined;
  if (keys.jwks instanceof URL) keySet = createRemoteJWKSet(keys.jwks);
  else if (keys.jwks) keySet = createLocalJWKSet(keys.jwks);

  return async (token) => {
    let algorithm: string | undefined;
    try {
      algorithm = decodeProtectedHeader(token).alg;
    } catch {
      throw new UnauthorizedError("Invalid token: not a JWT");
    }
    let payload: unknown;
    try {
      if (algorithm === "HS256" && secret) {
        payload = (await jwtVerify(token, secret, { algorithms: ["HS256"] })).payload;
      } else if (algorithm !== "HS256" && keySet) {
        payload = (await jwtVerify(token, keySet, { algorithms: ["ES256", "RS256"] })).payload;
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
}

/** Reads the token of an `Authorization: Bearer <token>` header; throws `UnauthorizedError`. */
export function bearerToken(request: Request): string {
  const match = /^Bearer\s+(\S+)$/i.exec(request.headers.get("authorization") ?? "");
  if (!match) {
    throw new UnauthorizedError("Missing bearer token: send Authorization: Bearer <access token>");
  }
  return match[1]!;
}
