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
import { serveRoutes } from "../../../shared/http/router.ts";
import { createDatabaseClient } from "../../../shared/db/client.ts";
import { readFunctionEnv } from "../../../shared/env.ts";
import {
  corsPolicy,
  projectTokenVerifier,
  readFunctionSettings,
} from "../../../shared/function_settings.ts";
import { secretsOf } from "../../../shared/nightly/notices/redact.ts";
import { readNightlySettings } from "../../../shared/nightly/settings.ts";
import { rebuildRoute } from "../../../shared/nightly/rebuild_route.ts";
import { runsRoute } from "../../../shared/nightly/runs_route.ts";
import { statusRoute } from "../../../shared/nightly/status_route.ts";
import { tickRoute } from "../../../shared/nightly/tick_route.ts";

const env = readFunctionEnv();
const functionSettings = readFunctionSettings();
const settings = readNightlySettings();
// One connection per processing lane, plus one for claims, ticks and notices.
const sql = createDatabaseClient(env.SUPABASE_DB_URL, {
  maxConnections: settings.concurrency + 1,
});
const verifyToken = projectTokenVerifier(functionSettings, env.SUPABASE_URL);
// Claims, visibility timeouts and run deadlines are compared across invocations: the database's clock.
const clock = new DatabaseClock({ sql });
await clock.sync().catch((error) =>
  console.error("nightly-refresh: clock sync failed:", error.message)
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
const routes = [
  tickRoute(invocation),
  statusRoute({ sql, settings, clock, verifyToken }),
  // For the admin dashboard (dashboard/): run history and "rebuild now".
  runsRoute(sql, verifyToken),
  rebuildRoute({ ...invocation, verifyToken }),
];

// Browsers may read /status (an admin dashboard); pg_cron is not a browser.
const cors = corsPolicy(functionSettings, ["GET", "POST", "OPTIONS"]);

Deno.serve(serveRoutes("nightly-refresh", routes, cors));
