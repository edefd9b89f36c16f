/**
 * `health`: proves the chain gateway → function → Postgres.
 * GET /functions/v1/health → 200 {status:"ok", version, database:{status, latency_ms}}
 * or 503 with status "degraded" when the database does not answer.
 */
import { createDatabaseClient } from "../../../shared/db/client.ts";
import { readFunctionEnv } from "../../../shared/env.ts";
import { errorResponse } from "../../../shared/http/error_response.ts";
import { MethodNotAllowedError, NotFoundError } from "../../../shared/http/errors.ts";
import { NIGHTSHIFT_VERSION } from "../../../shared/version.ts";

const env = readFunctionEnv();
const sql = createDatabaseClient(env.SUPABASE_DB_URL, { maxConnections: 1 });

async function probeDatabase(): Promise<{ status: "ok" | "unreachable"; latency_ms: number }> {
  const started = performance.now();
  try {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("Database probe timed out after 2000 ms")), 2000);
    });
    await Promise.race([sql`select 1`, timeout]).finally(() => clearTimeout(timer));
    return { status: "ok", latency_ms: Math.round(performance.now() - started) };
  } catch (error) {
    console.error("health: database probe failed:", error);
    return { status: "unreachable", latency_ms: Math.round(performance.now() - started) };
  }
}

Deno.serve(async (request) => {
  try {
    const path = new URL(request.url).pathname.replace(/\/+$/, "");
    if (!path.endsWith("/health")) throw new NotFoundError("Not found: health serves only /health");
    if (request.method !== "GET" && request.method !== "HEAD") {
      throw new MethodNotAllowedError(["GET", "HEAD"]);
    }
    const database = await probeDatabase();
    const healthy = database.status === "ok";
    return Response.json({
      status: healthy ? "ok" : "degraded",
      version: NIGHTSHIFT_VERSION,
      database,
    }, { status: healthy ? 200 : 503, headers: { "Cache-Control": "no-store" } });
  } catch (error) {
    return errorResponse(error);
  }
});
