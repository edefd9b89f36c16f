import postgres, { type Sql } from "postgres";
import { join } from "node:path";
import { functionEnvironment } from "./functions/function_env.ts";
import { FunctionProcess } from "./functions/function_process.ts";
import { GoTrue } from "./auth/gotrue.ts";
import { TokenVerifier } from "./auth/token_verifier.ts";
import { type EdgeRuntimeLimits, HOSTED_FREE_LIMITS } from "./edge_runtime_limits.ts";
import { startGateway } from "./gateway.ts";
import { LOCAL_JWKS, LOCAL_JWT_SECRET } from "./keys.ts";
import { RealtimeServer } from "./realtime/realtime_server.ts";
import { applyMigrations, changedMigrations, type MigrationFile } from "./migrations.ts";
import { NetWorker } from "./net_worker.ts";
import { configureNightlySchedule } from "./nightly_schedule.ts";
import { supabaseDir } from "./paths.ts";
import { MessagesPartitionJanitor } from "./realtime/partitions.ts";
import { applyPlatformBootstrap } from "./postgres/bootstrap.ts";
import { PostgresCluster } from "./postgres/cluster.ts";
import { ensurePostgresInstalled } from "./postgres/install.ts";
import { readProjectConfig } from "./project_config.ts";

/** Where and how to run a local stack. */
export interface StackOptions {
  /** Folder of this stack's cluster and logs (created when missing). */
  readonly dir: string;
  /** PostgreSQL port on 127.0.0.1. */
  readonly dbPort: number;
  /** Functions gateway port on 127.0.0.1. */
  readonly apiPort: number;
  /** Load `supabase/seed.sql` when the cluster is new. */
  readonly seed: boolean;
  /** Extra environment for the functions (overrides the env files). */
  readonly functionEnv?: Readonly<Record<string, string>>;
  /**
   * Whether pg_cron's nightly-refresh jobs fire on their own clock. Off, only
   * what a caller switches on runs (tests, benchmarks). @default the value of `seed`
   */
  readonly nightlySchedule?: boolean;
  /** Edge Runtime limits the gateway enforces. @default HOSTED_FREE_LIMITS */
  readonly edgeRuntimeLimits?: EdgeRuntimeLimits;
}

/**
 * A running local Supabase-compatible stack: PostgreSQL with the platform
 * bootstrap and the project's migrations, the pg_net worker, and every edge
 * function behind the gateway.
 */
export class LocalStack {
  private constructor(
    readonly cluster: PostgresCluster,
    /**
     * The platform's own connection, as the bootstrap superuser `supabase_admin`
     * (the stack's workers, partition maintenance). Projects, functions and tests
     * use `dbUrl`, as `postgres`.
     */
    readonly sql: Sql,
    private readonly netWorker: NetWorker,
    private readonly janitor: MessagesPartitionJanitor,
    private readonly functions: Map<string, FunctionProcess>,
    private readonly gateway: Deno.HttpServer<Deno.NetAddr>,
    private readonly realtime: RealtimeServer,
    private readonly serviceSql: Sql,
    readonly apiPort: number,
    /** Migration versions applied by this start. */
    readonly appliedMigrations: readonly string[],
    /** True when `supabase/seed.sql` was loaded by this start. */
    readonly seeded: boolean,
    /** Applied migrations whose file changed since: the database no longer matches them. */
    readonly staleMigrations: readonly MigrationFile[],
  ) {}

  /** `postgresql://postgres:postgres@127.0.0.1:<port>/postgres`: `postgres` is NOSUPERUSER BYPASSRLS, as on Supabase. */
  get dbUrl(): string {
    return this.cluster.url();
  }

  /** `http://127.0.0.1:<port>`: what `SUPABASE_URL` is for the functions. */
  get apiUrl(): string {
    return `http://127.0.0.1:${this.apiPort}`;
  }

  /** Names of the functions being served. */
  get functionNames(): string[] {
    return [...this.functions.keys()];
  }

