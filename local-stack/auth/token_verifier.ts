import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTPayload, jwtVerify } from "jose";

/** Why a token was refused; names follow supabase/realtime `jwt_verification.ex`. */
export type TokenFailure =
  | { readonly kind: "expired"; readonly secondsAgo: number }
  | { readonly kind: "malformed" }
  | { readonly kind: "signature_error" };

/** The outcome of verifying a bearer token. */
export type TokenCheck =
  | { readonly ok: true; readonly claims: JWTPayload & Record<string, unknown> }
  | { readonly ok: false; readonly failure: TokenFailure };

/**
 * Verifies a project JWT the way the platform's services do: HS256 with the
 * project's JWT secret, or ES256/RS256 with the project's JWKS (chosen by the
 * token's `alg`, as supabase/cli's edge-runtime `verifyHybridJWT`). Expiry is
 * checked after the signature, so an expired token reports how long ago.
 */
export class TokenVerifier {
  private readonly secret: Uint8Array;
  private readonly keys: ReturnType<typeof createLocalJWKSet>;

  constructor(jwtSecret: string, jwks: JSONWebKeySet) {
    this.secret = new TextEncoder().encode(jwtSecret);
    this.keys = createLocalJWKSet(jwks);
  }

  /** Verifies `token`; never throws. `now` in seconds since the epoch. */
  async verify(token: string, now = Math.floor(Date.now() / 1000)): Promise<TokenCheck> {
    const alg = headerAlg(token);
    if (!alg) return { ok: false, failure: { kind: "malformed" } };
    try {
      const { payload } = alg === "HS256"
        ? await jwtVerify(token, this.secret, { algorithms: ["HS256"], currentDate: at(now) })
        : await jwtVerify(token, this.keys, {
          algorithms: ["ES256", "RS256"],
          currentDate: at(now),
        });
      return { ok: true, claims: payload as JWTPayload & Record<string, unknown> };
    } catch (error) {
      if (error instanceof errors.JWTExpired) {
        const exp = Number(error.payload.exp);
        return { ok: false, failure: { kind: "expired", secondsAgo: Math.max(0, now - exp) } };
      }
      if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
        return { ok: false, failure: { kind: "malformed" } };
      }
      return { ok: false, failure: { kind: "signature_error" } };
    }
  }
}

function at(seconds: number): Date {
  return new Date(seconds * 1000);
}

function headerAlg(token: string): string | undefined {
  const [header, payload, signature] = token.split(".");
  if (!header || !payload || signature === undefined) return undefined;
  try {
    const decoded = JSON.parse(new TextDecoder().decode(base64UrlDecode(header)));
    return typeof decoded?.alg === "string" ? decoded.alg : undefined;
  } catch {
    return undefined;
  }
}

function base64UrlDecode(text: string): Uint8Array {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}
