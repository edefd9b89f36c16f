/**
 * `deno task test [deno test args]`: starts a throwaway stack on free ports,
 * runs every test against it (real Postgres, real HTTP), tears it down also
 * when tests fail or the run is interrupted, and ends with `N passed, N failed`.
 */
import { join } from "node:path";
import { freePort } from "../free_port.ts";
import { LOCAL_ANON_KEY, LOCAL_JWT_SECRET, LOCAL_SERVICE_ROLE_KEY } from "../keys.ts";
import { repoRoot, runtimeRoot } from "../paths.ts";
import { PostgresCluster } from "../postgres/cluster.ts";
import { clusterRoot } from "../postgres/cluster_location.ts";
import { ensurePostgresInstalled } from "../postgres/install.ts";
import { ensureDashboardBuilt } from "../dashboard/build.ts";
import { startDashboardServer } from "../dashboard/server.ts";
import { ensureChromiumInstalled } from "../dashboard/chromium.ts";
import { LocalStack } from "../stack.ts";
import { summarizeJunitReport } from "../junit_summary.ts";
import { TEST_FUNCTION_ENV } from "../../tests/support/test_function_env.ts";

/** Removes clusters left behind by test runs that were killed. */
async function removeAbandonedTestStacks(): Promise<void> {
  const pg = await ensurePostgresInstalled();
  let entries: Deno.DirEntry[] = [];
  try {
    entries = [...Deno.readDirSync(clusterRoot())];
  } catch {
    return;
  }
  for (const entry of entries) {
    const match = /^test-(\d+)$/.exec(entry.name);
    if (!match || isAlive(Number(match[1]))) continue;
    await new PostgresCluster(pg, join(clusterRoot(), entry.name), 0).destroy().catch(() => {});
  }
}

function isAlive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

await removeAbandonedTestStacks();
const dir = join(clusterRoot(), `test-${Deno.pid}`);
const reportPath = join(runtimeRoot, "reports", "junit.xml");
Deno.mkdirSync(join(runtimeRoot, "reports"), { recursive: true });
try {
  Deno.removeSync(reportPath);
} catch {
  // no previous report
}

// Before any process starts: the dashboard's build and the browser of its tests.
await ensureDashboardBuilt();
const chromium = await ensureChromiumInstalled();

console.log("Starting a throwaway stack for the tests...");
const stack = await LocalStack.start({
  dir,
  dbPort: freePort(),
  apiPort: freePort(),
  seed: false,
  functionEnv: TEST_FUNCTION_ENV,
});
// The admin dashboard, served as ./nightshift dev does, for the browser tests.
const dashboardPort = freePort();
const dashboard = startDashboardServer({
  port: dashboardPort,
  apiUrl: stack.apiUrl,
  publishableKey: LOCAL_ANON_KEY,
});
let tearingDown: Promise<void> | undefined;
function tearDown(): Promise<void> {
  tearingDown ??= dashboard.shutdown().catch(() => {}).then(() => stack.stop())
    .then(() => Deno.removeSync(dir, { recursive: true }));
  return tearingDown;
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, async () => {
    await tearDown();
    Deno.exit(130);
  });
}

let code = 1;
try {
  const testArgs = Deno.args.length > 0 ? Deno.args : ["tests/"];
  const child = new Deno.Command(Deno.execPath(), {
    args: ["test", "--allow-all", "--no-prompt", `--junit-path=${reportPath}`, ...testArgs],
    cwd: repoRoot,
    env: {
      NIGHTSHIFT_TEST_DB_URL: stack.dbUrl,
      NIGHTSHIFT_TEST_API_URL: stack.apiUrl,
      NIGHTSHIFT_TEST_JWT_SECRET: LOCAL_JWT_SECRET,
      NIGHTSHIFT_TEST_ANON_KEY: LOCAL_ANON_KEY,
      NIGHTSHIFT_TEST_SERVICE_ROLE_KEY: LOCAL_SERVICE_ROLE_KEY,
      NIGHTSHIFT_TEST_RUNTIME_DIR: dir,
      NIGHTSHIFT_TEST_DASHBOARD_URL: `http://127.0.0.1:${dashboardPort}`,
      NIGHTSHIFT_TEST_CHROMIUM: chromium ?? "",
    },
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  code = (await child.status).code;
} finally {
  await tearDown();
}

const summary = summarizeJunitReport(reportPath);
console.log(`${summary.passed} passed, ${summary.failed} failed`);
if (summary.passed + summary.failed === 0) code = code || 1;
Deno.exit(code);
