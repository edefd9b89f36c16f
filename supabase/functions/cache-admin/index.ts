/**
 * `cache-admin`: invalidation, metrics, health and maintenance for
 * organization owners / admins and the service role.
 * See README "Invalidation" and "Cache metrics, health and maintenance" for routes, bodies and errors.
 */
import { readCacheAdminSettings } from "../../../shared/cache_admin/cache_admin_settings.ts";
import { auditRoute } from "../../../shared/cache_admin/audit_route.ts";
import { entriesRoute } from "../../../shared/cache_admin/entries_route.ts";
import { healthRoute } from "../../../shared/cache_admin/health_route.ts";
import { historyRoute } from "../../../shared/cache_admin/history_route.ts";
import { invalidateRoute } from "../../../shared/cache_admin/invalidate_route.ts";
import { maintenanceRoute } from "../../../shared/cache_admin/maintenance_route.ts";
import { metricsRoute } from "../../../shared/cache_admin/metrics_route.ts";
import { organizationsRoute } from "../../../shared/cache_admin/organizations_route.ts";
import { prometheusRoute } from "../../../shared/cache_admin/prometheus_route.ts";
import { seriesRoute } from "../../../shared/cache_admin/series_route.ts";
import { scheduleRoute } from "../../../shared/cache_admin/schedule_route.ts";
import { createDatabaseClient } from "../../../shared/db/client.ts";
import { readFunctionEnv } from "../../../shared/env.ts";
import { callerVerifier, readFunctionSettings } from "../../../shared/function_settings.ts";
import { createShell, serveRoutes } from "../../../shared/http/app.ts";
import { configureLogging, logger } from "../../../shared/log/logging.ts";

const env = readFunctionEnv();
const settings = readFunctionSettings();
configureLogging({ level: settings.LOG_LEVEL });
const adminSettings = readCacheAdminSettings();
const sql = createDatabaseClient(env.SUPABASE_DB_URL, { maxConnections: 3 });
const verifyCaller = callerVerifier(settings, env);

const app = createShell({
  name: "cache-admin",
  allowedOrigins: settings.CORS_ALLOWED_ORIGINS,
  log: logger("cache-admin"),
  vary: ["Authorization", "apikey"],
});
serveRoutes(app, "cache-admin", [
  invalidateRoute(sql, verifyCaller),
  metricsRoute(sql, verifyCaller),
  prometheusRoute(sql, verifyCaller),
  healthRoute(sql, verifyCaller, adminSettings),
  maintenanceRoute(sql, verifyCaller, adminSettings),
  historyRoute(sql, verifyCaller),
  scheduleRoute(sql, verifyCaller, adminSettings),
  // For the admin dashboard (dashboard/).
  organizationsRoute(sql, verifyCaller),
  seriesRoute(sql, verifyCaller),
  auditRoute(sql, verifyCaller),
  entriesRoute(sql, verifyCaller),
]);

Deno.serve(app.fetch);
