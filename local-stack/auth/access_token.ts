import { SignJWT } from "jose";

/** The user and session an access token is issued for. */
export interface AccessTokenSubject {
  readonly userId: string;
  readonly aud: string;
  readonly role: string;
  readonly email: string;
  readonly phone: string;
  readonly appMetadata: Record<string, unknown>;
  readonly userMetadata: Record<string, unknown>;
  readonly isAnonymous: boolean;
  readonly sessionId: string;
  /** When the session authenticated (seconds since the epoch), for the `amr` claim. */
  readonly authenticatedAt: number;
}

/** Signing settings of the local GoTrue. */
export interface AccessTokenSettings {
  /** HS256 secret (the project's JWT secret). */
  readonly jwtSecret: string;
  /** `iss`: `<api url>/auth/v1`, as the Supabase CLI configures GoTrue. */
  readonly issuer: string;
  /** Lifetime in seconds (`[auth] jwt_expiry`). @default 3600 */
  readonly expirySeconds: number;
}

/**
 * Signs an access token with GoTrue's claims (supabase/auth
 * `internal/tokens/service.go`, `GenerateAccessToken` / `AccessTokenClaims`):
 * sub, aud (a string: `jwt.MarshalSingleStringAsArray = false`), exp, iat, iss,
 * email, phone, app_metadata, user_metadata, role, aal, amr, session_id, is_anonymous.
 * Returns the token and its expiry (seconds since the epoch).
 */
export async function signAccessToken(
  subject: AccessTokenSubject,
  settings: AccessTokenSettings,
  now = Math.floor(Date.now() / 1000),
): Promise<{ token: string; expiresAt: number }> {
  const expiresAt = now + settings.expirySeconds;
  const token = await new SignJWT({
    email: subject.email,
    phone: subject.phone,
    app_metadata: subject.appMetadata,
    user_metadata: subject.userMetadata,
    role: subject.role,
    aal: "aal1",
    amr: [{ method: "password", timestamp: subject.authenticatedAt }],
    session_id: subject.sessionId,
    is_anonymous: subject.isAnonymous,
  })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(subject.userId)
    .setAudience(subject.aud)
    .setIssuer(settings.issuer)
    .setIssuedAt(now)
    .setExpirationTime(expiresAt)
    .sign(new TextEncoder().encode(settings.jwtSecret));
  return { token, expiresAt };
}
