/**
 * The nightly-refresh function is public (`verify_jwt = false`): pg_cron cannot
 * mint a user JWT, so it proves itself with a dedicated secret instead.
 *
 * @module
 */
import { timingSafeEqual } from "node:crypto";
import { UnauthorizedError } from "../http/errors.ts";

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

/**
 * Throws `UnauthorizedError` unless the request carries `Authorization: Bearer
 * <secret>`. Both sides are hashed to the same length first, so the comparison
 * takes the same time whatever the token's length or how much of it matches.
 *
 * @example Accept the right secret, refuse another
 * ```ts
 * import assert from "node:assert/strict";
 * import { verifyCronSecret } from "./cron_secret.ts";
 *
 * const secret = "a-secret-of-at-least-thirty-two-characters";
 * const request = (token: string) =>
 *   new Request("http://localhost/nightly-refresh", { headers: { authorization: `Bearer ${token}` } });
 * await verifyCronSecret(request(secret), secret);
 * await assert.rejects(verifyCronSecret(request("guess"), secret));
 * ```
 */
export async function verifyCronSecret(request: Request, secret: string): Promise<void> {
  const match = /^Bearer\s+(\S+)$/i.exec(request.headers.get("authorization") ?? "");
  const [given, expected] = await Promise.all([sha256(match?.[1] ?? ""), sha256(secret)]);
  if (!match || !timingSafeEqual(given, expected)) {
    throw new UnauthorizedError(
      "Invalid cron secret: send Authorization: Bearer <NIGHTLY_CRON_SECRET>",
    );
  }
}
