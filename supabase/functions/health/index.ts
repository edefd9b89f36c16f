/**
 * `health`: proves the chain gateway → function → Postgres.
 * GET /functions/v1/health → 200 {status:"ok", version, database:{status, latency_ms}}
 * or 503 (with Retry-After) and status "degraded" when the database does not answer.
 */
import { createDatabaseClient } from "../../../shared/db/client.ts";
import { readFunctionEnv } from "../../../shared/env.ts";
import { readFunctionSettings } from "../../../shared/function_settings.ts";
import { createShell, serveRoutes } from "../../../shared/http/app.ts";
import { errorChain } from "../../../shared/log/error_chain.ts";
import { configureLogging, logger } from "../../../shared/log/logging.ts";
import { NIGHTSHIFT_VERSION } from "../../../shared/version.ts";

const env = readFunctionEnv();
const settings = readFunctionSettings();
configureLogging({ level: settings.LOG_LEVEL });
const log = logger("health");
const sql = createDatabaseClient(env.SUPABASE_DB_URL, { maxConnections: 1 });

/** How long the probe waits for `select 1`, in ms. */
const PROBE_TIMEOUT_MS = 2000;

async function probeDatabase(): Promise<{ status: "ok" | "unreachable"; latency_ms: number }> {
  const started = performance.now();
  try {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Database probe timed out after ${PROBE_TIMEOUT_MS} ms`)),
        PROBE_TIMEOUT_MS,
      );
    });
    await Promise.race([sql`select 1`, timeout]).finally(() => clearTimeout(timer));
    return { status: "ok", latency_ms: Math.round(performance.now() - started) };
  } catch (error) {
    log.error("database probe failed", { event: "health.probe", error: errorChain(error) });
    return { status: "unreachable", latency_ms: Math.round(performance.now() - started) };
  }
}

const app = createShell({ name: "health", allowedOrigins: settings.CORS_ALLOWED_ORIGINS, log });
serveRoutes(app, "health", [{
  method: "GET",
  path: "/",
  handle: async () => {
    const database = await probeDatabase();
    const healthy = database.status === "ok";
    return Response.json({
      status: healthy ? "ok" : "degraded",
      version: NIGHTSHIFT_VERSION,
      database,
    }, {
      status: healthy ? 200 : 503,
      headers: { "Cache-Control": "no-store", ...(healthy ? {} : { "Retry-After": "5" }) },
    });
  },
}]);

Deno.serve(app.fetch);