  /** Starts every part; on failure stops what already started and rethrows. */
  static async start(options: StackOptions): Promise<LocalStack> {
    const pg = await ensurePostgresInstalled();
    const cluster = new PostgresCluster(pg, options.dir, options.dbPort);
    const isNew = !cluster.isInitialized();
    if (isNew) await cluster.initialize();
    await cluster.start();
    const sql = postgres(cluster.adminUrl(), { max: 4, onnotice: () => {} });
    const started: Array<() => Promise<unknown>> = [
      () => cluster.stop(),
      () => sql.end({ timeout: 5 }),
    ];
    try {
      await applyPlatformBootstrap(sql);
      const janitor = new MessagesPartitionJanitor(sql);
      await janitor.start();
      started.unshift(() => janitor.stop());
      const appliedMigrations = await applyMigrations(sql, cluster.url());
      const staleMigrations = await changedMigrations(sql);
      let seeded = false;
      const seedFile = join(supabaseDir, "seed.sql");
      if (isNew && options.seed && (await Deno.stat(seedFile).catch(() => null))) {
        // As `supabase db reset` does: the seed runs as postgres.
        const projectSql = postgres(cluster.url(), { max: 1, onnotice: () => {} });
        try {
          await projectSql.unsafe(Deno.readTextFileSync(seedFile)).simple();
        } finally {
          await projectSql.end({ timeout: 5 });
        }
        seeded = true;
      }

      const netWorker = new NetWorker(cluster.adminUrl());
      await netWorker.start();
      started.unshift(() => netWorker.stop());

      const apiUrl = `http://127.0.0.1:${options.apiPort}`;
      const env = functionEnvironment({ apiUrl, dbUrl: cluster.url() }, options.functionEnv);
      // What a user does once on a project, as postgres (as in the SQL editor).
      const projectSql = postgres(cluster.url(), { max: 1, onnotice: () => {} });
      try {
        await configureNightlySchedule(projectSql, {
          projectUrl: apiUrl,
          cronSecret: env.NIGHTLY_CRON_SECRET,
          active: options.nightlySchedule ?? options.seed,
        });
      } finally {
        await projectSql.end({ timeout: 5 });
      }
      const config = readProjectConfig();
      const functions = new Map(
        config.functions.map((
          definition,
        ) => [
          definition.name,
          new FunctionProcess(
            definition,
            env,
            definition.name,
            (options.edgeRuntimeLimits ?? HOSTED_FREE_LIMITS).memoryLimitMb,
          ),
        ]),
      );
      started.unshift(() => Promise.all([...functions.values()].map((fn) => fn.stop())));
      await Promise.all([...functions.values()].map((fn) => fn.start()));

      const verifier = new TokenVerifier(LOCAL_JWT_SECRET, LOCAL_JWKS);
      // The platform services' own role (the bootstrap superuser, with REPLICATION).
      const serviceUrl = cluster.adminUrl();
      const serviceSql = postgres(serviceUrl, { max: 4, onnotice: () => {} });
      started.unshift(() => serviceSql.end({ timeout: 5 }));
      const realtime = new RealtimeServer({
        sql: serviceSql,
        replicationUrl: serviceUrl,
        verifier,
      });
      await realtime.start();
      started.unshift(() => realtime.stop());
      const auth = new GoTrue({
        sql: serviceSql,
        verifier,
        jwtSecret: LOCAL_JWT_SECRET,
        issuer: `${apiUrl}/auth/v1`,
        jwtExpirySeconds: config.authJwtExpirySeconds,
      });
      const gateway = startGateway({
        port: options.apiPort,
        verifier,
        jwks: LOCAL_JWKS,
        functions,
        auth,
        realtime,
        limits: options.edgeRuntimeLimits ?? HOSTED_FREE_LIMITS,
      });
      return new LocalStack(
        cluster,
        sql,
        netWorker,
        janitor,
        functions,
        gateway,
        realtime,
        serviceSql,
        options.apiPort,
        appliedMigrations,
        seeded,
        staleMigrations,
      );
    } catch (error) {
      for (const stop of started) await stop().catch(() => {});
      throw error;
    }
  }

  /** Restarts every function process on its port, picking up code changes. */
  async restartFunctions(): Promise<void> {
    await Promise.all([...this.functions.values()].map(async (fn) => {
      await fn.stop();
      await fn.start();
    }));
  }

  /** Stops Realtime, the gateway, the functions, the worker and the database, in that order. */
  async stop(): Promise<void> {
    await this.realtime.stop().catch(() => {});
    await this.gateway.shutdown().catch(() => {});
    await Promise.all([...this.functions.values()].map((fn) => fn.stop()));
    await this.serviceSql.end({ timeout: 5 }).catch(() => {});
    await this.netWorker.stop().catch(() => {});
    await this.janitor.stop().catch(() => {});
    await this.sql.end({ timeout: 5 }).catch(() => {});
    await this.cluster.stop();
  }
}
