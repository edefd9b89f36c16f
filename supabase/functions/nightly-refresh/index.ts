/**
 * `nightly-refresh`: the nightly refresh orchestrator. pg_cron calls it through
 * pg_net every few minutes with a dedicated secret (`verify_jwt = false`):
 *
 *   POST /functions/v1/nightly-refresh  {"task": "tick" | "overdue-check" | "deliver-notices"}
 *   GET  /functions/v1/nightly-refresh/status[?organization_id=<uuid>]  (service role, org admins)
 *   GET  /functions/v1/nightly-refresh/runs?organization_id=<uuid>      (service role, org admins)
 *   POST /functions/v1/nightly-refresh/rebuild {"organization_id"}      (service role, org admins)
 *
 * See shared/nightly/ and the README section "Nightly refresh".
 */
import { DatabaseClock } from "../../../shared/cache/database_clock.ts";
import { createDatabaseClient } from "../../../shared/db/client.ts";
import { readFunctionEnv } from "../../../shared/env.ts";
import { callerVerifier, readFunctionSettings } from "../../../shared/function_settings.ts";
import { createShell, serveRoutes } from "../../../shared/http/app.ts";
import { errorChain } from "../../../shared/log/error_chain.ts";
import { configureLogging, logger } from "../../../shared/log/logging.ts";
import { secretsOf } from "../../../shared/nightly/notices/redact.ts";
import { readNightlySettings } from "../../../shared/nightly/settings.ts";
import { rebuildRoute } from "../../../shared/nightly/rebuild_route.ts";
import { runsRoute } from "../../../shared/nightly/runs_route.ts";
import { statusRoute } from "../../../shared/nightly/status_route.ts";
import { tickRoute } from "../../../shared/nightly/tick_route.ts";

const env = readFunctionEnv();
const functionSettings = readFunctionSettings();
configureLogging({ level: functionSettings.LOG_LEVEL });
const settings = readNightlySettings();
// One connection per processing lane, plus one for claims, ticks and notices.
const sql = createDatabaseClient(env.SUPABASE_DB_URL, {
  maxConnections: settings.NIGHTLY_CONCURRENCY + 1,
});
// Claims, visibility timeouts and run deadlines are compared across invocations: the database's clock.
const clock = new DatabaseClock({ sql });
await clock.sync().catch((error) =>
  logger("nightly-refresh").warn("clock sync failed", {
    event: "clock.sync",
    error: errorChain(error),
  })
);
const invocation = {
  sql,
  settings,
  clock,
  secrets: secretsOf([
    env.SUPABASE_SERVICE_ROLE_KEY,
    env.SUPABASE_DB_URL,
    functionSettings.NIGHTSHIFT_JWT_SECRET,
  ]),
};
const verifyCaller = callerVerifier(functionSettings, env);

// Browsers may read /status (an admin dashboard); pg_cron is not a browser.
const app = createShell({
  name: "nightly-refresh",
  allowedOrigins: functionSettings.CORS_ALLOWED_ORIGINS,
  log: logger("nightly-refresh"),
  vary: ["Authorization", "apikey"],
});
serveRoutes(app, "nightly-refresh", [
  tickRoute(invocation),
  statusRoute({ sql, settings, clock, verifyCaller }),
  // For the admin dashboard (dashboard/): run history and "rebuild now".
  runsRoute(sql, verifyCaller),
  rebuildRoute({ ...invocation, verifyCaller }),
]);

Deno.serve(app.fetch);
