import { join } from "node:path";
import { functionEnvironment } from "../../local-stack/functions/function_env.ts";
import { freePort } from "../../local-stack/free_port.ts";
import { FunctionProcess } from "../../local-stack/functions/function_process.ts";
import { startGateway } from "../../local-stack/gateway.ts";
import { LOCAL_JWKS, LOCAL_JWT_SECRET } from "../../local-stack/keys.ts";
import { PostgresCluster } from "../../local-stack/postgres/cluster.ts";
import { clusterRoot } from "../../local-stack/postgres/cluster_location.ts";
import { ensurePostgresInstalled } from "../../local-stack/postgres/install.ts";
import { LocalStack } from "../../local-stack/stack.ts";

/** Options of {@linkcode withBenchStack}. */
export interface BenchStackOptions {
  /**
   * Extra `shared_preload_libraries` (e.g. `pg_stat_statements`), written into the
   * fresh cluster's configuration before its first start: restarting a running
   * stack breaks its platform connections (pg_net worker, Realtime). @default {[]}
   */
  readonly preload?: readonly string[];
}

/**
 * Runs `work` against a fresh local stack (all migrations, no seed) on free
 * ports, its cluster in `<clusterRoot>/bench/<name>-stack-<pid>` (the `postgres`
 * OS user must reach it), and deletes that folder afterwards.
 */
export async function withBenchStack<T>(
  name: string,
  work: (stack: LocalStack) => Promise<T>,
  options: BenchStackOptions = {},
): Promise<T> {
  const dir = join(clusterRoot(), "bench", `${name}-stack-${Deno.pid}`);
  if (options.preload?.length) await initializeWithPreload(dir, options.preload);
  const stack = await LocalStack.start({
    dir,
    dbPort: freePort(),
    apiPort: freePort(),
    seed: false,
  });
  try {
    return await work(stack);
  } finally {
    await stack.stop();
    Deno.removeSync(dir, { recursive: true });
  }
}

/** Initializes the cluster of `dir` as the stack would, with `libraries` preloaded too. */
async function initializeWithPreload(dir: string, libraries: readonly string[]): Promise<void> {
  const cluster = new PostgresCluster(await ensurePostgresInstalled(), dir, 0);
  await cluster.initialize();
  const preload = ["pg_cron", ...libraries].join(",");
  // A later line of postgresql.conf overrides the stack's own setting.
  Deno.writeTextFileSync(
    join(cluster.dataDir, "postgresql.conf"),
    `shared_preload_libraries = '${preload}'\n`,
    { append: true },
  );
}

/** The environment the stack gives its functions, plus `extra` (see functionEnvironment). */
export function functionEnv(
  stack: LocalStack,
  extra: Readonly<Record<string, string>> = {},
): Record<string, string> {
  return functionEnvironment(stack, extra);
}

/** A function process of the benchmark's own, started and listening. */
export async function startFunction(
  name: string,
  entrypoint: string,
  env: Record<string, string>,
  label: string = name,
): Promise<FunctionProcess> {
  // Request lines (one per request) are still written, to /dev/null: a run would
  // otherwise print hundreds of thousands of them between its figures.
  const process = new FunctionProcess(
    { name, entrypoint, verifyJwt: true },
    env,
    label,
    undefined,
    "null",
  );
  await process.start();
  return process;
}

/** A gateway of the benchmark's own (the stack's gateway code) in front of `functions`. */
export interface BenchGateway {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  stop(): Promise<void>;
}

/**
 * Starts `startGateway` (the code the local stack runs, `verify_jwt` on) on a
 * free port, in this process, for the named function processes.
 */
export function startBenchGateway(functions: ReadonlyMap<string, FunctionProcess>): BenchGateway {
  const port = freePort();
  const server = startGateway({ port, jwtSecret: LOCAL_JWT_SECRET, jwks: LOCAL_JWKS, functions });
  return {
    origin: `http://127.0.0.1:${port}`,
    stop: () => server.shutdown(),
  };
}
