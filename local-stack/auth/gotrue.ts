import type { Sql } from "postgres";
import { z } from "zod";
import { signAccessToken } from "./access_token.ts";
import {
  GoTrueError,
  goTrueErrorResponse,
  GoTrueOAuthError,
  versionHeaders,
} from "./gotrue_error.ts";
import { type LogoutScope, type RefreshTokenRecord, SessionStore } from "./session_store.ts";
import type { TokenVerifier } from "./token_verifier.ts";
import { isBanned, userJson, type UserRecord } from "./user_record.ts";

/** Settings of the local GoTrue. */
export interface GoTrueOptions {
  /** Connection with rights on the auth schema (the stack's own). */
  readonly sql: Sql;
  /** Verifies bearer tokens on /user and /logout. */
  readonly verifier: TokenVerifier;
  /** HS256 secret that signs access tokens. */
  readonly jwtSecret: string;
  /** `iss` of access tokens: `<api url>/auth/v1`. */
  readonly issuer: string;
  /** Access token lifetime in seconds (`[auth] jwt_expiry`). @default 3600 */
  readonly jwtExpirySeconds?: number;
  /**
   * How long a rotated refresh token may still be presented (GoTrue's
   * `GOTRUE_SECURITY_REFRESH_TOKEN_REUSE_INTERVAL`, seconds). @default 10
   */
  readonly refreshTokenReuseIntervalSeconds?: number;
}

const INVALID_LOGIN = "Invalid login credentials";
const passwordGrant = z.object({
  email: z.string().optional(),
  phone: z.string().optional(),
  password: z.string().optional(),
});
const refreshGrant = z.object({ refresh_token: z.string().optional() });

/**
 * The subset of GoTrue (supabase/auth) that supabase-js needs for password
 * sign-in, refresh and sign-out, served under `/auth/v1`:
 * `POST /token?grant_type=password|refresh_token` (`internal/api/token.go`,
 * `internal/tokens/service.go` `RefreshTokenGrant`), `GET /user`
 * (`internal/api/user.go`) and `POST /logout` (`internal/api/logout.go`), with
 * the same bodies, statuses and error codes.
 */
export class GoTrue {
  private readonly store: SessionStore;

  constructor(private readonly options: GoTrueOptions) {
    this.store = new SessionStore(options.sql);
  }

  /** Answers a request under `/auth/v1`; `path` is the part after it (e.g. `/token`). */
  async handle(request: Request, path: string): Promise<Response> {
    try {
      if (path === "/token" && request.method === "POST") return await this.token(request);
      if (path === "/user" && request.method === "GET") return await this.user(request);
      if (path === "/logout" && request.method === "POST") return await this.logout(request);
      throw new GoTrueError(404, "not_found", "Not Found");
    } catch (error) {
      if (error instanceof GoTrueError || error instanceof GoTrueOAuthError) {
        return goTrueErrorResponse(request, error);
      }
      console.error("[auth] unexpected failure:", error);
      return goTrueErrorResponse(
        request,
        new GoTrueError(500, "unexpected_failure", "Unexpected failure, please check server logs"),
      );
    }
  }

  private async token(request: Request): Promise<Response> {
    const grantType = new URL(request.url).searchParams.get("grant_type");
    if (grantType === "password") return await this.passwordGrant(request);
    if (grantType === "refresh_token") return await this.refreshTokenGrant(request);
    throw new GoTrueError(400, "invalid_credentials", "unsupported_grant_type");
  }

  private async passwordGrant(request: Request): Promise<Response> {
    const params = passwordGrant.safeParse(await jsonBody(request));
    if (!params.success) throw badJson("invalid parameter types");
    const { email, phone, password = "" } = params.data;
    if (email && phone) {
      throw new GoTrueError(
        400,
        "validation_failed",
        "Only an email address or phone number should be provided on login.",
      );
    }
    if (phone) throw new GoTrueError(422, "phone_provider_disabled", "Phone logins are disabled");
    if (!email) throw new GoTrueError(400, "validation_failed", "missing email or phone");
    const user = await this.store.userByEmail(email, "authenticated");
    if (!user) throw new GoTrueError(400, "invalid_credentials", INVALID_LOGIN);
    if (isBanned(user)) throw new GoTrueError(400, "user_banned", "User is banned");
    if (!(await this.store.passwordMatches(user.id, password))) {
      throw new GoTrueError(400, "invalid_credentials", INVALID_LOGIN);
    }
    if (!user.email_confirmed_at) {
      throw new GoTrueError(400, "email_not_confirmed", "Email not confirmed");
    }
    const session = await this.store.startSession(user.id, request.headers.get("user-agent"));
    const signedIn = (await this.store.userById(user.id)) ?? user;
    return await this.tokenResponse(request, signedIn, session.sessionId, session.refreshToken, {
      authenticatedAt: seconds(session.createdAt),
    });
  }

