import { importJWK, type JSONWebKeySet, SignJWT } from "jose";

/**
 * The Supabase CLI's well-known local JWT secret. Public knowledge: it only ever
 * protects throwaway local stacks, never a deployed project.
 */
export const LOCAL_JWT_SECRET = "super-secret-jwt-token-with-at-least-32-characters-long";

/** The Supabase CLI's well-known local anon key (HS256, role `anon`, expires 2032). */
export const LOCAL_ANON_KEY =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9.CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0";

/** The Supabase CLI's well-known local service-role key (HS256, role `service_role`, expires 2032). */
export const LOCAL_SERVICE_ROLE_KEY =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6InNlcnZpY2Vfcm9sZSIsImV4cCI6MTk4MzgxMjk5Nn0.EGIM96RAZx35lJzdJsyH-qQwv8Hdp7fsn3W0YpN81IU";

/**
 * The Supabase CLI's well-known local publishable key (supabase/cli
 * `apps/cli-go/pkg/config/apikeys.go`, `defaultPublishableKey`): not a JWT; the
 * API gateway stands it in for the anon key.
 */
export const LOCAL_PUBLISHABLE_KEY = "sb_publishable_ACJWlzQHlZjBrEguHvfOxg_3BJgxAaH";

/**
 * The Supabase CLI's well-known local secret key (same source, `defaultSecretKey`):
 * not a JWT; the API gateway stands it in for the service-role key.
 */
export const LOCAL_SECRET_KEY = "sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz";

/**
 * The legacy JWT an `apikey` stands for, as the CLI's API proxy
 * (supabase/cli `packages/stack/src/ApiProxy.ts`, `transformAuthorization`) maps
 * it: the publishable key to the anon JWT, the secret key to the service-role
 * JWT; anything else (a legacy JWT key) unchanged. Keys compared in constant time.
 */
export function legacyKeyFor(apikey: string): string {
  if (constantTimeEqual(apikey, LOCAL_PUBLISHABLE_KEY)) return LOCAL_ANON_KEY;
  if (constantTimeEqual(apikey, LOCAL_SECRET_KEY)) return LOCAL_SERVICE_ROLE_KEY;
  return apikey;
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}

/**
 * A well-known local ES256 signing key (private), playing the role of a
 * project's asymmetric JWT signing key. Like the HS256 secret above it is
 * public knowledge and only ever trusted by local stacks.
 */
export const LOCAL_SIGNING_KEY = {
  kty: "EC",
  crv: "P-256",
  d: "wi-Zu2MZ41JZiFGQS_QMuSminTVDalhpP3dtHmlGF_8",
  x: "vmWSs5objHUWu2F0qPE_3bxxLiA7jcWtO1_3uX8x-7g",
  y: "Yg-wHcxxjwJLkJ0UeG62IVrzwrAzeIJlpfbZX7Ytdng",
  kid: "nightshift-local-es256",
  alg: "ES256",
  use: "sig",
} as const;

/**
 * The public key set of the local stack, as Supabase serves it at
 * `/auth/v1/.well-known/jwks.json` and passes it to functions as `SUPABASE_JWKS`.
 */
export const LOCAL_JWKS: JSONWebKeySet = {
  keys: [{
    kty: LOCAL_SIGNING_KEY.kty,
    crv: LOCAL_SIGNING_KEY.crv,
    x: LOCAL_SIGNING_KEY.x,
    y: LOCAL_SIGNING_KEY.y,
    kid: LOCAL_SIGNING_KEY.kid,
    alg: LOCAL_SIGNING_KEY.alg,
    use: LOCAL_SIGNING_KEY.use,
  }],
};

/** What a minted user token says about its holder. */
export interface UserTokenClaims {
  /** The user's id (`auth.users.id`), becomes `sub`. */
  readonly userId: string;
  /** The user's email, if any. */
  readonly email?: string;
  /** Database role the token maps to. @default "authenticated" */
  readonly role?: "authenticated" | "anon" | "service_role";
  /** Lifetime in seconds. @default 3600 */
  readonly expiresInSeconds?: number;
  /**
   * Signing algorithm: the legacy shared secret (HS256) or the asymmetric
   * signing key (ES256, verifiable with `LOCAL_JWKS`). @default "HS256"
   */
  readonly algorithm?: "HS256" | "ES256";
  /**
   * `iss`: the Auth URL of the stack the token is for, `<api url>/auth/v1` (see
   * `localAuthIssuer`), as GoTrue sets it. @default `DEFAULT_LOCAL_AUTH_ISSUER`
   */
  readonly issuer?: string;
}

/**
 * `iss` of tokens minted without an issuer: the Auth URL of a stack on the
 * Supabase CLI's default API port. Tools that know the stack's port (from
 * supabase/config.toml) pass `localAuthIssuer(apiUrl)` instead.
 */
export const DEFAULT_LOCAL_AUTH_ISSUER = "http://127.0.0.1:54321/auth/v1";

/**
 * The `iss` GoTrue puts in the access tokens of the stack whose API gateway is
 * at `apiUrl` (e.g. `http://127.0.0.1:54321` → `http://127.0.0.1:54321/auth/v1`),
 * as the Supabase CLI configures `GOTRUE_JWT_ISSUER`.
 */
export function localAuthIssuer(apiUrl: string): string {
  return `${apiUrl.replace(/\/+$/, "")}/auth/v1`;
}

/**
 * Mints a GoTrue-shaped access token signed with the local JWT secret (or the
 * local ES256 signing key), as `supabase start` would issue to a signed-in user.
 *
 * @example
 * ```ts
 * const token = await mintUserToken({ userId: crypto.randomUUID() });
 * ```
 */
export async function mintUserToken(
  claims: UserTokenClaims,
  secret: string = LOCAL_JWT_SECRET,
): Promise<string> {
  const role = claims.role ?? "authenticated";
  const now = Math.floor(Date.now() / 1000);
  const es256 = claims.algorithm === "ES256";
  const token = new SignJWT({
    role,
    aud: "authenticated",
    email: claims.email ?? "",
    aal: "aal1",
    session_id: crypto.randomUUID(),
    is_anonymous: false,
    app_metadata: { provider: "email", providers: ["email"] },
    user_metadata: {},
  })
    .setProtectedHeader(
      es256
        ? { alg: "ES256", typ: "JWT", kid: LOCAL_SIGNING_KEY.kid }
        : { alg: "HS256", typ: "JWT" },
    )
    .setSubject(claims.userId)
    .setIssuer(claims.issuer ?? DEFAULT_LOCAL_AUTH_ISSUER)
    .setIssuedAt(now)
    .setExpirationTime(now + (claims.expiresInSeconds ?? 3600));
  return await token.sign(
    es256 ? await importJWK(LOCAL_SIGNING_KEY, "ES256") : new TextEncoder().encode(secret),
  );
}
