import type { TokenCheck } from "../auth/token_verifier.ts";

/** Verified claims that carry what Realtime requires (`role` and `exp`). */
export type ConfirmedToken =
  | { readonly ok: true; readonly claims: Record<string, unknown>; readonly exp: number }
  | {
    readonly ok: false;
    /** Reason as a join reply gives it (`"<Code>: <message>"`, RealtimeChannel.Logging). */
    readonly joinReason: string;
    /** Message as a channel shutdown gives it (system message, no code). */
    readonly message: string;
  };

/**
 * Realtime's reading of a token check (supabase/realtime
 * `lib/realtime_web/channels/auth/channels_authorization.ex` `authorize_conn`
 * and `realtime_channel.ex` `confirm_token` / the join's error clauses).
 */
export function confirmToken(check: TokenCheck): ConfirmedToken {
  if (!check.ok) {
    switch (check.failure.kind) {
      case "expired": {
        const message = `Token has expired ${check.failure.secondsAgo} seconds ago`;
        return { ok: false, joinReason: `InvalidJWTToken: ${message}`, message };
      }
      case "malformed":
        return failure("MalformedJWT", "The token provided is not a valid JWT");
      case "signature_error":
        return failure("JwtSignatureError", "Failed to validate JWT signature");
    }
  }
  const { role, exp } = check.claims;
  if (role === undefined || typeof exp !== "number") {
    return failure("InvalidJWTToken", "Fields `role` and `exp` are required in JWT");
  }
  return { ok: true, claims: check.claims, exp };
}

function failure(code: string, message: string): ConfirmedToken {
  return { ok: false, joinReason: `${code}: ${message}`, message };
}

/** HTTP answer to a refused websocket connect (supabase/realtime `user_socket.ex` `error_response/1`). */
export function connectErrorMessage(check: TokenCheck): string | undefined {
  if (check.ok) {
    const { role, exp } = check.claims;
    return role === undefined || exp === undefined
      ? "Fields `role` and `exp` are required in JWT"
      : undefined;
  }
  switch (check.failure.kind) {
    case "expired":
      return "Token has expired";
    case "malformed":
      return "The token provided is not a valid JWT";
    case "signature_error":
      return "Failed to validate JWT signature";
  }
}