  private async refreshTokenGrant(request: Request): Promise<Response> {
    const params = refreshGrant.safeParse(await jsonBody(request));
    if (!params.success) throw badJson("invalid parameter types");
    const presented = params.data.refresh_token;
    if (!presented) throw new GoTrueOAuthError("invalid_request", "refresh_token required");
    const token = await this.store.refreshToken(presented);
    if (!token) {
      throw new GoTrueError(
        400,
        "refresh_token_not_found",
        "Invalid Refresh Token: Refresh Token Not Found",
      );
    }
    const user = await this.store.userById(token.user_id);
    if (!user) {
      throw new GoTrueError(
        400,
        "refresh_token_not_found",
        "Invalid Refresh Token: Refresh Token Not Found",
      );
    }
    if (isBanned(user)) {
      throw new GoTrueError(400, "user_banned", "Invalid Refresh Token: User Banned");
    }
    if (!token.session_id || !token.session_exists) {
      throw new GoTrueError(
        400,
        "session_not_found",
        "Invalid Refresh Token: No Valid Session Found",
      );
    }
    if (token.not_after && token.not_after <= new Date()) {
      throw new GoTrueError(400, "session_expired", "Invalid Refresh Token: Session Expired");
    }
    const next = token.revoked ? await this.reused(token) : await this.store.rotate(token) ??
      await this.reused(token);
    return await this.tokenResponse(request, user, token.session_id, next, {
      authenticatedAt: seconds(token.session_created_at ?? new Date()),
    });
  }

  /**
   * A revoked token presented again: within the reuse interval the session's
   * active token is returned (concurrent refreshes), otherwise the whole session
   * is revoked, as `RefreshTokenGrant` does.
   */
  private async reused(token: RefreshTokenRecord): Promise<string> {
    const interval = (this.options.refreshTokenReuseIntervalSeconds ?? 10) * 1000;
    const fresh = Date.now() - token.updated_at.getTime() < interval;
    const active = fresh ? await this.store.activeToken(token.session_id!) : undefined;
    if (active) return active;
    await this.store.revokeSessionTokens(token.session_id!);
    throw new GoTrueError(400, "refresh_token_already_used", "Invalid Refresh Token: Already Used");
  }

  private async user(request: Request): Promise<Response> {
    const { user } = await this.authenticate(request);
    return Response.json(userJson(user), { headers: versionHeaders(request) });
  }

  private async logout(request: Request): Promise<Response> {
    const scope = new URL(request.url).searchParams.get("scope") ?? "";
    if (!["", "global", "local", "others"].includes(scope)) {
      throw new GoTrueError(400, "validation_failed", `Unsupported logout scope "${scope}"`);
    }
    const { user, sessionId } = await this.authenticate(request);
    await this.store.logout(user.id, sessionId, (scope || "global") as LogoutScope);
    return new Response(null, { status: 204, headers: versionHeaders(request) });
  }

  /** `requireAuthentication` + `maybeLoadUserOrSession` of `internal/api/auth.go`. */
  private async authenticate(request: Request): Promise<{ user: UserRecord; sessionId?: string }> {
    const match = /^Bearer\s+(\S+)$/i.exec(request.headers.get("authorization") ?? "");
    if (!match) {
      throw new GoTrueError(401, "no_authorization", "This endpoint requires a valid Bearer token");
    }
    const check = await this.options.verifier.verify(match[1]!);
    if (!check.ok) {
      const reason = check.failure.kind === "expired"
        ? "token has invalid claims: token is expired"
        : check.failure.kind === "malformed"
        ? "token is malformed"
        : "signature is invalid";
      throw new GoTrueError(
        403,
        "bad_jwt",
        `invalid JWT: unable to parse or verify signature, ${reason}`,
      );
    }
    const sub = check.claims.sub;
    if (!sub) throw new GoTrueError(403, "bad_jwt", "invalid claim: missing sub claim");
    if (!z.uuid().safeParse(sub).success) {
      throw new GoTrueError(400, "bad_jwt", "invalid claim: sub claim must be a UUID");
    }
    const user = await this.store.userById(sub);
    if (!user) {
      throw new GoTrueError(403, "user_not_found", "User from sub claim in JWT does not exist");
    }
    const sessionId = check.claims.session_id;
    if (typeof sessionId === "string" && sessionId !== "") {
      if (!z.uuid().safeParse(sessionId).success) {
        throw new GoTrueError(403, "bad_jwt", "invalid claim: session_id claim must be a UUID");
      }
      if (!(await this.store.sessionExists(sessionId))) {
        throw new GoTrueError(
          403,
          "session_not_found",
          "Session from session_id claim in JWT does not exist",
        );
      }
      return { user, sessionId };
    }
    return { user };
  }

  private async tokenResponse(
    request: Request,
    user: UserRecord,
    sessionId: string,
    refreshToken: string,
    session: { authenticatedAt: number },
  ): Promise<Response> {
    const expiresIn = this.options.jwtExpirySeconds ?? 3600;
    const { token, expiresAt } = await signAccessToken({
      userId: user.id,
      aud: user.aud ?? "authenticated",
      role: user.role ?? "authenticated",
      email: user.email ?? "",
      phone: user.phone ?? "",
      appMetadata: user.raw_app_meta_data ?? {},
      userMetadata: user.raw_user_meta_data ?? {},
      isAnonymous: user.is_anonymous,
      sessionId,
      authenticatedAt: session.authenticatedAt,
    }, {
      jwtSecret: this.options.jwtSecret,
      issuer: this.options.issuer,
      expirySeconds: expiresIn,
    });
    return Response.json({
      access_token: token,
      token_type: "bearer",
      expires_in: expiresIn,
      expires_at: expiresAt,
      refresh_token: refreshToken,
      user: userJson(user),
    }, { headers: versionHeaders(request) });
  }
}

async function jsonBody(request: Request): Promise<unknown> {
  const text = await request.text();
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch (error) {
    throw badJson(error instanceof Error ? error.message : String(error));
  }
}

function badJson(detail: string): GoTrueError {
  return new GoTrueError(400, "bad_json", `Could not parse request body as JSON: ${detail}`);
}

function seconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}
