import type { JSONValue, Sql, TransactionSql } from "postgres";
import { z } from "zod";
import type { CallerVerifier } from "../auth/caller.ts";
import { formatDuration } from "../util/durations.ts";
import { readJsonBody } from "../http/json_body.ts";
import { authenticateAdmin } from "./admin_caller.ts";
import { type AdminScope, resolveAdminScope } from "./admin_scope.ts";
import type { CacheAdminSettings } from "./cache_admin_settings.ts";
import { consumeConfirmationToken, issueConfirmationToken } from "./confirmation_tokens.ts";
import {
  type ActionOutcome,
  cleanupExpired,
  cleanupUnused,
  countEntries,
  emergencyClear,
  optimizeDeletions,
  selectiveClear,
  vacuumCacheTables,
} from "./maintenance_actions.ts";
import { logMaintenance } from "./maintenance_log.ts";
import {
  checkCriteriaScope,
  type MaintenanceRequest,
  parseMaintenanceRequest,
} from "./maintenance_request.ts";
import type { Route } from "../http/route.ts";

/** What every executed action answers. */
export interface MaintenanceResponse {
  readonly action: string;
  readonly status: "done";
  readonly organization_id: string | null;
  readonly deleted_entries: number;
  readonly details: Record<string, unknown>;
  readonly duration_ms: number;
  readonly log_id: number;
}

/** What the first step of an emergency clear answers. */
export interface ConfirmationResponse {
  readonly action: "emergency_clear";
  readonly status: "confirmation_required";
  readonly organization_id: string | null;
  readonly entries: number;
  readonly confirmation_token: string;
  readonly expires_at: string;
  readonly message: string;
  readonly log_id: number;
}

/** Writes the log row of the action being run, with its duration so far. */
type LogAction = (sql: Sql | TransactionSql, outcome: ActionOutcome) => Promise<number>;

function criteriaOf(body: MaintenanceRequest): Record<string, JSONValue> {
  if (body.action !== "selective_clear") return {};
  return {
    ...(body.tags ? { tags: body.tags } : {}),
    ...(body.key_prefixes ? { key_prefixes: body.key_prefixes } : {}),
    ...(body.older_than_hours !== undefined ? { older_than_hours: body.older_than_hours } : {}),
  };
}

/**
 * `POST /cache-admin/maintenance` `{action, organization_id?, …}`: runs one
 * maintenance action on one organization (owners, admins, the service role) or on
 * every organization (the service role, without organization_id), and logs it
 * (who, what, how many entries, how long) in the same transaction. An
 * `emergency_clear` without `confirmation_token` deletes nothing and returns a
 * single-use token bound to the caller and organization; the same request with
 * the token clears.
 */
export function maintenanceRoute(
  sql: Sql,
  verifyCaller: CallerVerifier,
  settings: Pick<CacheAdminSettings, "CACHE_EMERGENCY_CLEAR_TOKEN_TTL">,
): Route {
  return {
    method: "POST",
    path: "/maintenance",
    body: "json",
    handle: async (request) => {
      const identity = await authenticateAdmin(request, verifyCaller);
      const body = parseMaintenanceRequest(await readJsonBody(request, z.unknown()));
      const scope = await resolveAdminScope(sql, identity, body.organization_id);
      if (body.action === "selective_clear") checkCriteriaScope(scope.organizationId, body);
      const startedAt = new Date();
      const started = performance.now();
      const log: LogAction = (tx, outcome) =>
        logMaintenance(tx, {
          scope,
          action: body.action,
          criteria: criteriaOf(body),
          deletedEntries: outcome.deletedEntries,
          details: outcome.details,
          durationMs: performance.now() - started,
          startedAt,
        });
      const done = (outcome: ActionOutcome, logId: number): Response =>
        Response.json(
          {
            action: body.action,
            status: "done",
            organization_id: scope.organizationId,
            deleted_entries: outcome.deletedEntries,
            details: outcome.details,
            duration_ms: Math.round(performance.now() - started),
            log_id: logId,
          } satisfies MaintenanceResponse,
        );
      switch (body.action) {
        case "cleanup_expired":
        case "cleanup_unused":
        case "selective_clear": {
          const [outcome, logId] = await sql.begin(async (tx) => {
            const outcome = body.action === "cleanup_expired"
              ? await cleanupExpired(tx, scope, startedAt)
              : body.action === "cleanup_unused"
              ? await cleanupUnused(tx, scope, startedAt)
              : await selectiveClear(tx, scope, body, startedAt);
            return [outcome, await log(tx, outcome)] as const;
          });
          return done(outcome, logId);
        }
        case "optimize": {
          const deleted = await sql.begin((tx) => optimizeDeletions(tx, scope, startedAt));
          // VACUUM works on whole tables: only when acting on every organization.
          const vacuumed = scope.organizationId === null ? await vacuumCacheTables(sql) : [];
          const outcome = { ...deleted, details: { ...deleted.details, vacuumed } };
          return done(outcome, await log(sql, outcome));
        }
        case "emergency_clear":
          return body.confirmation_token === undefined
            ? await requestConfirmation(sql, scope, settings.CACHE_EMERGENCY_CLEAR_TOKEN_TTL, log)
            : done(
              ...await sql.begin(async (tx) => {
                await consumeConfirmationToken(tx, {
                  token: body.confirmation_token!,
                  scope,
                  action: "emergency_clear",
                  now: startedAt,
                });
                const outcome = await emergencyClear(tx, scope);
                return [outcome, await log(tx, outcome)] as const;
              }),
            );
      }
    },
  };
}

async function requestConfirmation(
  sql: Sql,
  scope: AdminScope,
  ttlMs: number,
  log: LogAction,
): Promise<Response> {
  const now = new Date();
  const { token, expiresAt, entries, logId } = await sql.begin(async (tx) => {
    const entries = await countEntries(tx, scope);
    const issued = await issueConfirmationToken(tx, {
      scope,
      action: "emergency_clear",
      ttlMs,
      now,
    });
    const logId = await log(tx, {
      deletedEntries: 0,
      details: { step: "confirmation_requested", entries },
    });
    return { ...issued, entries, logId };
  });
  const where = scope.organizationId === null
    ? "every organization"
    : `organization ${scope.organizationId}`;
  return Response.json(
    {
      action: "emergency_clear",
      status: "confirmation_required",
      organization_id: scope.organizationId,
      entries,
      confirmation_token: token,
      expires_at: expiresAt.toISOString(),
      message: `Nothing deleted yet: send the same request with confirmation_token within ` +
        `${formatDuration(ttlMs)} to delete every cache entry of ${where}. The token works once.`,
      log_id: logId,
    } satisfies ConfirmationResponse,
  );
}
