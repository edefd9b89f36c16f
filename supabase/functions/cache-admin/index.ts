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
import { type Route, serveRoutes } from "../../../shared/http/router.ts";
import { seriesRoute } from "../../../shared/cache_admin/series_route.ts";
import { scheduleRoute } from "../../../shared/cache_admin/schedule_route.ts";
import { createDatabaseClient } from "../../../shared/db/client.ts";
import { readFunctionEnv } from "../../../shared/env.ts";
import {
  corsPolicy,
  projectTokenVerifier,
  readFunctionSettings,
} from "../../../shared/function_settings.ts";

const env = readFunctionEnv();
const settings = readFunctionSettings();
const adminSettings = readCacheAdminSettings();
const sql = createDatabaseClient(env.SUPABASE_DB_URL, { maxConnections: 3 });
const verifyToken = projectTokenVerifier(settings, env.SUPABASE_URL);
const cors = corsPolicy(settings, ["GET", "POST", "OPTIONS"]);

const routes: Route[] = [
  invalidateRoute(sql, verifyToken),
  metricsRoute(sql, verifyToken),
  prometheusRoute(sql, verifyToken),
  healthRoute(sql, verifyToken, adminSettings),
  maintenanceRoute(sql, verifyToken, adminSettings),
  historyRoute(sql, verifyToken),
  scheduleRoute(sql, verifyToken, adminSettings),
  // For the admin dashboard (dashboard/).
  organizationsRoute(sql, verifyToken),
  seriesRoute(sql, verifyToken),
  auditRoute(sql, verifyToken),
  entriesRoute(sql, verifyToken),
];

Deno.serve(serveRoutes("cache-admin", routes, cors));
