/**
 * `nightly-refresh`: the nightly refresh orchestrator. pg_cron calls it through
 * pg_net every few minutes with a dedicated secret (`verify_jwt = false`):
 *
 *   POST /functions/v1/nightly-refresh  {"task": "tick" | "overdue-check"}
 *   GET  /functions/v1/nightly-refresh/status[?organization_id=<uuid>]  (service role, org admins)
 *
 * See shared/nightly/ and the README section "Nightly refresh".
 */
import { createDatabaseClient } from "../../../shared/db/client.ts";
import { readFunctionEnv } from "../../../shared/env.ts";
import { projectTokenVerifier, readFunctionSettings } from "../../../shared/function_settings.ts";
import { matchRoute } from "../../../shared/cache_admin/router.ts";
import { errorResponse } from "../../../shared/http/error_response.ts";
import { secretsOf } from "../../../shared/nightly/notices/redact.ts";
import { readNightlySettings } from "../../../shared/nightly/settings.ts";
import { statusRoute } from "../../../shared/nightly/status_route.ts";
import { tickRoute } from "../../../shared/nightly/tick_route.ts";
import { systemClock } from "../../../shared/cache/clock.ts";

const env = readFunctionEnv();
const functionSettings = readFunctionSettings();
const settings = readNightlySettings();
// One connection per processing lane, plus one for claims, ticks and notices.
const sql = createDatabaseClient(env.SUPABASE_DB_URL, {
  maxConnections: settings.concurrency + 1,
});
const routes = [
  tickRoute({
    sql,
    settings,
    clock: systemClock,
    secrets: secretsOf([
      env.SUPABASE_SERVICE_ROLE_KEY,
      env.SUPABASE_DB_URL,
      functionSettings.NIGHTSHIFT_JWT_SECRET,
    ]),
  }),
  statusRoute({
    sql,
    settings,
    clock: systemClock,
    verifyToken: projectTokenVerifier(functionSettings, env.SUPABASE_URL),
  }),
];

Deno.serve(async (request) => {
  try {
    const url = new URL(request.url);
    return await matchRoute(routes, "nightly-refresh", url, request.method).handle(request, url);
  } catch (error) {
    return errorResponse(error);
  }
});
