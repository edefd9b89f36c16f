/**
 * `./nightshift test [deno test args]`: starts a throwaway stack on free ports,
 * runs every test against it (real Postgres, real HTTP): the Deno tests, then
 * the pgTAP files of supabase/tests/database with pg_prove as `postgres`; tears
 * the stack down also when tests fail or the run is interrupted, and ends with
 * `N passed, N failed` counting Deno test cases and pgTAP assertions.
 * Arguments under supabase/tests select pgTAP files; the others go to `deno test`.
 */
import { join } from "node:path";
import { freePort } from "../free_port.ts";
import {
  LOCAL_ANON_KEY,
  LOCAL_JWT_SECRET,
  LOCAL_PUBLISHABLE_KEY,
  LOCAL_SERVICE_ROLE_KEY,
} from "../keys.ts";
import { repoRoot, runtimeRoot } from "../paths.ts";
import { PostgresCluster } from "../postgres/cluster.ts";
import { clusterRoot } from "../postgres/cluster_location.ts";
import { ensurePostgresInstalled } from "../postgres/install.ts";
import { ensureDashboardBuilt } from "../dashboard/build.ts";
import { startDashboardServer } from "../dashboard/server.ts";
import { ensureChromiumInstalled } from "../dashboard/chromium.ts";
import { LocalStack } from "../stack.ts";
import { summarizeJunitReport } from "../junit_summary.ts";
import { pgTapFilesFor, runPgTap, type TapFileResult } from "../pgtap.ts";
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
  publishableKey: LOCAL_PUBLISHABLE_KEY,
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

const pgTapArgs = Deno.args.filter((arg) => arg.replace(/^\.\//, "").startsWith("supabase/tests"));
const denoArgs = Deno.args.filter((arg) => !pgTapArgs.includes(arg));
const runDeno = Deno.args.length === 0 || denoArgs.length > 0;
const runTap = Deno.args.length === 0 || pgTapArgs.length > 0;

let code = 0;
let tapResults: TapFileResult[] = [];
try {
  if (runDeno) code = await runDenoTests(denoArgs.length > 0 ? denoArgs : ["tests/"]);
  if (runTap) {
    console.log("\nDatabase tests (pgTAP, pg_prove as postgres):");
    tapResults = await runPgTap(
      stack.dbUrl,
      pgTapFilesFor(pgTapArgs.map((a) => a.replace(/^\.\//, ""))),
    );
  }
} finally {
  await tearDown();
}

/** Runs `deno test` against the stack; returns its exit code. */
async function runDenoTests(testArgs: string[]): Promise<number> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["test", "--allow-all", "--no-prompt", `--junit-path=${reportPath}`, ...testArgs],
    cwd: repoRoot,
    env: {
      NIGHTSHIFT_TEST_DB_URL: stack.dbUrl,
      NIGHTSHIFT_TEST_ADMIN_DB_URL: stack.cluster.adminUrl(),
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
  return (await child.status).code;
}

const deno = summarizeJunitReport(reportPath);
const tapPassed = tapResults.reduce((sum, result) => sum + result.passed, 0);
const tapFailed = tapResults.reduce((sum, result) => sum + result.failed, 0);
for (const failure of tapResults.flatMap((result) => result.failures)) {
  console.log(`pgTAP failure: ${failure}`);
}
if (runTap) {
  console.log(
    `pgTAP: ${tapPassed} passed, ${tapFailed} failed in ${tapResults.length} files; ` +
      `Deno: ${deno.passed} passed, ${deno.failed} failed`,
  );
}
const passed = deno.passed + tapPassed;
const failed = deno.failed + tapFailed;
console.log(`${passed} passed, ${failed} failed`);
if (tapFailed > 0) code = code || 1;
if (passed + failed === 0) code = code || 1;
Deno.exit(code);
