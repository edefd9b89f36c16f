import type { TransactionSql } from "postgres";
import { ConflictError, ForbiddenError } from "../http/errors.ts";
import type { AdminScope } from "./admin_scope.ts";

/** A token that was never issued to this caller, for this organization and action. Code `forbidden`. */
export class ConfirmationTokenRejectedError extends ForbiddenError {
  override name = "ConfirmationTokenRejectedError";
  constructor() {
    super(
      "Invalid confirmation token: it was not issued to you for this organization and action: " +
        "request a new one",
    );
  }
}

/** A token past its lifetime. Code `conflict`. */
export class ConfirmationTokenExpiredError extends ConflictError {
  override name = "ConfirmationTokenExpiredError";
  constructor() {
    super("Confirmation token expired: request a new one", { reason: "expired" });
  }
}

/** A token already used once. Code `conflict`. */
export class ConfirmationTokenUsedError extends ConflictError {
  override name = "ConfirmationTokenUsedError";
  constructor() {
    super("Confirmation token already used: request a new one", { reason: "used" });
  }
}

/** A new token: 32 random bytes, base64url (43 characters). */
export function newConfirmationToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_")
    .replace(/=+$/, "");
}

/**
 * Issues a single-use token for `action` bound to the scope's organization and
 * caller, valid for `ttlMs`; only its SHA-256 is stored. Returns the token (show it
 * once) and its expiry.
 */
export async function issueConfirmationToken(
  tx: TransactionSql,
  options: { scope: AdminScope; action: string; ttlMs: number; now: Date },
): Promise<{ token: string; expiresAt: Date }> {
  const token = newConfirmationToken();
  const { scope } = options;
  const [row] = await tx<{ expires_at: Date }[]>`
    select cache_admin.issue_confirmation_token(
      ${token}, ${options.action}, ${scope.organizationId}::uuid, ${scope.actorUserId}::uuid,
      ${scope.actorRole}, ${options.ttlMs} * interval '1 millisecond', ${options.now}
    ) as expires_at`;
  return { token, expiresAt: row!.expires_at };
}

/**
 * Uses `token` once, in the transaction of the action it confirms (if that
 * transaction rolls back, the token stays unused). Throws
 * {@linkcode ConfirmationTokenRejectedError} for a token of another caller,
 * organization or action (or none at all), {@linkcode ConfirmationTokenExpiredError}
 * and {@linkcode ConfirmationTokenUsedError}.
 */
export async function consumeConfirmationToken(
  tx: TransactionSql,
  options: { token: string; scope: AdminScope; action: string; now: Date },
): Promise<void> {
  const { scope } = options;
  const [row] = await tx<{ outcome: "consumed" | "unknown" | "expired" | "used" }[]>`
    select cache_admin.consume_confirmation_token(
      ${options.token}, ${options.action}, ${scope.organizationId}::uuid,
      ${scope.actorUserId}::uuid, ${options.now}
    ) as outcome`;
  switch (row!.outcome) {
    case "consumed":
      return;
    case "expired":
      throw new ConfirmationTokenExpiredError();
    case "used":
      throw new ConfirmationTokenUsedError();
    default:
      throw new ConfirmationTokenRejectedError();
  }
}
