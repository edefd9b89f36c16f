/**
 * `./nightshift dev`: runs the local Supabase-compatible stack on the ports of
 * supabase/config.toml (api.port for the functions, db.port for Postgres) until Ctrl-C.
 */
import { join } from "node:path";
import { edgeRuntimeLimitsFromEnv } from "../edge_runtime_limits.ts";
import {
  LOCAL_ANON_KEY,
  LOCAL_JWT_SECRET,
  LOCAL_PUBLISHABLE_KEY,
  LOCAL_SECRET_KEY,
  LOCAL_SERVICE_ROLE_KEY,
} from "../keys.ts";
import { ensureDashboardBuilt } from "../dashboard/build.ts";
import { startDashboardServer } from "../dashboard/server.ts";
import { failTask } from "../command_failure.ts";
import { assertPortsFree } from "../port_check.ts";
import { clusterRoot } from "../postgres/cluster_location.ts";
import { PostgresCluster } from "../postgres/cluster.ts";
import { ensurePostgresInstalled } from "../postgres/install.ts";
import { repoRoot } from "../paths.ts";
import { readProjectConfig } from "../project_config.ts";
import { LocalStack } from "../stack.ts";

const config = readProjectConfig();
const limits = edgeRuntimeLimitsFromEnv();
console.log("Starting the Nightshift local stack...");
let stack: LocalStack;
try {
  const dir = join(clusterRoot(), "dev");
  // A leftover server of this very stack is stopped by the start; anything else on a port is not.
  const ownServer = await new PostgresCluster(await ensurePostgresInstalled(), dir, config.dbPort)
    .isRunning();
  assertPortsFree([
    { port: config.apiPort, setting: "api.port" },
    { port: config.dashboardPort, setting: "studio.port" },
    ...(ownServer ? [] : [{ port: config.dbPort, setting: "db.port" }]),
  ]);
  stack = await LocalStack.start({
    dir,
    dbPort: config.dbPort,
    apiPort: config.apiPort,
    seed: true,
    edgeRuntimeLimits: limits,
  });
} catch (error) {
  failTask("dev", error);
}

let dashboard: ReturnType<typeof startDashboardServer>;
try {
  await ensureDashboardBuilt();
  dashboard = startDashboardServer({
    port: config.dashboardPort,
    apiUrl: stack.apiUrl,
    publishableKey: LOCAL_PUBLISHABLE_KEY,
  });
} catch (error) {
  await stack.stop();
  failTask("dev", error);
}
const dashboardUrl = `http://127.0.0.1:${config.dashboardPort}`;

const functionsUrl = `${stack.apiUrl}/functions/v1`;
console.log(`
Nightshift local stack is running.

  Dashboard     ${dashboardUrl}   (admin dashboard: sign in, or paste the service_role key)
  Functions     ${functionsUrl}/<name>   (${stack.functionNames.join(", ")})
  Auth          ${stack.apiUrl}/auth/v1   (demo users' password: nightshift-demo)
  Realtime      ${stack.apiUrl.replace("http", "ws")}/realtime/v1/websocket
  Database      ${stack.dbUrl}
  JWT secret    ${LOCAL_JWT_SECRET}
  anon key      ${LOCAL_ANON_KEY}
  service_role  ${LOCAL_SERVICE_ROLE_KEY}
  publishable   ${LOCAL_PUBLISHABLE_KEY}
  secret        ${LOCAL_SECRET_KEY}
  Edge limits   wall clock ${limits.wallClockMs / 1000} s, request idle timeout ${
  limits.requestIdleTimeoutMs / 1000
} s, memory ${limits.memoryLimitMb} MB, CPU time ${(limits.cpuTimeMs ?? 0) / 1000} s

  Migrations applied now: ${
  stack.appliedMigrations.length ? stack.appliedMigrations.join(", ") : "none (up to date)"
}
  Demo data: ${
  stack.seeded ? "loaded from supabase/seed.sql" : "unchanged (loaded when the cluster is new)"
}

Try (demo users and organizations are listed in README.md and supabase/seed.sql):
  curl -s ${functionsUrl}/health -H "Authorization: Bearer <anon key>"
  TOKEN=$(./nightshift jwt d0000000-0000-4000-8000-000000000003)   # Mia, member of Nordic Bistro
  curl -s "${functionsUrl}/datasets/dashboard-metrics?organization_id=0a000000-0000-4000-8000-000000000001" \\
    -H "Authorization: Bearer $TOKEN"
  psql ${stack.dbUrl}

Ctrl-C stops everything; \`./nightshift reset\` (once stopped) starts over with a fresh database.
`);

/** Restarts the functions when their code (or shared/) changes, like `supabase functions serve`. */
async function reloadOnChange(): Promise<void> {
  const watcher = Deno.watchFs([join(repoRoot, "supabase", "functions"), join(repoRoot, "shared")]);
  let timer: ReturnType<typeof setTimeout> | undefined;
  for await (const event of watcher) {
    if (!event.paths.some((path) => /\.(ts|js|json)$/.test(path))) continue;
    clearTimeout(timer);
    timer = setTimeout(async () => {
      console.log("Code changed: restarting functions...");
      try {
        await stack.restartFunctions();
        console.log("Functions restarted.");
      } catch (error) {
        console.error("Functions failed to restart:", (error as Error).message);
      }
    }, 300);
  }
}
reloadOnChange();

if (stack.staleMigrations.length > 0) {
  console.warn(
    `Warning: these migrations changed after this database applied them:\n` +
      stack.staleMigrations.map((m) => `  ${m.version}_${m.name}.sql`).join("\n") +
      `\nThe database still has the old version: run \`./nightshift reset\` to start over.`,
  );
}

let stopping = false;
async function shutdown(): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log("\nStopping the local stack...");
  await dashboard.shutdown().catch(() => {});
  await stack.stop();
  console.log("Stopped.");
  Deno.exit(0);
}
Deno.addSignalListener("SIGINT", shutdown);
Deno.addSignalListener("SIGTERM", shutdown);
